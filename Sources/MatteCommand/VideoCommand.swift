import ArgumentParser
import Foundation
import Imaging
import Matting
import MattingIO
import Video

/// `matte video`: options over the `Video` library (FFmpeg processes, raw frames, steadying).
struct VideoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "video",
        abstract: "Matte a video, or a stream of raw frames, frame by frame in order.",
        discussion: """
            FILES: the input is decoded and the output encoded by the ffmpeg program (Debian's ffmpeg \
            package), run as separate processes that trade raw frames with matte over pipes. The output's \
            extension picks the codec: .webm is VP9 with alpha, .mov is ProRes 4444 with alpha, .mp4 and \
            .mkv are H.264 (no transparency: use --background or --outputs alpha). A pattern with %d or \
            %0Nd (frames/%05d.png) writes one PNG per frame, numbered from 1. Audio is carried over (copied \
            when the container can hold its codec, else re-encoded). The video is written under a hidden \
            temporary name and renamed when complete: a failure leaves nothing under the final name.

            RAW FRAMES: --raw WxH reads RGB24 frames (exactly W*H*3 bytes each) from standard input (or \
            --input FILE) and writes raw frames to standard output with -o - (alpha: 1 byte a pixel; cutout: \
            RGBA; composite: RGB), to numbered files, or to a video file at --fps. A short last frame is an \
            error naming the frame and its byte count; the frames before it are written and valid.

            OUTPUT: one kind of frame, --outputs alpha, cutout or composite; by default the composite with \
            --background, else the cut-out. Backgrounds as for photos: a colour, an image file, blur[:radius].

            TIME: frames are decoded, matted (--threads frames at once, one core each) and encoded at the \
            same time. Mattes are steadied over time (MediaPipe's uncertainty-weighted smoothing; \
            --no-stabilise turns it off) and a frame that barely changed reuses the last matte \
            (--no-reuse-unchanged turns that off).
            """)

    @Option(name: [.customShort("i"), .customLong("input")],
            help: ArgumentHelp("A video file; with --raw, a file of raw frames or - for standard input (the default).",
                               valueName: "input"))
    var input: String?

    @Option(name: [.customShort("o"), .customLong("output")],
            help: ArgumentHelp("A video file (.webm, .mov, .mp4, .mkv), a frame pattern (frames/%05d.png), or - for raw frames on standard output.",
                               valueName: "output"))
    var output: String

    @Option(help: ArgumentHelp("Read raw RGB24 frames of this size (e.g. 1280x720) instead of a video file.", valueName: "WxH"))
    var raw: String?

    @Option(help: ArgumentHelp("Frame rate of raw input, for a video output (e.g. 30, 30000/1001).", valueName: "rate"))
    var fps = "30"

    @Option(help: ArgumentHelp("Background of the composite: a colour (#rrggbb or a name), an image file, or blur[:radius].",
                               valueName: "background"))
    var background: String?

    @Option(help: ArgumentHelp("The frames to write: alpha, cutout or composite (default: composite with --background, else cutout).",
                               valueName: "output"))
    var outputs: String?

    @Option(help: ArgumentHelp("best: both networks, refined; fast: one network and the guided filter (default: best).", valueName: "mode"))
    var mode: MattingOptions.Mode?

    @Option(help: ArgumentHelp("person or any (the most salient subject; default: person).", valueName: "subject"))
    var subject: BranchFusion.Subject?

    @Flag(inversion: .prefixedNo, help: "Steady the mattes over time.")
    var stabilise = true

    @Flag(name: .customLong("reuse-unchanged"), inversion: .prefixedNo, help: "Reuse the last matte for frames that barely changed.")
    var reuseUnchanged = true

    @Flag(help: "Measure flicker and lag (every frame then runs the networks) and print them at the end.")
    var flicker = false

    @Option(help: ArgumentHelp("Frames matted at once, one core each (default: all cores).", valueName: "count"))
    var threads: Int?

    @Option(name: .customLong("models"), help: ArgumentHelp("Folder holding the model files.", valueName: "dir"))
    var modelDirectory: String?

    @Flag(help: "Print the time of each stage, in all and per frame, at the end.")
    var timings = false

    /// The root command: the parser may hand it an option both spell the same way (`-i`, `--mode`,
    /// `--background`, ...), so each such option here is this command's value, else the root's.
    @ParentCommand var parent: MatteCommand

    var inputPath: String? { input ?? parent.inputs.last }
    var backgroundName: String? { background ?? parent.background }
    var outputsName: String? { outputs ?? parent.outputs }
    var matteMode: MattingOptions.Mode { mode ?? parent.mode }
    var matteSubject: BranchFusion.Subject { subject ?? parent.subject }
    var threadCount: Int? { threads ?? parent.threads }
    var models: String? { modelDirectory ?? parent.modelDirectory }
    var printsTimings: Bool { timings || parent.timings }

    func validate() throws {
        if let threads = threadCount, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let raw { _ = try Self.size(raw) } else if inputPath == nil || inputPath == "-" {
            throw ValidationError("--input: name a video file (standard input takes raw frames only, with --raw WxH)")
        }
        _ = try request()
        _ = try outputKind()
    }

    /// `WxH` as two positive sizes.
    static func size(_ text: String) throws(ValidationError) -> (width: Int, height: Int) {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]), width > 0, height > 0,
              width <= 16384, height <= 16384 else {
            throw ValidationError("--raw: '\(text)' is not WxH with sizes 1...16384 (e.g. 1280x720)")
        }
        return (width, height)
    }

    /// Mode, subject and background in `MattingRequest`'s terms (checked by its `validate()`).
    func request() throws(ValidationError) -> MattingRequest {
        let backgroundName: String? = switch try BackgroundChoice.parse(self.backgroundName) {
        case .backdrop?: self.backgroundName
        case .image?: "image"
        case nil: nil
        }
        let request = MattingRequest(mode: matteMode, subject: matteSubject, outputs: [.composite], background: backgroundName)
        do throws(RequestError) { try request.validate() } catch {
            throw ValidationError("--\(error.field): \(error.reason)")
        }
        return request
    }

    /// The one kind of frame written.
    func outputKind() throws(ValidationError) -> MattingRequest.Output {
        if let outputs = outputsName {
            guard let kind = MattingRequest.Output(rawValue: outputs.lowercased().trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--outputs: '\(outputs)' is not one of alpha, cutout, composite (a video holds one)")
            }
            if backgroundName != nil && kind != .composite {
                throw ValidationError("--background applies to the composite: use --outputs composite")
            }
            return kind
        }
        return backgroundName != nil ? .composite : .cutout
    }

    func run() throws {
        let console = Console.standard
        do {
            try run(console: console)
        } catch let error as VideoError {
            console.writeError("matte: \(printable(error.description))\n")
            throw ExitCode.failure
        } catch let error as ExitCode {
            throw error
        } catch {
            console.writeError("matte: \(printable("\(error)"))\n")
            throw ExitCode.failure
        }
    }

    func run(console: Console) throws {
        FFmpeg.ignoreBrokenPipes()
        let request = try request()
        var options = VideoOptions(request: request, output: try outputKind())
        options.stabilise = stabilise
        options.skipUnchanged = reuseUnchanged
        options.measureFlicker = flicker
        options.workers = threadCount ?? ProcessInfo.processInfo.activeProcessorCount

        var backgroundImage: Image?
        if case .image(let location)? = try BackgroundChoice.parse(backgroundName) {
            do {
                backgroundImage = try MatteCommand.backgroundImage(location, reader: InputReader(), pixelLimit: request.maxPixels)
            } catch {
                throw VideoError(subject: "--background", reason: "\(error)")
            }
        }

        // The source first: its size is the output's.
        let source: FrameSource
        var frameRate = fps
        var audio: (path: String, audioCodec: String)?
        if let raw {
            let (width, height) = try Self.size(raw)
            if let input = inputPath, input != "-" {
                let descriptor = open(input, O_RDONLY | O_CLOEXEC)
                guard descriptor >= 0 else { throw VideoError(subject: input, reason: String(cString: strerror(errno))) }
                source = RawFrameReader(descriptor: descriptor, width: width, height: height, name: input)
            } else {
                source = RawFrameReader(descriptor: STDIN_FILENO, width: width, height: height, name: "standard input")
            }
        } else {
            let decoder = try VideoDecoder(path: inputPath ?? "-")
            frameRate = decoder.probe.frameRate
            audio = decoder.probe.audioCodec.map { (path: decoder.path, audioCodec: $0) }
            source = decoder
        }

        let sink: FrameSink
        do {
            if output == "-" {
                sink = RawFrameWriter(descriptor: STDOUT_FILENO, name: "standard output")
            } else if FrameFiles.isPattern(output) {
                sink = try FrameFiles(pattern: output)
            } else {
                sink = try VideoEncoder(path: output, width: source.width, height: source.height,
                                        channels: options.outputChannels, frameRate: frameRate, audioSource: audio)
            }
        } catch {
            source.abandon()
            throw error
        }

        let matter: PortraitMatter
        let matting: VideoMatting
        do {
            matter = try PortraitMatter(modelDirectory: models ?? ModelFiles.defaultDirectory, threads: 1)
            matting = try VideoMatting(matter: matter, options: options, backgroundImage: backgroundImage)
        } catch {
            source.abandon()
            sink.abandon()
            throw error
        }
        let bar = FrameProgress(console: console, total: source.frameCount)
        let report = try matting.run(source: source, sink: sink) { bar.show(frames: $0) }
        bar.clear()

        let name = inputPath ?? "standard input"
        var lines = ["\(printable(name)): \(report.frames) frames in \(String(format: "%.1f", report.elapsed / .seconds(1))) s, \(String(format: "%.1f", report.framesPerSecond)) frames/s, \(report.reused) reused unchanged\n"]
        if printsTimings {
            let frames = Double(max(1, report.frames))
            lines.append("  " + report.timings.stages.map { stage in
                stage.name + " " + String(format: "%.1f", stage.time / .milliseconds(1) / frames) + " ms/frame"
            }.joined(separator: ", ") + "\n")
        }
        if let flicker = report.flicker { lines.append("  \(flicker.summary)\n") }
        // Standard output may be carrying frames: reports go to standard error.
        for line in lines { console.writeError(line) }
    }
}

