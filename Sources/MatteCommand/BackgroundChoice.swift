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

    /// `blur`, `blur:<radius>`, `#rrggbb`, a colour name (`Colour.names`), or else an image path or URL;
    /// nil when no background is given. A value starting with `#` or `blur:` must be a valid colour or blur.
    static func parse(_ text: String?) throws(ValidationError) -> BackgroundChoice? {
        guard let text else { return nil }
        do {
            if let backdrop = try BackdropName.parse(text) { return .backdrop(backdrop) }
        } catch {
            throw ValidationError("--background \(error)")
        }
        guard !text.isEmpty else { throw ValidationError("--background must not be empty") }
        return .image(text)
    }
}

extension ImageFormat: ExpressibleByArgument {
    /// `png`, `webp`, `jpeg` or `jpg`.
    public init?(argument: String) {
        self.init(rawValue: argument.lowercased() == "jpg" ? "jpeg" : argument.lowercased())
    }

    public static var allValueStrings: [String] { ["png", "webp", "jpeg"] }
}
