import ArgumentParser
import Foundation
import Imaging
import Matting
import MattingIO

/// `matte check`: the photo checks alone, without matting (`PhotoChecker` through the library's
/// `check(photo:maxPixels:)`).
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check photos before matting: faces, subject size, cut-off, sharpness, light, resolution.",
        discussion: """
            For each input prints '<input>: ok', or '<input>: <codes>' and one line per warning with \
            what was found and what to do. Codes: \(CheckWarning.Code.allCases.map(\.rawValue).joined(separator: ", ")).

            --json prints one JSON object per photo instead: path, width, height, faces (score, box \
            and keypoints in photo pixels), person_fraction, sharpness, exposure, warnings (code, message).

            Inputs and limits are given as to 'matte': -i (files, folders with --recursive, http(s) URLs, \
            - for standard input), --max-pixels, --max-download-bytes, --threads, --models. --timings \
            prints each photo's check time to standard error: faces, person (the selfie network, which \
            matting in best mode has already run), measures.

            EXIT STATUS: 0 when no photo has a warning, 2 when some do, 1 when any input failed.
            """)

    /// The root command: `-i`, `--recursive`, `--timings`, `--max-pixels`, `--max-download-bytes`,
    /// `--threads` and `--models` are its options, which the parser hands it wherever they stand.
    @ParentCommand var parent: MatteCommand

    @Flag(help: "One JSON object per photo, one per line.")
    var json = false

    func validate() throws {
        guard !parent.inputs.isEmpty else { throw ValidationError("name at least one photo with --input") }
    }

    func run() throws {
        let status = try run(console: .standard, standardInput: .standardInput)
        if status != 0 { throw ExitCode(status) }
    }

    /// Checks every input in order; returns the exit status (0, 2, or 1 when any input failed).
    func run(console: Console, standardInput: FileHandle) throws -> Int32 {
        let matter: PortraitMatter
        do {
            matter = try PortraitMatter(modelDirectory: parent.modelDirectory ?? ModelFiles.defaultDirectory,
                                        threads: parent.threads ?? ProcessInfo.processInfo.activeProcessorCount)
        } catch {
            console.writeError("matte: \(error)\n")
            return 1
        }
        let (items, problems) = InputSource.gather(parent.inputs, recursive: parent.recursive)
        let reader = InputReader(fetcher: URLFetcher(maxBytes: parent.maxDownloadBytes), standardInput: standardInput)
        var failed = !problems.isEmpty, warned = false
        for problem in problems {
            console.writeError("matte: \(printable(problem.argument)): \(printable(problem.reason))\n")
        }
        for item in items {
            let check: PhotoCheck
            do {
                check = try matter.check(photo: .encoded(try reader.read(item)), maxPixels: parent.maxPixels)
            } catch {
                failed = true
                console.writeError("matte: \(printable(item.displayName)): \(printable(MatteCommand.reason(error)))\n")
                continue
            }
            warned = warned || !check.warnings.isEmpty
            if parent.timings {
                let parts = [("faces", check.timings.faces), ("person", check.timings.person), ("measures", check.timings.measures)]
                let text = parts.map { "\($0.0) \(String(format: "%.2f", $0.1 / .milliseconds(1))) ms" }.joined(separator: ", ")
                console.writeError("\(printable(item.displayName)): check \(text)\n")
            }
            if json {
                console.writeOutput(check.json(path: item.displayName) + "\n")
            } else {
                console.writeOutput("\(printable(item.displayName)): \(check.verdict)\n")
                for warning in check.warnings {
                    console.writeOutput("  \(warning.code.rawValue): \(warning.message)\n")
                }
            }
        }
        return failed ? 1 : warned ? 2 : 0
    }
}
