import ArgumentParser
import Foundation
import Imaging
import Matting

/// What `--background` names: a backdrop named in one word (`BackdropName`: a colour, or the photo's own
/// background blurred), or else an image.
enum BackgroundChoice: Equatable {
    case backdrop(Backdrop)
    /// A file path or http(s) URL, read once before any input.
    case image(String)

    /// `blur`, `blur:<radius>`, `#rrggbb`, a colour name (`Colour.names`), or else an image path or URL.
    /// A value starting with `#` or `blur:` must be a valid colour or blur.
    static func parse(_ text: String) throws(ValidationError) -> BackgroundChoice {
        do {
            if let backdrop = try BackdropName.parse(text) { return .backdrop(backdrop) }
        } catch {
            throw ValidationError("--background \(error)")
        }
        guard !text.isEmpty else { throw ValidationError("--background must not be empty") }
        return .image(text)
    }
}

/// Which files the command writes for each input, in which format, over which background: the options
/// `--outputs`, `--format`, `--quality` and `--background` checked together.
struct OutputPlan: Equatable {
    /// In the order alpha, cut-out, composite.
    var kinds: [OutputKind]
    /// Of the cut-out and the composite; the matte is always PNG.
    var format: ImageFormat
    /// For JPEG (nil: 90) and WebP (nil: lossless).
    var quality: Int?
    /// Behind the composite; nil is white.
    var background: BackgroundChoice?

    /// Checks the options against each other.
    ///
    /// - Parameter outputs: `--outputs` as given (comma-separated kinds), or nil for the default: the matte
    ///   and the cut-out, plus the composite when a background is given, without the cut-out for JPEG.
    init(outputs: String?, format: ImageFormat, quality: Int?, background: String?) throws(ValidationError) {
        self.format = format
        self.quality = quality
        self.background = try background.map { text throws(ValidationError) in try BackgroundChoice.parse(text) }

        if let outputs {
            var chosen: Set<OutputKind> = []
            for name in outputs.split(separator: ",", omittingEmptySubsequences: false) {
                let name = name.trimmingCharacters(in: .whitespaces)
                guard let kind = OutputKind(rawValue: name.lowercased()) else {
                    throw ValidationError("--outputs: '\(name)' is not an output; choose from alpha, cutout, composite (comma-separated)")
                }
                chosen.insert(kind)
            }
            kinds = OutputKind.allCases.filter(chosen.contains)
            if self.background != nil && !chosen.contains(.composite) {
                throw ValidationError("--background applies to the composite, which --outputs leaves out (add composite)")
            }
            if format == .jpeg && chosen.contains(.cutout) {
                throw ValidationError("--format jpeg cannot hold the cut-out's transparency: use png or webp, or leave cutout out of --outputs")
            }
        } else {
            kinds = [.alpha, .cutout]
            if self.background != nil { kinds.append(.composite) }
            if format == .jpeg { kinds.removeAll { $0 == .cutout } }
        }
        if format == .jpeg && !kinds.contains(.composite) {
            throw ValidationError("--format jpeg is for composites (JPEG has no transparency): add --background, or use png or webp")
        }
        if let quality {
            guard format != .png else {
                throw ValidationError("--quality applies to jpeg and webp; png is always lossless")
            }
            guard (1...100).contains(quality) else { throw ValidationError("--quality must be 1...100, not \(quality)") }
        }
    }
}

extension ImageFormat: ExpressibleByArgument {
    /// `png`, `webp`, `jpeg` or `jpg`.
    public init?(argument: String) {
        self.init(rawValue: argument.lowercased() == "jpg" ? "jpeg" : argument.lowercased())
    }

    public static var allValueStrings: [String] { ["png", "webp", "jpeg"] }
}
