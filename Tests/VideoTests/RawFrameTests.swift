import Foundation
import Imaging
import TestSupport
import Testing
@testable import Video

@Suite struct RawFrameTests {
    /// A pipe holding `bytes`, its write end closed: the read end's descriptor.
    func pipe(holding bytes: [UInt8]) throws -> Int32 {
        var ends: [Int32] = [0, 0]
        #expect(Foundation.pipe(&ends) == 0)
        let writeEnd = ends[1]
        let writer = Thread {
            _ = bytes.withUnsafeBytes { Descriptor.write(writeEnd, $0) }
            close(writeEnd)
        }
        writer.start()
        return ends[0]
    }

    @Test func readsWholeFramesThenEnds() throws {
        let bytes = (0..<(2 * 3 * 2 * 3)).map { UInt8($0) }
        let descriptor = try pipe(holding: bytes)
        defer { close(descriptor) }
        let reader = RawFrameReader(descriptor: descriptor, width: 3, height: 2, name: "standard input")
        let first = try #require(try reader.next())
        #expect(first.pixels == Array(bytes[0..<18]) && first.channels == 3)
        #expect(try reader.next()?.pixels == Array(bytes[18...]))
        #expect(try reader.next() == nil)
        #expect(reader.count == 2)
    }

    @Test func aShortLastFrameNamesTheFrameAndItsBytes() throws {
        let descriptor = try pipe(holding: [UInt8](repeating: 9, count: 18 + 18 + 7))
        defer { close(descriptor) }
        let reader = RawFrameReader(descriptor: descriptor, width: 3, height: 2, name: "standard input")
        _ = try reader.next()
        _ = try reader.next()
        #expect(throws: VideoError(subject: "standard input",
                                   reason: "frame 3 is short: the input ended after 7 of its 18 bytes (3x2 RGB24)")) {
            try reader.next()
        }
    }

    @Test func writesFramesBackToBack() throws {
        var ends: [Int32] = [0, 0]
        #expect(Foundation.pipe(&ends) == 0)
        let writer = RawFrameWriter(descriptor: ends[1], name: "pipe")
        try writer.write(Image(width: 2, height: 1, channels: 1, pixels: [1, 2]))
        try writer.write(Image(width: 2, height: 1, channels: 4, pixels: [3, 4, 5, 6, 7, 8, 9, 10]))
        close(ends[1])
        var buffer = [UInt8](repeating: 0, count: 16)
        let count = buffer.withUnsafeMutableBytes { Descriptor.read(ends[0], into: $0, count: 16) }
        close(ends[0])
        #expect(count == 10 && Array(buffer[0..<10]) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    }

    @Test func framePatterns() throws {
        #expect(FrameFiles.split("frames/%05d.png")! == ("frames/", 5, ".png"))
        #expect(FrameFiles.split("f%d.gray")! == ("f", 0, ".gray"))
        #expect(FrameFiles.split("100%%_%03d.png")! == ("100%_", 3, ".png"))
        #expect(FrameFiles.split("plain.png") == nil)
        #expect(FrameFiles.split("%d_%d.png") == nil)
        #expect(FrameFiles.split("%5d.png") == nil)
        #expect(FrameFiles.split("%s.png") == nil)
    }

    @Test func numberedFilesAreWholeFramesFromOne() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let files = try FrameFiles(pattern: folder.path + "/%03d.png")
        let frame = Image(width: 4, height: 3, channels: 4, filling: 200)
        try files.write(frame)
        try files.write(frame)
        try files.finish()
        #expect(folder.contents() == ["001.png", "002.png"])
        #expect(try ImageDecoder.decode([UInt8](Data(contentsOf: URL(fileURLWithPath: folder.path + "/002.png")))) == frame)

        let raw = try FrameFiles(pattern: folder.path + "/alpha-%d.gray")
        try raw.write(Image(width: 2, height: 1, channels: 1, pixels: [7, 8]))
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: folder.path + "/alpha-1.gray"))) == [7, 8])
    }

    @Test func aPatternInAMissingFolderIsRefused() throws {
        #expect(throws: VideoError.self) { try FrameFiles(pattern: "/nonexistent-folder-\(UUID())/%05d.png") }
    }
}
