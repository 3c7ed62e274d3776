import ArgumentParser
import Foundation
import Imaging
import Inference
import Matting

/// `matte`: command-line options over the `Matting` library. Option names follow the BSHM inference
/// script (`--input`, `--output_dir`) where it has them.
@main
struct MatteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matte",
        abstract: "Cut people out of photos: writes an alpha matte and a cut-out (or a composite) for every image.",
        discussion: """
            With no --input, processes the sample portraits in \(ModelFiles.samplesDirectory) \
            (fetched by \(ModelFiles.fetchCommand); $MATTE_SAMPLES overrides the folder), without its \
            sub-folders unless --recursive.

            OUTPUTS: for each input, by default, <name>_alpha.png (8-bit grey matte: 255 person, 0 \
            background) and <name>_cutout.png (RGBA, the photo's colours with the matte as straight, not \
            premultiplied, alpha). --background adds <name>_composite.png (RGB, the person over the new \
            background). --outputs chooses among alpha, cutout and composite (a composite without \
            --background is over white). --format sets the format of the cut-out and the composite: \
            png; webp (lossless, so colours and alpha are stored exactly; lossy with --quality); or jpeg \
            (quality 90 unless --quality; composites only, as JPEG has no transparency: with --format jpeg \
            the default outputs are the matte and the composite). The matte is always PNG. Files are written \
            whole under a temporary name and then renamed, so a failed input leaves no file; existing files \
            of the same name are replaced.

            BACKGROUNDS: a colour, #rrggbb or a name (\(Colour.names.map(\.name).joined(separator: ", "))); \
            an image file or http(s) URL, scaled to cover the photo and centred (read once, before any \
            input: a background that cannot be read stops the command before anything is written); or \
            blur, the photo's own background blurred with the person removed from it (blur:<radius> sets \
            the radius in pixels; the default is 4% of the photo's longer side). To use an image file named \
            like a colour, write its path as ./<name>.

            NAMES: <name> is the input's file name without its extension; 'stdin' for standard input; \
            for a URL, the last path segment without its extension (characters other than ASCII \
            letters, digits, '-', '_' and '.' become '_'; leading '.', '-' and '_' are dropped), or \
            'download'. When inputs share a name (ignoring \
            case), those found in a folder are named by their path inside it with '_' between levels \
            (photos/2024/x.jpg from '-i photos --recursive' becomes 2024_x); any still shared keep the \
            name for the first in input order and get -2, -3, ... for the later ones.

            FOLDERS: every .jpg, .jpeg, .png and .webp file in the folder (hidden files skipped), in \
            name order; --recursive also takes sub-folders. Files named directly are read whatever \
            their extension.

            URLS: http and https only, at most 5 redirects, 30 s per download, at most \
            --max-download-bytes; HTTP errors (status 400 and above) fail the input.

            EXIT STATUS: 0 when every input succeeded, 1 when any failed (the others are still \
            processed; each failure is reported as 'matte: <input>: <reason>'), 64 for usage errors.

            CHECKS: --check also checks each photo (faces, subject size, cut-off, sharpness, light, \
            resolution), writes what it found to <name>_check.json beside the outputs and prints its \
            warnings; --check strict skips photos with a warning, reported as failed with the reason. \
            'matte check' checks without matting (see 'matte check --help').

            WATCHING: --watch keeps running on one folder input, matting each new or changed image once \
            it has stopped growing (two polls a second), until SIGINT or SIGTERM. Like --skip-existing, it \
            leaves alone images whose outputs exist and are newer than the image.

            VIDEO: 'matte video' mattes videos and raw frame streams (see 'matte video --help').

            SERVICE: 'matte serve' runs the HTTP API and web page instead (see 'matte serve --help'); \
            'matte worker' runs the jobs queued through its /v1/jobs (see 'matte worker --help').
            """,
        subcommands: [Serve.self, Check.self, VideoCommand.self, Worker.self])

    /// Runs the command on the process's arguments, a bare `--check` spelt out (`spelledOut`).
    static func main() async {
        await main(spelledOut(Array(CommandLine.arguments.dropFirst())))
    }

    /// `arguments` with a bare `--check` (not followed by `report` or `strict`) written `--check=report`:
    /// the option's value may be left out, which the argument parser does not allow by itself.
    /// Subcommands' arguments are left as they are.
    static func spelledOut(_ arguments: [String]) -> [String] {
        if let first = arguments.first, ["serve", "check", "video", "worker"].contains(first) { return arguments }
        var result: [String] = []
        for (index, argument) in arguments.enumerated() {
            let next = index + 1 < arguments.count ? arguments[index + 1] : nil
            if argument == "--check", !MattingRequest.CheckMode.allCases.map(\.rawValue).contains(next ?? "") {
                result.append("--check=report")
            } else {
                result.append(argument)
            }
        }
        return result
    }

    @Option(name: [.customShort("i"), .customLong("input")], parsing: .upToNextOption,
            help: ArgumentHelp("Image file, folder, http(s) URL, or - for standard input. Repeatable, several values each.",
                               valueName: "input"))
    var inputs: [String] = []

    @Flag(name: [.short, .long], help: "Also take images in sub-folders of folder inputs.")
    var recursive = false

    @Option(name: [.customShort("d"), .customLong("output-dir"), .customLong("output_dir")],
            help: ArgumentHelp("Folder for results; created if missing.", valueName: "dir"))
    var outputDirectory = "results"

    @Option(help: ArgumentHelp("""
        Background of the composite: a colour (#rrggbb or a name such as white), an image (path or URL), \
        or blur[:radius]. Adds the composite to the outputs.
        """, valueName: "background"))
    var background: String?

    @Option(help: ArgumentHelp("""
        Files to write, comma-separated: alpha, cutout, composite (default: alpha,cutout, and composite \
        with --background; no cutout with --format jpeg).
        """, valueName: "list"))
    var outputs: String?

    @Option(help: ArgumentHelp("""
        Format of the cut-out and the composite: png; webp (lossless unless --quality); jpeg (composite \
        only). The matte is always PNG.
        """, valueName: "format"))
    var format: ImageFormat = .png

    @Option(help: ArgumentHelp("Lossy quality 1...100 for jpeg (default 90) and webp (default: lossless).",
                               valueName: "quality"))
    var quality: Int?

    @Option(help: ArgumentHelp("""
        best: both networks fused, refined at full resolution; fine: best, then alpha solved again at \
        the photo's own resolution where it is uncertain (hair strands), slower; fast: one network and an \
        edge-aware upsampling, several times quicker.
        """, valueName: "mode"))
    var mode: MattingOptions.Mode = .best

    @Option(help: ArgumentHelp("""
        person: keep the person and drop other objects; any: keep whatever is most salient \
        (products, pets, objects), as rembg does.
        """, valueName: "subject"))
    var subject: BranchFusion.Subject = .person

    @Option(name: .customLong("max-pixels"),
            help: ArgumentHelp("Largest image accepted, in pixels (width x height); larger ones fail before decoding (default 50000000).",
                               valueName: "count"))
    var maxPixelsOption: Int?

    /// `--max-pixels`, or the request's default. The option stays optional so that `matte serve` can tell
    /// a value given after `serve` (which the parser may hand to this, the root command) from none.
    var maxPixels: Int { maxPixelsOption ?? MattingRequest().maxPixels }

    @Option(help: ArgumentHelp("Largest download accepted, in bytes.", valueName: "bytes"))
    var maxDownloadBytes = 50_000_000

    @Option(help: ArgumentHelp("Cores used for inference (default: all).", valueName: "count"))
    var threads: Int?

    @Option(help: ArgumentHelp("""
        Photos of a batch matted at once, the cores shared among them (default: one per core; 1: one photo \
        at a time on all cores).
        """, valueName: "count"))
    var workers: Int?

    @Option(help: ArgumentHelp("""
        What the networks' convolutions multiply in: bf16 (bfloat16 products summed in float32, twice the \
        rate, on CPUs with AVX512_BF16) or fp32 ($MATTE_PRECISION; default bf16 where the CPU has it).
        """, valueName: "precision"))
    var precision: Precision?

    @Option(name: .customLong("models"),
            help: ArgumentHelp("Folder holding the model files (default: $MATTE_MODELS, else \(ModelFiles.defaultDirectory)).",
                               valueName: "dir"))
    var modelDirectory: String?

    @Option(help: ArgumentHelp("""
        Check each photo first: report (the default when no value follows) writes <name>_check.json and         prints the warnings; strict also skips photos with a warning.
        """, valueName: "report|strict"))
    var check: MattingRequest.CheckMode?

    @Flag(help: "Print each input's stage times (read, decode, pre-process, inference, post-process, composite, encode, write) in ms.")
    var timings = false

    @Flag(help: "Keep running on a folder input: matte each new image once it has stopped growing; stop with SIGINT or SIGTERM.")
    var watch = false

    @Flag(name: .customLong("skip-existing"), help: "Skip inputs whose outputs exist and are newer than the input.")
    var skipExisting = false

    @Flag(help: "Print the version, the commit of this build when known, and the model files with the first 8 hex digits of their sha256; then exit.")
    var version = false

    func validate() throws {
        if version { return }
        guard maxDownloadBytes > 0 else { throw ValidationError("--max-download-bytes must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        guard !outputDirectory.isEmpty else { throw ValidationError("--output-dir must not be empty") }
        guard inputs.filter({ $0 == "-" }).count <= 1 else {
            throw ValidationError("standard input (-) can be given only once")
        }
        if watch {
            var isFolder: ObjCBool = false
            guard inputs.count == 1, FileManager.default.fileExists(atPath: inputs[0], isDirectory: &isFolder), isFolder.boolValue else {
                throw ValidationError("--watch needs exactly one --input, a folder")
            }
        }
        _ = try matteRequest()
    }

    /// The request every input is run with: the options in `MattingRequest`'s terms, checked together by
    /// its `validate()`. An image `--background` becomes `image`; the batch reads it once.
    func matteRequest() throws(ValidationError) -> MattingRequest {
        var kinds: [MattingRequest.Output]?
        if let outputs {
            kinds = []
            for name in outputs.split(separator: ",", omittingEmptySubsequences: false) {
                let name = name.trimmingCharacters(in: .whitespaces)
                guard let kind = MattingRequest.Output(rawValue: name.lowercased()) else {
                    throw ValidationError("--outputs: '\(name)' is not an output; choose from alpha, cutout, composite (comma-separated)")
                }
                kinds?.append(kind)
            }
        }
        let backgroundName: String? = switch try BackgroundChoice.parse(background) {
        case .backdrop?: background
        case .image?: "image"
        case nil: nil
        }
        let request = MattingRequest(mode: mode, subject: subject, outputs: kinds, format: format, quality: quality,
                                     background: backgroundName, maxPixels: maxPixels, check: check)
        do throws(RequestError) {
            try request.validate()
        } catch {
            let option = error.field == "maxPixels" ? "max-pixels" : error.field
            throw ValidationError("--\(option): \(error.reason)")
        }
        return request
    }

    func run() throws {
        try run(console: .standard, standardInput: .standardInput)
    }

    /// Runs the batch; any failed input makes the exit status 1.
    func run(console: Console, standardInput: FileHandle) throws {
        if version {
            console.writeOutput(BuildInfo(modelDirectory: modelDirectory ?? ModelFiles.defaultDirectory).text)
            return
        }
        if let precision { Precision.preferred = precision }
        if try runBatch(console: console, standardInput: standardInput) > 0 { throw ExitCode.failure }
    }
}

extension MattingOptions.Mode: ExpressibleByArgument {}
extension MattingRequest.CheckMode: ExpressibleByArgument {}
extension BranchFusion.Subject: ExpressibleByArgument {}
extension Precision: ExpressibleByArgument {}
