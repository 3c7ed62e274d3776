import Foundation
import Imaging
import Matting

/// The names of one input's files: `<name>_<output>.<extension>` for each encoded output of its
/// request (`<name>_alpha.png`, `<name>_cutout.webp`, `<name>_composite.jpg`, ...).
public struct OutputFiles: Sendable, Equatable {
    public var name: String

    public init(name: String) {
        self.name = name
    }

    public func fileName(_ file: MattingResult.File) -> String {
        fileName(file.output, format: file.format)
    }

    public func fileName(_ output: MattingRequest.Output, format: ImageFormat) -> String {
        name + "_" + output.rawValue + "." + format.fileExtension
    }
}

/// Output names for a batch of inputs, chosen so no two inputs of a batch share a name.
///
/// 1. Each input's name is its file name without the extension; `stdin` for standard input; for a URL,
///    the last path segment without the extension, reduced to letters, digits, `-`, `_` and `.`
///    (other characters become `_`, and leading `.`, `-` and `_` are dropped), or `download` when nothing
///    is left.
/// 2. When several inputs have the same name (compared ignoring case, as macOS file systems do), those
///    found inside a folder argument are renamed after their path inside that folder, levels joined
///    with `_`: `photos/2024/x.jpg` from `--input photos --recursive` becomes `2024_x`.
/// 3. Inputs still sharing a name keep it for the first in input order and get `-2`, `-3`, ... after it
///    for the later ones, skipping any suffixed name another input already has.
///
/// Names depend only on the list of inputs, never on what already exists in the output folder (existing
/// files of the same name are replaced) or on which inputs fail.
public enum OutputNaming {
    /// Longest name kept, in UTF-8 bytes, so `<name>_composite.webp` (and its temporary name while it is
    /// written) stays within file-system name limits.
    public static let maximumNameLength = 200

    /// One name per item, in the same order.
    public static func names(for items: [InputItem]) -> [String] {
        var names = items.map(baseName)

        // Step 2: inside-folder paths for names that collide.
        let counts = Dictionary(grouping: names.indices, by: { names[$0].lowercased() })
        for (_, indices) in counts where indices.count > 1 {
            for index in indices {
                guard let components = items[index].pathInFolder, components.count > 1,
                      let file = components.last else { continue }
                let qualified = components.dropLast() + [stem(ofFileName: file)]
                names[index] = truncated(qualified.joined(separator: "_"))
            }
        }

        // Step 3: numeric suffixes for what still collides.
        let reserved = Set(names.map { $0.lowercased() })
        var taken = Set<String>()
        for index in names.indices {
            let name = names[index]
            guard taken.contains(name.lowercased()) else {
                taken.insert(name.lowercased())
                continue
            }
            var suffix = 2
            while true {
                let candidate = name + "-\(suffix)"
                let key = candidate.lowercased()
                if !taken.contains(key) && !reserved.contains(key) {
                    names[index] = candidate
                    taken.insert(key)
                    break
                }
                suffix += 1
            }
        }
        return names
    }

    /// Step 1's name for one input, before collisions are considered.
    public static func baseName(of item: InputItem) -> String {
        switch item.location {
        case .standardInput:
            return "stdin"
        case .file(let path):
            let fileName = path.split(separator: "/").last.map(String.init) ?? path
            let stem = stem(ofFileName: fileName)
            return truncated(stem.isEmpty ? "image" : stem)
        case .url(let url):
            let segment = url.path.split(separator: "/").last.map(String.init) ?? ""
            let decoded = segment.removingPercentEncoding ?? segment
            let name = sanitised(stem(ofFileName: decoded))
            return name.isEmpty ? "download" : name
        }
    }

    /// `x.jpg` -> `x`, `a.b.png` -> `a.b`, `.hidden` -> `.hidden`, `noextension` -> `noextension`.
    static func stem(ofFileName name: String) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
        return String(name[..<dot])
    }

    /// Letters, digits, `-`, `_` and `.` kept (ASCII only), other characters turned into `_`, leading
    /// dots, dashes and underscores removed (no hidden files, no `..`, no names that read as options),
    /// truncated to `maximumNameLength`.
    static func sanitised(_ text: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        var result = String(text.map { allowed.contains($0) ? $0 : "_" })
        while let first = result.first, first == "." || first == "_" || first == "-" { result.removeFirst() }
        return truncated(result)
    }

    /// Cuts whole characters off the end until the UTF-8 length is at most `maximumNameLength`.
    static func truncated(_ name: String) -> String {
        var result = name
        while result.utf8.count > maximumNameLength { result.removeLast() }
        return result
    }
}
