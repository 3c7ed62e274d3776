import ArgumentParser
import Inference
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
        #expect(try command.matteRequest() == MattingRequest())
        #expect(try command.matteRequest().resolvedOutputs == [.alpha, .cutout])
    }

    /// `--precision` on the command and after `serve`; anything but fp32 and bf16 is refused.
    @Test func precision() throws {
        #expect(try MatteCommand.parse([]).precision == nil)
        #expect(try MatteCommand.parse(["--precision", "fp32"]).precision == .fp32)
        #expect(try MatteCommand.parse(["--precision", "bf16"]).precision == .bf16)
        #expect(throws: (any Error).self) { try MatteCommand.parse(["--precision", "fp16"]) }
        let serve = try #require(try MatteCommand.parseAsRoot(["serve", "--precision", "fp32"]) as? Serve)
        // Given after `serve`, the root command takes it (as `--models`); `Serve.run` reads either.
        #expect((serve.precision ?? serve.parent.precision) == .fp32)
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

    /// How each `--background` spelling is read.
    @Test(arguments: [
        ("blur", BackgroundChoice.backdrop(.blur(radius: nil))),
        ("blur:12", .backdrop(.blur(radius: 12))),
        ("#00FF7f", .backdrop(.colour(red: 0, green: 255, blue: 127))),
        ("white", .backdrop(.colour(red: 255, green: 255, blue: 255))),
        ("Grey", .backdrop(.colour(red: 128, green: 128, blue: 128))),
        ("beach.jpg", .image("beach.jpg")),
        ("./red", .image("./red")),
        ("https://example.org/b.png", .image("https://example.org/b.png")),
    ])
    func backgroundSpellings(text: String, choice: BackgroundChoice) throws {
        #expect(try BackgroundChoice.parse(text) == choice)
    }

    /// The outputs each combination of options writes.
    @Test(arguments: [
        ([], [MattingRequest.Output.alpha, .cutout]),
        (["--background", "blur"], [.alpha, .cutout, .composite]),
        (["--background", "#102030", "--format", "jpeg"], [.alpha, .composite]),
        (["--background", "blur", "--format", "jpg", "--quality", "80"], [.alpha, .composite]),
        (["--background", "red", "--outputs", "composite"], [.composite]),
        (["--outputs", "composite,alpha"], [.alpha, .composite]),
        (["--outputs", "cutout", "--format", "webp", "--quality", "75"], [.cutout]),
        (["--outputs", "alpha , composite", "--format", "jpeg"], [.alpha, .composite]),
    ])
    func outputChoices(arguments: [String], kinds: [MattingRequest.Output]) throws {
        #expect(try MatteCommand.parse(arguments).matteRequest().resolvedOutputs == kinds)
    }

    @Test func formatQualityAndBackgroundReachThePlan() throws {
        let request = try MatteCommand.parse(["--background", "blur:30", "--format", "webp", "--quality", "85"]).matteRequest()
        #expect(request.resolvedOutputs == [.alpha, .cutout, .composite])
        #expect(request.format == .webp && request.quality == 85 && request.backdrop == .blur(radius: 30))
        // An image background is read by the batch; the request says only that one comes with each photo.
        #expect(try MatteCommand.parse(["--background", "beach.jpg"]).matteRequest().background == "image")
    }

    /// Usage errors name the option and say what would work.
    @Test(arguments: [
        (["--format", "jpeg"], "--format: jpeg is for composites"),
        (["--format", "jpeg", "--outputs", "alpha,cutout,composite"], "cannot hold the cut-out's transparency"),
        (["--quality", "80"], "--quality: applies to jpeg and webp"),
        (["--format", "webp", "--quality", "0"], "--quality: must be 1...100"),
        (["--outputs", "alpha", "--format", "webp"], "the matte is always PNG"),
        (["--outputs", "alpha,matte"], "'matte' is not an output"),
        (["--outputs", ""], "'' is not an output"),
        (["--background", "blur", "--outputs", "cutout"], "--background: applies to the composite"),
        (["--background", "blur:0"], "blur radius must be 1...1000"),
        (["--background", "blur:wide"], "blur radius must be"),
        (["--background", "#12345"], "#rrggbb"),
        (["--background", ""], "must not be empty"),
        (["--format", "gif"], "gif"),
    ])
    func inconsistentOutputOptionsAreUsageErrors(arguments: [String], message: String) {
        do {
            _ = try MatteCommand.parse(arguments)
            Issue.record("\(arguments) parsed")
        } catch {
            #expect(MatteCommand.exitCode(for: error).rawValue == 64)
            #expect(MatteCommand.message(for: error).contains(message), "\(MatteCommand.message(for: error))")
        }
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
        for phrase in ["_alpha.png", "_cutout.png", "_composite.png", "-2, -3", "stdin", "download", "lossless",
                       "--output_dir", "64", "--background", "blur:<radius>", "#rrggbb", "scaled to cover", "--outputs",
                       "alpha,cutout", "jpeg", "--quality", "always PNG"] {
            #expect(help.contains(phrase), "help lacks \(phrase)")
        }
    }
}
