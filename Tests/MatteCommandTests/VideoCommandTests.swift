import ArgumentParser
import Foundation
import Imaging
import Matting
import TestSupport
import Testing
import Video
@testable import MatteCommand

private let ffmpegAvailable = (try? FFmpeg.path(of: "ffmpeg")) != nil
private let modelsAvailable = (try? PortraitMatter(threads: 1)) != nil
private let portrait = ModelFiles.samplesDirectory + "/grace_hopper.jpg"

/// `matte video`: options, and whole runs in-process on clips ffmpeg makes from a sample portrait.
/// `matte video ...` parsed as the command line is.
func parseVideo(_ arguments: [String]) throws -> VideoCommand {
    let command = try MatteCommand.parseAsRoot(["video"] + arguments)
    guard let video = command as? VideoCommand else { throw ValidationError("not the video command") }
    return video
}

@Suite(.serialized) struct VideoCommandTests {
    @Test func parsesAndChecksOptions() throws {
        let command = try parseVideo(["-i", "talk.mp4", "-o", "talk.webm"])
        #expect(try command.outputKind() == .cutout && command.stabilise && command.reuseUnchanged && command.matteMode == .best)
        #expect(command.inputPath == "talk.mp4" && command.output == "talk.webm")
        #expect(try parseVideo(["-i", "a.mp4", "-o", "b.webm", "--mode", "fast", "--threads", "1"]).matteMode == .fast)
        #expect(try parseVideo(["-i", "a.mp4", "-o", "b.mp4", "--background", "blur"]).outputKind() == .composite)
        #expect(try parseVideo(["--raw", "1280x720", "-o", "-", "--outputs", "alpha", "--no-stabilise"]).outputKind() == .alpha)
        #expect(try VideoCommand.size("1280x720").width == 1280 && VideoCommand.size("1280x720").height == 720)
        for bad in [["-o", "x.webm"], ["--raw", "12x", "-o", "-"], ["--raw", "0x5", "-o", "-"],
                    ["-i", "a.mp4", "-o", "b.webm", "--outputs", "alpha,cutout"],
                    ["-i", "a.mp4", "-o", "b.webm", "--outputs", "alpha", "--background", "blur"],
                    ["-i", "a.mp4", "-o", "b.webm", "--threads", "0"]] {
            #expect(throws: (any Error).self, "\(bad)") { try parseVideo(bad).validate() }
        }
        // The root command dispatches to it.
    }

    @Test func progressLine() {
        #expect(FrameProgress.line(frames: 150, total: 300, seconds: 5) == "[##########----------] 150/300 frames, 30.0 frames/s, ~5 s left")
        #expect(FrameProgress.line(frames: 60, total: nil, seconds: 2) == "60 frames, 30.0 frames/s")
    }

    func makeClip(_ path: String, audio: Bool = false) throws {
        var arguments = ["-hide_banner", "-loglevel", "error", "-y", "-loop", "1", "-framerate", "10", "-i", portrait]
        if audio { arguments += ["-f", "lavfi", "-i", "sine=frequency=440"] }
        arguments += ["-t", "1", "-vf", "scale=200:-2,crop=160:120:x='t*20':y=0", "-c:v", "libx264", "-pix_fmt", "yuv420p"]
        if audio { arguments += ["-c:a", "aac", "-shortest"] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try FFmpeg.path(of: "ffmpeg"))
        process.arguments = arguments + [path]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    func run(_ arguments: [String]) throws -> CapturedConsole {
        let console = CapturedConsole()
        let command = try parseVideo(arguments)
        try command.validate()
        try command.run(console: console.console)
        return console
    }

    @Test(.enabled(if: ffmpegAvailable && modelsAvailable && FileManager.default.fileExists(atPath: portrait)))
    func writesEveryKindOfOutput() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let clip = folder.path + "/talk.mp4"
        try makeClip(clip, audio: true)
        try FileManager.default.createDirectory(atPath: folder.path + "/frames", withIntermediateDirectories: true)
        let console = try run(["-i", clip, "-o", folder.path + "/talk.webm", "--mode", "fast", "--timings"])
        #expect(console.error.contains("10 frames") && console.error.contains("inference"))
        _ = try run(["-i", clip, "-o", folder.path + "/call.mp4", "--mode", "fast", "--background", "blur"])
        _ = try run(["-i", clip, "-o", folder.path + "/alpha.mp4", "--mode", "fast", "--outputs", "alpha"])
        _ = try run(["-i", clip, "-o", folder.path + "/frames/%05d.png", "--mode", "fast"])
        #expect(folder.contents() == ["alpha.mp4", "call.mp4", "frames", "talk.mp4", "talk.webm"])
        #expect(folder.contents("frames").count == 10 && folder.contents("frames").first == "00001.png")
        let first = try ImageDecoder.decode([UInt8](Data(contentsOf: URL(fileURLWithPath: folder.path + "/frames/00001.png"))))
        #expect(first.channels == 4 && first.width == 160 && first.height == 120)
        // The person is in the matte: some pixels opaque, some clear.
        let alphas = stride(from: 3, to: first.pixels.count, by: 4).map { first.pixels[$0] }
        #expect(alphas.contains { $0 > 240 } && alphas.contains { $0 < 15 })

        // Raw frames in, numbered raw alpha frames out.
        let frames = folder.path + "/frames.rgb"
        var raw = [UInt8]()
        for index in 0..<3 { raw += [UInt8](repeating: UInt8(60 * index), count: 32 * 24 * 3) }
        try Data(raw).write(to: URL(fileURLWithPath: frames))
        _ = try run(["--raw", "32x24", "-i", frames, "-o", folder.path + "/frames/a%d.gray", "--outputs", "alpha", "--mode", "fast"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder.path + "/frames/a3.gray")).count == 32 * 24)
        // A short last frame: an error naming it; the frames before it are written.
        try Data(raw + [1, 2, 3]).write(to: URL(fileURLWithPath: frames))
        #expect {
            try run(["--raw", "32x24", "-i", frames, "-o", folder.path + "/frames/b%d.gray", "--outputs", "alpha", "--mode", "fast"])
        } throws: { error in
            "\(error)" == "\(frames): frame 4 is short: the input ended after 3 of its 2304 bytes (32x24 RGB24)"
        }
        #expect(folder.contents("frames").filter { $0.hasPrefix("b") } == ["b1.gray", "b2.gray", "b3.gray"])
    }
}

