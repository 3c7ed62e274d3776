import Foundation

/// One image to process, as found from the command line: a file, a URL or standard input.
public struct InputItem: Sendable, Equatable {
    public enum Location: Sendable, Equatable {
        case file(path: String)
        /// Fetched by `URLFetcher`, which also refuses schemes other than http and https.
        case url(URL)
        case standardInput
    }

    public var location: Location
    /// How messages name the input: the path or URL as given (folder entries as folder + relative path), or `-`.
    public var displayName: String
    /// For a file found inside a folder argument: its path inside that folder, one entry per level,
    /// the last being the file name (`["2024", "x.jpg"]`). Nil for files named directly, URLs and stdin.
    public var pathInFolder: [String]?

    public init(location: Location, displayName: String, pathInFolder: [String]? = nil) {
        self.location = location
        self.displayName = displayName
        self.pathInFolder = pathInFolder
    }
}

/// An argument that named no usable image, with the reason (`no such file or directory`, ...).
public struct InputProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var argument: String
    public var reason: String

    public init(argument: String, reason: String) {
        self.argument = argument
        self.reason = reason
    }

    public var description: String { "\(argument): \(reason)" }
}

/// Turns command-line input arguments into the list of images to process.
///
/// - `-` is standard input.
/// - `scheme://...` is a URL (only http and https are fetched; others fail when read).
/// - A folder contributes every JPEG, PNG and WebP file in it (by extension, case-insensitive),
///   hidden files skipped, sorted by path; `recursive` descends into sub-folders (symbolic links to
///   folders are not followed, so links cannot loop).
/// - Anything else is a file, read whatever its extension (the decoder recognises the format).
public enum InputSource {
    /// File extensions a folder's images are recognised by (lower case).
    public static let imageExtensions: Set<String> = ["jpg", "jpeg", "jpe", "png", "webp"]

    /// The images named by `arguments`, in argument order, and the arguments that named none.
    public static func gather(_ arguments: [String], recursive: Bool) -> (items: [InputItem], problems: [InputProblem]) {
        var items: [InputItem] = []
        var problems: [InputProblem] = []
        for argument in arguments {
            do {
                items += try gather(argument, recursive: recursive)
            } catch let problem as InputProblem {
                problems.append(problem)
            } catch {
                problems.append(InputProblem(argument: argument, reason: "\(error)"))
            }
        }
        return (items, problems)
    }

    /// The images one argument names; throws `InputProblem` when it names none.
    public static func gather(_ argument: String, recursive: Bool) throws -> [InputItem] {
        if argument == "-" {
            return [InputItem(location: .standardInput, displayName: "stdin")]
        }
        if looksLikeURL(argument) {
            guard let url = URL(string: argument) else {
                throw InputProblem(argument: argument, reason: "not a valid URL")
            }
            return [InputItem(location: .url(url), displayName: argument)]
        }
        if argument.isEmpty {
            throw InputProblem(argument: argument, reason: "empty path")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
            throw InputProblem(argument: argument, reason: "no such file or directory")
        }
        guard isDirectory.boolValue else {
            return [InputItem(location: .file(path: argument), displayName: argument)]
        }
        let found = try imagePaths(inFolder: argument, recursive: recursive)
        guard !found.isEmpty else {
            throw InputProblem(argument: argument, reason: recursive
                ? "no JPEG, PNG or WebP images in this folder or its sub-folders"
                : "no JPEG, PNG or WebP images in this folder (--recursive descends into sub-folders)")
        }
        var folder = argument
        while folder.count > 1 && folder.hasSuffix("/") { folder.removeLast() }
        return found.map { components in
            let path = ([folder == "/" ? "" : folder] + components).joined(separator: "/")
            return InputItem(location: .file(path: path), displayName: path, pathInFolder: components)
        }
    }

    /// True for `scheme://rest` where scheme is RFC 3986's `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`.
    public static func looksLikeURL(_ argument: String) -> Bool {
        guard let separator = argument.range(of: "://") else { return false }
        let scheme = argument[..<separator.lowerBound]
        guard let first = scheme.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic else { return false }
        return scheme.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "+-.".unicodeScalars.contains(scalar))
        }
    }

    /// Whether a file name ends in one of `imageExtensions`.
    public static func hasImageExtension(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return false }
        return imageExtensions.contains(name[name.index(after: dot)...].lowercased())
    }

    /// Image files below `folder` as path components relative to it, sorted by those components
    /// (so a folder's files and its sub-folders' files interleave in name order).
    static func imagePaths(inFolder folder: String, recursive: Bool) throws -> [[String]] {
        var found: [[String]] = []
        try collect(folder: folder, prefix: [], recursive: recursive, into: &found)
        return found.sorted { $0.lexicographicallyPrecedes($1) }
    }

    private static func collect(folder: String, prefix: [String], recursive: Bool, into found: inout [[String]]) throws {
        let manager = FileManager.default
        let names: [String]
        do {
            names = try manager.contentsOfDirectory(atPath: folder)
        } catch {
            throw InputProblem(argument: folder, reason: "cannot list folder: \(error.localizedDescription)")
        }
        for name in names where !name.hasPrefix(".") {
            let path = folder + "/" + name
            let isLink = (try? manager.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeSymbolicLink
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }  // dangling link
            if isDirectory.boolValue {
                if recursive && !isLink {
                    try collect(folder: path, prefix: prefix + [name], recursive: true, into: &found)
                }
            } else if hasImageExtension(name) {
                found.append(prefix + [name])
            }
        }
    }
}

/// Reads the bytes of an input: the file, the download, or all of standard input.
public struct InputReader: Sendable {
    public var fetcher: URLFetcher
    /// Where `-` reads from.
    public var standardInput: FileHandle

    public init(fetcher: URLFetcher = URLFetcher(), standardInput: FileHandle = .standardInput) {
        self.fetcher = fetcher
        self.standardInput = standardInput
    }

    public func read(_ item: InputItem) throws -> [UInt8] {
        switch item.location {
        case .file(let path):
            return try Self.readFile(path, name: item.displayName)
        case .url(let url):
            return try fetcher.fetch(url)
        case .standardInput:
            return [UInt8](try standardInput.readToEnd() ?? Data())
        }
    }

    /// The whole file; errors carry the system's reason (`no such file or directory`, `permission denied`).
    static func readFile(_ path: String, name: String) throws -> [UInt8] {
        func problem() -> InputProblem {
            InputProblem(argument: name, reason: String(cString: strerror(errno)).lowercased())
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw problem() }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw problem()
            }
            if count == 0 { return bytes }
            bytes += chunk[0..<count]
        }
    }
}
