/// The backdrops a user writes in one word, the same in the command's `--background` and the
/// service's `background=`: `blur`, `blur:<radius>` (pixels of the photo), `#rrggbb` or a colour
/// name (`Colour.names`). An image backdrop is named differently by each (a path or URL, a
/// multipart file), so it is left to them.
public enum BackdropName {
    /// Largest blur radius accepted, in pixels.
    public static let maximumBlurRadius = 1000

    /// Text that starts like a blur or a colour but is not a valid one.
    public struct Problem: Error, Equatable, CustomStringConvertible {
        public var text: String
        /// What the text should look like.
        public var expected: String
        public var description: String { "'\(text)': \(expected)" }
    }

    /// The backdrop `text` names, or nil when it is none of these forms (for the caller to read as an
    /// image).
    /// - Throws: `Problem` for `blur:` without a radius in 1...`maximumBlurRadius`, or `#` without six
    ///   hexadecimal digits.
    public static func parse(_ text: String) throws(Problem) -> Backdrop? {
        if text == "blur" { return .blur(radius: nil) }
        if text.hasPrefix("blur:") {
            guard let radius = Int(text.dropFirst("blur:".count)), (1...maximumBlurRadius).contains(radius) else {
                throw Problem(text: text, expected: "the blur radius must be 1...\(maximumBlurRadius) pixels")
            }
            return .blur(radius: radius)
        }
        if let colour = Colour(text) { return colour.backdrop }
        if text.hasPrefix("#") { throw Problem(text: text, expected: "a colour is written #rrggbb, six hexadecimal digits") }
        return nil
    }
}
