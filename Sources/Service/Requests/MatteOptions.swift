import Imaging
import Matting

/// The options of `POST /v1/matte`, from the query string and/or form fields.
///
/// | option | values | default |
/// | --- | --- | --- |
/// | `output` | `cutout` (RGBA), `alpha` (grey matte), `composite` (RGB, person over `background`) | `cutout` |
/// | `format` | `png`, `webp` (lossless), `jpeg` (`composite` only: JPEG has no alpha) | `png` |
/// | `background` | `#rrggbb` (or `rrggbb`), a colour name (`white`, `grey`, ...), `blur` or `blur:<radius>` (pixels), `image` (a multipart `background` file); `composite` only | `#ffffff` |
/// | `mode` | `best` (both networks, refined), `fast` (one network, guided upsampling) | `best` |
/// | `subject` | `person` (other objects dropped), `any` (the most salient subject, as rembg) | `person` |
/// | `url` | http(s) URL of the photo, fetched by the server when `--allow-url-fetch` is on | none |
public struct MatteOptions: Sendable, Equatable {
    public enum Output: String, Sendable, CaseIterable { case cutout, alpha, composite }
    public enum Background: Sendable, Equatable {
        /// A colour or a blur, named as `BackdropName` reads them.
        case backdrop(Backdrop)
        /// The multipart `background` file.
        case image
    }

    public var output: Output = .cutout
    public var format: ImageFormat = .png
    public var background: Background?
    public var mode: MattingOptions.Mode = .best
    public var subject: BranchFusion.Subject = .person
    public var url: String?

    public init() {}

    /// Option names, in the order messages list them.
    public static let names = ["output", "format", "background", "mode", "subject", "url"]

    /// Parses option fields (name, value) in order; each name at most once.
    ///
    /// - Parameter backgroundFile: whether a `background` image file came with the request; it implies
    ///   `background=image` and `output=composite` unless they are given otherwise.
    /// - Throws: `ServiceError` naming the unknown, repeated, invalid or conflicting option.
    public static func parse(_ fields: [(name: String, value: String)], backgroundFile: Bool = false) throws(ServiceError) -> MatteOptions {
        var options = MatteOptions()
        var seen: Set<String> = []
        var outputGiven = false
        for (name, value) in fields {
            guard names.contains(name) else { throw .unknownOption(name, known: names) }
            guard seen.insert(name).inserted else {
                throw .invalidOption(name, value, expected: "the option once (it is given more than once)")
            }
            switch name {
            case "output":
                guard let output = Output(rawValue: value) else {
                    throw .invalidOption(name, value, expected: Output.allCases.map(\.rawValue).joined(separator: ", "))
                }
                options.output = output
                outputGiven = true
            case "format":
                guard let format = ImageFormat(rawValue: value == "jpg" ? "jpeg" : value) else {
                    throw .invalidOption(name, value, expected: "png, webp, jpeg")
                }
                options.format = format
            case "background":
                options.background = try parseBackground(value)
            case "mode":
                guard let mode = MattingOptions.Mode(rawValue: value) else {
                    throw .invalidOption(name, value, expected: MattingOptions.Mode.allCases.map(\.rawValue).joined(separator: ", "))
                }
                options.mode = mode
            case "subject":
                guard let subject = BranchFusion.Subject(rawValue: value) else {
                    throw .invalidOption(name, value, expected: BranchFusion.Subject.allCases.map(\.rawValue).joined(separator: ", "))
                }
                options.subject = subject
            default:  // url
                guard !value.isEmpty else { throw .invalidOption(name, value, expected: "an http or https URL") }
                options.url = value
            }
        }

        if backgroundFile {
            if options.background == nil { options.background = .image }
            if !outputGiven { options.output = .composite }
            guard options.background == .image else {
                throw .conflictingOptions("a background image file was sent, but background is not 'image'")
            }
        }
        if options.background == .image && !backgroundFile {
            throw .conflictingOptions("background=image needs a 'background' image file in a multipart/form-data request")
        }
        if options.background != nil && options.output != .composite {
            throw .conflictingOptions("background applies only to output=composite (output is \(options.output.rawValue))")
        }
        if options.format == .jpeg && options.output != .composite {
            throw .conflictingOptions("format=jpeg is only for output=composite: JPEG has no alpha channel (use png or webp)")
        }
        return options
    }

    /// What `BackdropName` reads (`#rrggbb`, a colour name, `blur`, `blur:<radius>`), `rrggbb` (a `#` must be
    /// escaped in a query string), or `image`.
    static func parseBackground(_ value: String) throws(ServiceError) -> Background {
        let expected = "#rrggbb, rrggbb, a colour name, blur, blur:<radius> or image"
        if value == "image" { return .image }
        if value.count == 6, value.allSatisfy(\.isHexDigit), let colour = Colour("#" + value) { return .backdrop(colour.backdrop) }
        let backdrop: Backdrop?
        do throws(BackdropName.Problem) {
            backdrop = try BackdropName.parse(value)
        } catch {
            throw .invalidOption("background", value, expected: "\(expected) (\(error.expected))")
        }
        guard let backdrop else { throw .invalidOption("background", value, expected: expected) }
        return .backdrop(backdrop)
    }

    /// The pipeline's options.
    var matting: MattingOptions { MattingOptions(mode: mode, subject: subject) }

    /// The composite backdrop, given the decoded background image when `background` is `image`.
    func backdrop(image: Image?) -> Backdrop {
        switch background {
        case .backdrop(let backdrop): backdrop
        case .image: image.map { .image($0) } ?? .colour(red: 255, green: 255, blue: 255)
        case nil: .colour(red: 255, green: 255, blue: 255)
        }
    }
}
