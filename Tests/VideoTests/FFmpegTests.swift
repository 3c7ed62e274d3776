import Foundation
import Imaging
import Matting
import TestSupport
import Testing
@testable import Video

/// Decoding and encoding through the ffmpeg program, on clips it makes from a sample portrait; bad input
/// of every kind fails with the input's name and leaves nothing under the final name.
@Suite(.serialized, .enabled(if: Clips.available, "ffmpeg or the sample portrait missing: run scripts/install-dependencies and scripts/fetch-assets"))
struct FFmpegTests {
    /// Runs `source` into `sink` with the stand-in matter.
    func run(_ source: FrameSource, _ sink: FrameSink, output: MattingRequest.Output = .cutout) throws -> VideoReport {
        var options = VideoOptions(request: MattingRequest(mode: .fast, outputs: [.composite]), output: output)
        options.stabilise = false
        options.skipUnchanged = false
        return try VideoMatting(matter: StandInMatter(), options: options).run(source: source, sink: sink)
    }

    @Test func probesAndDecodesEveryFrame() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Clips.make(folder.path + "/clip.mp4", audio: true)
        let decoder = try VideoDecoder(path: folder.path + "/clip.mp4")
        #expect(decoder.probe.width == 320 && decoder.probe.height == 180 && decoder.probe.frameRate == "15/1")
        #expect(decoder.probe.audioCodec == "aac" && decoder.probe.frameCount == 30)
        var count = 0
        while let frame = try decoder.next() {
            #expect(frame.width == 320 && frame.height == 180 && frame.channels == 3)
            count += 1
        }
        #expect(count == 30)
    }

    @Test(arguments: [("webm", "yuv420p", true), ("mov", "yuva444p12le", true), ("mp4", "yuv420p", false)])
    func encodesEachContainer(container: String, pixelFormat: String, alpha: Bool) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Clips.make(folder.path + "/clip.mp4", audio: true)
        let decoder = try VideoDecoder(path: folder.path + "/clip.mp4")
        let output = folder.path + "/out." + container
        let encoder = try VideoEncoder(path: output, width: 320, height: 180, channels: alpha ? 4 : 3, frameRate: "15/1",
                                       audioSource: (decoder.path, "aac"))
        let report = try run(decoder, encoder, output: alpha ? .cutout : .composite)
        #expect(report.frames == 30)
        #expect(folder.contents() == ["clip.mp4", "out." + container])
        #expect(try Clips.streams(output, kind: "v", entry: "width,height") == ["320,180"])
        #expect(try Clips.streams(output, kind: "a", entry: "codec_type") == ["audio"])
        if container == "webm" {
            // VP9's alpha rides in a side stream, flagged on the track.
            #expect(try Clips.streams(output, kind: "v", entry: "codec_name:stream_tags=alpha_mode") == ["vp9,1"])
        }
        if container == "mov" { #expect(try Clips.streams(output, kind: "v", entry: "codec_name,pix_fmt") == ["prores,yuva444p12le"]) }
        // The alpha survives: decoded back, the cut-out's alpha is the stand-in's (the red channel), within codec loss.
        if alpha {
            let rgba = try Clips.frames(output, pixelFormat: "rgba")
            #expect(rgba.count == 30 * 320 * 180 * 4)
            var error = 0
            for index in stride(from: 0, to: 320 * 180, by: 7) { error += abs(Int(rgba[index * 4 + 3]) - Int(rgba[index * 4])) }
            #expect(Double(error) / Double(320 * 180 / 7) < 12)
        }
    }

    @Test func transparencyIntoH264IsRefused() throws {
        #expect(throws: VideoError.self) {
            try VideoEncoder(path: NSTemporaryDirectory() + "/x.mp4", width: 8, height: 8, channels: 4, frameRate: "30")
        }
    }

    @Test func anOutputInAMissingFolderIsRefusedBeforeAnyWork() throws {
        let path = "/nonexistent-\(UUID())/out.webm"
        #expect(throws: VideoError(subject: path, reason: "the output folder \((path as NSString).deletingLastPathComponent) does not exist")) {
            try VideoEncoder(path: path, width: 8, height: 8, channels: 4, frameRate: "30")
        }
    }

    /// What a bad input says: the error's text.
    func failure(_ path: String, output: String) -> String? {
        do {
            let decoder = try VideoDecoder(path: path)
            let encoder = try VideoEncoder(path: output, width: decoder.width, height: decoder.height, channels: 4, frameRate: "15")
            _ = try run(decoder, encoder)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func badInputsFailWithTheirNameAndLeaveNoOutput() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Clips.make(folder.path + "/clip.mp4")
        try Clips.make(folder.path + "/clip.webm", codec: ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"])
        let whole = try Data(contentsOf: URL(fileURLWithPath: folder.path + "/clip.webm"))
        try folder.write("in/truncated.webm", [UInt8](whole.prefix(whole.count / 2)))
        let mp4 = try Data(contentsOf: URL(fileURLWithPath: folder.path + "/clip.mp4"))
        try folder.write("in/truncated.mp4", [UInt8](mp4.prefix(mp4.count / 2)))
        var corrupt = [UInt8](whole)
        for index in stride(from: 400, to: corrupt.count, by: 97) { corrupt[index] ^= 0x5A }
        try folder.write("in/corrupt.webm", corrupt)
        try folder.write("in/notes.mp4", Array("just some text, not a video\n".utf8))
        try Clips.run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=300", "-t", "1",
                                 "-c:a", "aac", folder.path + "/in/sound.m4a"])
        try folder.write("in/still.png", try ImageEncoder.png(Image(width: 16, height: 16, channels: 3, filling: 90)))
        try FileManager.default.createDirectory(atPath: folder.path + "/out", withIntermediateDirectories: true)

        let expectations = [
            ("truncated.webm", "truncated"), ("truncated.mp4", "not a readable video"),
            ("corrupt.webm", "decoding failed"), ("notes.mp4", "not a readable video"),
            ("sound.m4a", "no video track"), ("still.png", "a still image"), ("missing.mp4", "no such file"),
        ]
        for (name, reason) in expectations {
            let path = folder.path + "/in/" + name
            let message = try #require(failure(path, output: folder.path + "/out/\(name).webm"), "\(name) was accepted")
            #expect(message.hasPrefix(path + ": ") && message.contains(reason), "\(name): \(message)")
            #expect(!message.contains("\n"))
            #expect(folder.contents("out").isEmpty, "\(name) left \(folder.contents("out"))")
        }
    }

    /// A fake `ffmpeg` first on PATH, for the length of `body`.
    func withFakeFFmpeg(_ script: String, _ body: () throws -> Void) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write("ffmpeg", Array(("#!/bin/sh\n" + script).utf8))
        chmod(folder.path + "/ffmpeg", 0o755)
        let saved = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        setenv("PATH", folder.path + ":" + saved, 1)
        defer { setenv("PATH", saved, 1) }
        try body()
    }

    @Test func aDecoderDyingMidwayIsAnErrorNamingTheInput() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Clips.make(folder.path + "/clip.mp4")
        let frame = 320 * 180 * 3
        try withFakeFFmpeg("head -c \(frame * 2 + 1000) /dev/zero\necho 'Conversion failed: simulated crash' >&2\nexit 1\n") {
            let decoder = try VideoDecoder(path: folder.path + "/clip.mp4")
            #expect(try decoder.next() != nil)
            #expect(try decoder.next() != nil)
            #expect(throws: VideoError(subject: folder.path + "/clip.mp4", reason: "decoding failed at frame 3: Conversion failed: simulated crash")) {
                try decoder.next()
            }
        }
    }

    @Test func anEncoderDyingMidwayLeavesNoOutput() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        // Takes a few frames, writes part of its file, then dies.
        let script = """
            for last in "$@"; do :; done
            head -c 100000 > /dev/null
            echo partial > "${last#file:}"
            echo 'Error while encoding: simulated crash' >&2
            exit 1

            """
        try withFakeFFmpeg(script) {
            let frames = (0..<40).map { _ in Image(width: 320, height: 180, channels: 3, filling: 100) }
            let encoder = try VideoEncoder(path: folder.path + "/out.webm", width: 320, height: 180, channels: 4, frameRate: "30")
            #expect {
                try run(MemorySource(frames), encoder)
            } throws: { error in
                "\(error)".hasPrefix(folder.path + "/out.webm: encoding failed") && "\(error)".contains("simulated crash")
            }
            #expect(folder.contents().isEmpty, "left \(folder.contents())")
        }
    }

    @Test func aMissingFFmpegNamesThePackage() throws {
        let saved = ProcessInfo.processInfo.environment["PATH"] ?? ""
        setenv("PATH", "/nonexistent", 1)
        defer { setenv("PATH", saved, 1) }
        #expect {
            try FFmpeg.path(of: "ffmpeg")
        } throws: { error in
            "\(error)".contains("install Debian's 'ffmpeg' package")
        }
    }
}
