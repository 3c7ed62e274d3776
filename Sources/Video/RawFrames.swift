import Foundation
import Imaging

/// Where frames come from, in order.
public protocol FrameSource: AnyObject {
    var width: Int { get }
    var height: Int { get }
    /// Frames expected in all, when known (for progress).
    var frameCount: Int? { get }
    /// The next frame (RGB), or nil after the last.
    func next() throws -> Image?
    /// Stops early (after a failure elsewhere): releases the input.
    func abandon()
}

/// Where frames go, in order.
public protocol FrameSink: AnyObject {
    /// Appends one frame (grey, RGB or RGBA as the sink was made for).
    func write(_ frame: Image) throws
    /// Completes the output; only now does a file output appear under its final name.
    func finish() throws
    /// Stops after a failure: nothing half-written stays under a final name (frames already written to a
    /// stream or as whole numbered files stay valid).
    func abandon()
}

/// Raw RGB24 frames read from a file descriptor: each exactly `width * height * 3` bytes, rows top to
/// bottom, pixels left to right (FFmpeg's `-f rawvideo -pix_fmt rgb24`, rembg's `b W H`).
public final class RawFrameReader: FrameSource {
    public let width: Int
    public let height: Int
    public var frameCount: Int? { nil }
    /// For messages: `standard input`, a path, `ffmpeg`.
    public let name: String
    private let descriptor: Int32
    /// Frames read so far.
    public private(set) var count = 0
    /// Set at the end of the input: later calls return nil without reading.
    private var ended = false

    public init(descriptor: Int32, width: Int, height: Int, name: String) {
        self.descriptor = descriptor
        self.width = width
        self.height = height
        self.name = name
    }

    /// - Throws: `VideoError` when the input ends inside a frame (naming the frame, counted from 1, and
    ///   how many of its bytes came) or cannot be read.
    public func next() throws -> Image? {
        if ended { return nil }
        let size = width * height * 3
        var got: Int? = 0
        let pixels = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            got = Descriptor.read(descriptor, into: UnsafeMutableRawBufferPointer(buffer), count: size)
            initialized = got ?? 0
        }
        guard let got else {
            throw VideoError(subject: name, reason: "cannot read frame \(count + 1): \(String(cString: strerror(errno)))")
        }
        if got == 0 {
            ended = true
            return nil
        }
        guard got == size else {
            throw VideoError(subject: name, reason: "frame \(count + 1) is short: the input ended after \(got) of its \(size) bytes (\(width)x\(height) RGB24)")
        }
        count += 1
        return Image(width: width, height: height, channels: 3, pixels: pixels)
    }

    public func abandon() {}
}

/// Raw frames written to a file descriptor one after another (standard output): `gray` (1 byte a
/// pixel), `rgb24` or `rgba` as the frames come.
public final class RawFrameWriter: FrameSink {
    private let descriptor: Int32
    private let name: String

    public init(descriptor: Int32, name: String) {
        self.descriptor = descriptor
        self.name = name
    }

    public func write(_ frame: Image) throws {
        let written = frame.pixels.withUnsafeBytes { Descriptor.write(descriptor, $0) }
        guard written else { throw VideoError(subject: name, reason: "cannot write: \(String(cString: strerror(errno)))") }
    }

    public func finish() throws {}
    public func abandon() {}
}

/// Frames written as numbered files from a pattern with one `%d` or `%0Nd` (`frames/%05d.png`), numbered
/// from 1 as FFmpeg's image sequences are. `.png` files are PNG (grey, RGB or RGBA); any other extension
/// gets the raw bytes. Each file appears whole under its name (written under a temporary name, then
/// renamed), so an interrupted run leaves only complete frames.
public final class FrameFiles: FrameSink {
    public let pattern: String
    private let prefix: String, suffix: String, digits: Int
    private var number = 0

    /// - Throws: `VideoError` when `pattern` has no single `%d`/`%0Nd`, or its folder does not exist.
    public init(pattern: String) throws(VideoError) {
        self.pattern = pattern
        guard let parts = Self.split(pattern) else {
            throw VideoError(subject: pattern, reason: "a frame pattern needs one %d or %0Nd (frames/%05d.png)")
        }
        prefix = parts.0
        digits = parts.1
        suffix = parts.2
        let folder = (pattern as NSString).deletingLastPathComponent
        var isFolder: ObjCBool = false
        guard folder.isEmpty || (FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) && isFolder.boolValue) else {
            throw VideoError(subject: pattern, reason: "the folder \(folder) does not exist")
        }
    }

    /// Whether `path` is a frame pattern (holds `%d` or `%0Nd`).
    public static func isPattern(_ path: String) -> Bool { split(path) != nil }

    /// (text before, digits, text after) for a pattern with exactly one `%d` or `%0Nd`; `%%` is a `%`.
    static func split(_ pattern: String) -> (String, Int, String)? {
        let characters = Array(pattern)
        var found: (start: Int, end: Int, digits: Int)?
        var index = 0
        while index < characters.count {
            guard characters[index] == "%" else { index += 1; continue }
            var end = index + 1
            var width = ""
            while end < characters.count, characters[end].isASCII, characters[end].isNumber { width.append(characters[end]); end += 1 }
            if end < characters.count, characters[end] == "d", width.isEmpty || width.hasPrefix("0") {
                guard found == nil else { return nil }
                found = (index, end + 1, Int(width) ?? 0)
                index = end + 1
            } else if end == index + 1, end < characters.count, characters[end] == "%" {
                index = end + 1
            } else {
                return nil
            }
        }
        guard let found, found.digits <= 12 else { return nil }
        let unescape = { (text: ArraySlice<Character>) in String(text).replacingOccurrences(of: "%%", with: "%") }
        return (unescape(characters[..<found.start]), found.digits, unescape(characters[found.end...]))
    }

    /// The path of frame `number` (from 1).
    public func path(of number: Int) -> String {
        let text = String(number)
        return prefix + String(repeating: "0", count: max(0, digits - text.count)) + text + suffix
    }

    public func write(_ frame: Image) throws {
        number += 1
        let path = path(of: number)
        let bytes: [UInt8]
        if suffix.lowercased().hasSuffix(".png") {
            bytes = try ImageEncoder.png(frame, threads: 1)
        } else {
            bytes = frame.pixels
        }
        let temporary = (path as NSString).deletingLastPathComponent
            + ((path as NSString).deletingLastPathComponent.isEmpty ? "" : "/")
            + ".\((path as NSString).lastPathComponent).partial-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(bytes)) else {
            throw VideoError(subject: path, reason: "cannot write frame \(number)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw VideoError(subject: path, reason: "cannot write frame \(number): \(reason)")
        }
    }

    public func finish() throws {}
    public func abandon() {}
}
