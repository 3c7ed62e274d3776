import ArgumentParser
import Matting
import Testing
@testable import MatteCommand

@Suite struct OptionParsingTests {
    @Test func defaults() throws {
        let command = try MatteCommand.parse([])
        #expect(command.inputs.isEmpty)
        #expect(command.recursive == false)
        #expect(command.outputDirectory == "results")
        #expect(command.format == .png)
        #expect(command.maxPixels == 50_000_000)
        #expect(command.maxDownloadBytes == 50_000_000)
        #expect(command.threads == nil)
        #expect(command.modelDirectory == nil)
        #expect(command.timings == false)
    }

    @Test func inputsRepeatAndTakeSeveralValues() throws {
        let command = try MatteCommand.parse(["-i", "a.jpg", "b.png", "--input", "photos", "-i", "-", "-r"])
        #expect(command.inputs == ["a.jpg", "b.png", "photos", "-"])
        #expect(command.recursive)
    }

    @Test(arguments: [["-d", "out"], ["--output-dir", "out"], ["--output_dir", "out"], ["--output_dir=out"]])
    func outputFolderSpellings(arguments: [String]) throws {
        #expect(try MatteCommand.parse(arguments).outputDirectory == "out")
    }

    @Test func otherOptions() throws {
        let command = try MatteCommand.parse([
            "--format", "webp", "--max-pixels", "1000", "--max-download-bytes", "2000", "--threads", "3",
            "--models", "/models", "--timings",
        ])
        #expect(command.format == .webp)
        #expect(command.maxPixels == 1000)
        #expect(command.maxDownloadBytes == 2000)
        #expect(command.threads == 3)
        #expect(command.modelDirectory == "/models")
        #expect(command.timings)
    }

    @Test(arguments: [
        ["--threads", "0"], ["--max-pixels", "0"], ["--max-download-bytes", "-5"], ["--format", "jpeg"],
        ["-i", "-", "-"], ["--output-dir", ""], ["--unknown"], ["--threads", "many"], ["-i"],
    ])
    func usageErrorsExitWith64(arguments: [String]) {
        do {
            _ = try MatteCommand.parse(arguments)
            Issue.record("\(arguments) parsed")
        } catch {
            #expect(MatteCommand.exitCode(for: error).rawValue == 64)
        }
    }

    @Test func helpDocumentsNamingAndFormats() {
        let help = MatteCommand.helpMessage(columns: 10_000)
        for phrase in ["_alpha.png", "_cutout.png", "-2, -3", "stdin", "download", "lossless", "--output_dir", "64"] {
            #expect(help.contains(phrase), "help lacks \(phrase)")
        }
    }
}
