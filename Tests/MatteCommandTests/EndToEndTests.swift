import ArgumentParser
import Foundation
import Imaging
import Matting
import MattingIO
import TestSupport
import Testing
@testable import MatteCommand

/// Whether `PortraitMatter` can load its models from the default folder.
private let modelsAvailable = (try? PortraitMatter(threads: 1)) != nil

/// Runs the whole command in-process on small generated images (with whatever pipeline `Matting` holds).
/// Skipped when the model files are missing (`scripts/fetch-assets` fetches them).
@Suite(.enabled(if: modelsAvailable, "model files missing: run scripts/fetch-assets"))
struct EndToEndTests {
    /// A `width` x `height` RGB gradient as PNG bytes.
    static func png(width: Int, height: Int) throws -> [UInt8] {
        var image = Image(width: width, height: height, channels: 3)
        for y in 0..<height {
            for x in 0..<width {
                let index = (y * width + x) * 3
                image.pixels[index] = UInt8(truncatingIfNeeded: x * 255 / max(width - 1, 1))
                image.pixels[index + 1] = UInt8(truncatingIfNeeded: y * 255 / max(height - 1, 1))
                image.pixels[index + 2] = 128
            }
        }
        return try ImageEncoder.png(image)
    }

    struct Run {
        var failed: Int
        var exit: Int32?
        var console: CapturedConsole
    }

    /// Parses `arguments` and runs the batch; `exit` is set when the command stopped before the batch.
    static func run(_ arguments: [String], standardInput: FileHandle = FileHandle(forReadingAtPath: "/dev/null")!,
                    terminal: Bool = false) throws -> Run {
        let command = try MatteCommand.parse(arguments)
        let console = CapturedConsole(isTerminal: terminal)
        do {
            let failed = try command.runBatch(console: console.console, standardInput: standardInput)
            return Run(failed: failed, console: console)
        } catch let exit as ExitCode {
            return Run(failed: -1, exit: exit.rawValue, console: console)
        }
    }

    func decode(_ path: String) throws -> Image {
        try ImageDecoder.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    @Test func mattesAFolderAndReportsEachFile() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write("in/person.png", try Self.png(width: 7, height: 5))
        try folder.write("in/other.png", try Self.png(width: 3, height: 4))
        let output = folder.path + "/out/nested"
        let run = try Self.run(["-i", folder.path + "/in", "-d", output, "--threads", "1"])
        #expect(run.failed == 0)
        #expect(folder.contents("out/nested") ==
                ["other_alpha.png", "other_cutout.png", "person_alpha.png", "person_cutout.png"])

        let alpha = try decode(output + "/person_alpha.png")
        #expect((alpha.width, alpha.height, alpha.channels) == (7, 5, 1))
        let cutout = try decode(output + "/person_cutout.png")
        #expect((cutout.width, cutout.height, cutout.channels) == (7, 5, 4))
        #expect(try decode(output + "/other_cutout.png").width == 3)