/// `--skip-existing` and `--watch` on the photo command.
@Suite(.serialized, .enabled(if: modelsAvailable)) struct WatchFolderCommandTests {
    @Test func skipExistingLeavesCurrentOutputsAlone() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write("in/a.png", try EndToEndTests.png(width: 8, height: 6))
        try folder.write("in/b.png", try EndToEndTests.png(width: 8, height: 6))
        let first = try EndToEndTests.run(["-i", folder.path + "/in", "-d", folder.path + "/out", "--skip-existing", "--threads", "1"])
        #expect(first.failed == 0 && first.console.error.contains("done 2"))
        // b changes after its outputs were made: only b runs again.
        usleep(20_000)
        try folder.write("in/b.png", try EndToEndTests.png(width: 9, height: 6))
        let second = try EndToEndTests.run(["-i", folder.path + "/in", "-d", folder.path + "/out", "--skip-existing", "--threads", "1"])
        #expect(second.console.error.contains("skipped 1 input(s)") && second.console.error.contains("done 1"))
        #expect(second.console.error.contains("/in/b.png") && !second.console.error.contains("/in/a.png"))
    }

    @Test func watchNeedsOneFolder() {
        #expect(throws: (any Error).self) { try MatteCommand.parse(["--watch"]) }
        #expect(throws: (any Error).self) { try MatteCommand.parse(["--watch", "-i", "/etc/hostname"]) }
    }

    /// The built `matte` beside this test bundle.
    var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("matte").path
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("matte").path)))
    func watchesAFolderUntilSIGTERM() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try FileManager.default.createDirectory(atPath: folder.path + "/inbox", withIntermediateDirectories: true)
        try folder.write("inbox/early.png", try EndToEndTests.png(width: 8, height: 6))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["-i", folder.path + "/inbox", "--watch", "-d", folder.path + "/done", "--threads", "1"]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        func waitFor(_ name: String) -> Bool {
            for _ in 0..<200 {
                if FileManager.default.fileExists(atPath: folder.path + "/done/" + name) { return true }
                usleep(50_000)
            }
            return false
        }
        #expect(waitFor("early_alpha.png"))
        // A photo arriving in pieces is matted once whole.
        let late = try EndToEndTests.png(width: 10, height: 8)
        try folder.write("inbox/late.png", Array(late.prefix(20)))
        usleep(100_000)
        try folder.write("inbox/late.png", late)
        #expect(waitFor("late_cutout.png"))
        let made = try FileManager.default.attributesOfItem(atPath: folder.path + "/done/early_alpha.png")[.modificationDate] as? Date
        usleep(1_200_000)
        // Not matted again while its outputs are newer.
        #expect(try FileManager.default.attributesOfItem(atPath: folder.path + "/done/early_alpha.png")[.modificationDate] as? Date == made)
        process.terminate()
        process.waitUntilExit()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("stopped watching"))
        #expect(!text.contains("failed 1"))
    }
}