/// One line on a terminal, rewritten as frames are written: `[#####-----] 120/300 frames, 28.5 frames/s, ~6 s left`
/// (without a known total: `120 frames, 28.5 frames/s`). Nothing when standard error is not a terminal.
final class FrameProgress: @unchecked Sendable {
    private let console: Console
    private let total: Int?
    private let start = ContinuousClock.now
    private var lastShown = ContinuousClock.now - .seconds(1)
    private var shown = false

    init(console: Console, total: Int?) {
        self.console = console
        self.total = total
    }

    func show(frames: Int) {
        guard console.isTerminal else { return }
        let now = ContinuousClock.now
        guard now - lastShown >= .milliseconds(200) else { return }
        lastShown = now
        console.writeError("\r\u{1B}[K" + Self.line(frames: frames, total: total, seconds: (now - start) / .seconds(1)))
        shown = true
    }

    /// The status text after `frames` frames in `seconds`.
    static func line(frames: Int, total: Int?, seconds: Double) -> String {
        let rate = seconds > 0 ? Double(frames) / seconds : 0
        guard let total, total > 0 else { return String(format: "%d frames, %.1f frames/s", frames, rate) }
        let width = 20
        let filled = min(width, frames * width / total)
        var line = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] "
        line += String(format: "%d/%d frames, %.1f frames/s", frames, total, rate)
        if rate > 0, frames < total { line += ", ~\(Int((Double(total - frames) / rate).rounded(.up))) s left" }
        return line
    }

    func clear() {
        if shown { console.writeError("\r\u{1B}[K") }
        shown = false
    }
}