        // Gradients hold no person: each report line is followed by a no_person warning.
        let lines = run.console.error.split(separator: "\n")
        #expect(lines.count == 5)
        #expect(lines[0].hasPrefix("[1/2] \(folder.path)/in/other.png -> \(output)/other_alpha.png, other_cutout.png ("))
        #expect(lines[1] == "matte: \(folder.path)/in/other.png: warning: no_person: \(CheckWarning.noPersonFound.message)")
        #expect(lines[2].hasPrefix("[2/2] \(folder.path)/in/person.png -> "))
        #expect(lines[3].hasPrefix("matte: \(folder.path)/in/person.png: warning: no_person: "))
        #expect(lines[4].hasPrefix("done 2, failed 0, "))
        #expect(run.console.output.isEmpty)
    }

    @Test func corruptInputFailsAloneWithoutOutputs() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write("good.png", try Self.png(width: 4, height: 4))
        try folder.write("bad.png", Array("this is not an image".utf8))
        let output = folder.path + "/out"
        let run = try Self.run(["-i", folder.path + "/bad.png", folder.path + "/good.png", folder.path + "/absent.jpg",
                                "-d", output])
        #expect(run.failed == 2)
        #expect(folder.contents("out") == ["good_alpha.png", "good_cutout.png"])
        let error = run.console.error
        #expect(error.contains("matte: \(folder.path)/bad.png: "))
        #expect(error.contains("matte: \(folder.path)/absent.jpg: no such file or directory\n"))
        #expect(error.hasSuffix("s\n") && error.contains("done 1, failed 2, "))
        // `run()` turns the failures into exit status 1.
        #expect(throws: ExitCode.failure) {
            try MatteCommand.parse(["-i", folder.path + "/bad.png", "-d", output])
                .run(console: CapturedConsole().console, standardInput: FileHandle(forReadingAtPath: "/dev/null")!)
        }
    }

    @Test func pixelLimitFailsTheInput() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write("wide.png", try Self.png(width: 20, height: 10))
        let run = try Self.run(["-i", folder.path + "/wide.png", "-d", folder.path + "/out", "--max-pixels", "199"])
        #expect(run.failed == 1)
        #expect(run.console.error.contains("matte: \(folder.path)/wide.png: image is 20x10"))
        #expect(folder.contents("out").isEmpty)
    }

    @Test func standardInputWebPAndTimings() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let pipe = Pipe()
        pipe.fileHandleForWriting.write(Data(try Self.png(width: 6, height: 2)))
        try pipe.fileHandleForWriting.close()
        let run = try Self.run(["-i", "-", "--output_dir", folder.path, "--format", "webp", "--timings"],
                               standardInput: pipe.fileHandleForReading)
        #expect(run.failed == 0)
        #expect(folder.contents() == ["stdin_alpha.png", "stdin_cutout.webp"])
        let cutout = try decode(folder.path + "/stdin_cutout.webp")
        #expect((cutout.width, cutout.height) == (6, 2))
        #expect(cutout.channels >= 3)  // a decoder may drop an alpha channel that is opaque everywhere
        let timings = run.console.output
        #expect(timings.hasPrefix("stdin: read "))
        for stage in ["decode", "pre-process", "inference", "post-process", "encode", "write"] {
            #expect(timings.contains(", \(stage) "))
        }
        #expect(timings.contains("\n  post-process: fusion "), "best mode lists the parts of post-process")
    }

    @Test func urlInputAndCollidingNames() throws {
        let image = try Self.png(width: 5, height: 5)
        let server = try LocalHTTPServer { path in
            path == "/missing.png" ? .reply(404) : .reply(200, body: image)
        }
        defer { server.stop() }
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write("a/x.png", image)
        try folder.write("b/x.png", image)
        let run = try Self.run(["-i", folder.path + "/a/x.png", folder.path + "/b/x.png", server.baseURL + "/x.png",
                                server.baseURL + "/missing.png", server.baseURL + "/", "-d", folder.path + "/out"])
        #expect(run.failed == 1)
        #expect(run.console.error.contains("matte: \(server.baseURL)/missing.png: HTTP 404"))
        #expect(folder.contents("out") == [
            "download_alpha.png", "download_cutout.png", "x-2_alpha.png", "x-2_cutout.png",
            "x-3_alpha.png", "x-3_cutout.png", "x_alpha.png", "x_cutout.png",
        ])
    }

    @Test func terminalProgressIsOneUpdatingLine() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write("in/a.png", try Self.png(width: 2, height: 2))
        try folder.write("in/b.png", Array("junk".utf8))
        let run = try Self.run(["-i", folder.path + "/in", "-d", folder.path + "/out"], terminal: true)
        #expect(run.failed == 1)
        let error = run.console.error
        #expect(error.hasPrefix("\r\u{1B}[K[0/2]"))
        #expect(error.contains("\r\u{1B}[K[1/2] "))
        #expect(error.contains(" img/s, ~"))
        #expect(error.contains("\r\u{1B}[Kmatte: \(folder.path)/in/b.png: "))
        #expect(error.hasSuffix("\r\u{1B}[K" + (error.components(separatedBy: "\r\u{1B}[K").last ?? "")))
        #expect(error.components(separatedBy: "\r\u{1B}[K").last?.hasPrefix("done 1, failed 1, ") == true)
    }

    /// Default inputs come from `$MATTE_SAMPLES`; both cases in one test because they change the environment.
    @Test func samplesWhenNoInputIsGiven() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write("samples/portrait.png", try Self.png(width: 3, height: 3))
        try folder.write("samples/extra/skipped.png", try Self.png(width: 3, height: 3))
        let previous = ProcessInfo.processInfo.environment["MATTE_SAMPLES"]
        defer {
            if let previous { setenv("MATTE_SAMPLES", previous, 1) } else { unsetenv("MATTE_SAMPLES") }
        }

        setenv("MATTE_SAMPLES", folder.path + "/samples", 1)
        let run = try Self.run(["-d", folder.path + "/out"])
        #expect(run.failed == 0)
        #expect(folder.contents("out") == ["portrait_alpha.png", "portrait_cutout.png"])

        setenv("MATTE_SAMPLES", folder.path + "/absent", 1)
        let missing = try Self.run(["-d", folder.path + "/out2"])
        #expect(missing.exit == 1)
        #expect(missing.console.error.contains("sample portraits are missing (\(folder.path)/absent)"))
        #expect(missing.console.error.contains(ModelFiles.fetchCommand))
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/out2"))
    }

    @Test func unusableOutputFolderStopsBeforeProcessing() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write("file")
        try folder.write("a.png", try Self.png(width: 2, height: 2))
        let run = try Self.run(["-i", folder.path + "/a.png", "-d", folder.path + "/file"])
        #expect(run.exit == 1)
        #expect(run.console.error.hasPrefix("matte: cannot write \(folder.path)/file: "))
    }

    @Test func compositeOverAColourMatchesTheCutout() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write("p.png", try Self.png(width: 9, height: 7))
        let run = try Self.run(["-i", folder.path + "/p.png", "-d", folder.path + "/out", "--background", "#00ff00"])
        #expect(run.failed == 0)
        #expect(folder.contents("out") == ["p_alpha.png", "p_composite.png", "p_cutout.png"])
        #expect(run.console.error.contains("-> \(folder.path)/out/p_alpha.png, p_cutout.png, p_composite.png ("))
        let cutout = try decode(folder.path + "/out/p_cutout.png")
        let composite = try decode(folder.path + "/out/p_composite.png")
        #expect(composite.channels == 3)
        #expect(composite == cutout.flattened(over: (0, 255, 0)))
    }

    @Test func jpegCompositeOverAnImageWithoutTheCutout() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write("p.png", try Self.png(width: 16, height: 8))
        try folder.write("beach.png", try Self.png(width: 5, height: 9))
        let run = try Self.run(["-i", folder.path + "/p.png", "-d", folder.path + "/out", "--background", folder.path + "/beach.png",
                                "--format", "jpg", "--quality", "95"])
        #expect(run.failed == 0)
        #expect(folder.contents("out") == ["p_alpha.png", "p_composite.jpg"])
        let composite = try decode(folder.path + "/out/p_composite.jpg")
        #expect((composite.width, composite.height, composite.channels) == (16, 8, 3))
    }

    @Test func blurredCompositeAsWebPAndTimings() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write("p.png", try Self.png(width: 12, height: 10))
        let run = try Self.run(["-i", folder.path + "/p.png", "-d", folder.path + "/out", "--background", "blur:3",
                                "--format", "webp", "--outputs", "composite", "--timings"])
        #expect(run.failed == 0)
        #expect(folder.contents("out") == ["p_composite.webp"])
        let composite = try decode(folder.path + "/out/p_composite.webp")
        #expect((composite.width, composite.height) == (12, 10))
        #expect(run.console.output.contains(", composite "))
    }

    /// A background that cannot be used stops the command before any input is processed or any file written.
    @Test(arguments: ["junk.png", "absent.png", "folder"])
    func unusableBackgroundStopsBeforeWriting(background: String) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write("p.png", try Self.png(width: 4, height: 4))
        try folder.write("junk.png", Array("not an image".utf8))
        try folder.write("folder/inside.png", try Self.png(width: 4, height: 4))
        let path = folder.path + "/" + background
        let run = try Self.run(["-i", folder.path + "/p.png", "-d", folder.path + "/out", "--background", path])
        #expect(run.exit == 1)
        let reason = ["junk.png": "not a supported image", "absent.png": "no such file or directory",
                      "folder": "is a directory"][background]!
        #expect(run.console.error.hasPrefix("matte: --background \(path): \(reason)"), "\(run.console.error)")
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/out"))
    }

    @Test func backgroundOverThePixelLimitIsRefused() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write("p.png", try Self.png(width: 4, height: 4))
        try folder.write("big.png", try Self.png(width: 40, height: 40))
        let run = try Self.run(["-i", folder.path + "/p.png", "-d", folder.path + "/out", "--background", folder.path + "/big.png",
                                "--max-pixels", "1000"])
        #expect(run.exit == 1)
        #expect(run.console.error.contains("image is 40x40"))
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/out"))
    }
}
