import Imaging
import Matting

/// The options of `POST /v1/matte`, from the query string and/or form fields: the service's spelling of a
/// `MattingRequest`, plus what only the service has (which one output to answer with, a URL to fetch).
///
/// | option | values | default |
/// | --- | --- | --- |
/// | `output` | `cutout` (RGBA), `alpha` (grey matte, PNG), `composite` (RGB, person over `background`) | `cutout` |
/// | `format` | `png`, `webp` (lossless unless `quality`), `jpeg` (`composite` only), for the cut-out and the composite | `png` |
/// | `quality` | 1...100, for `jpeg` (default 90) and lossy `webp` | none |
/// | `background` | `#rrggbb` (or `rrggbb`), a colour name (`white`, `grey`, ...), `blur` or `blur:<radius>` (pixels), `image` (a multipart `background` file); `composite` only | `#ffffff` |
/// | `mode` | `best` (both networks, refined), `fast` (one network, guided upsampling) | `best` |
/// | `subject` | `person` (other objects dropped), `any` (the most salient subject, as rembg) | `person` |
/// | `url` | http(s) URL of the photo, fetched by the server when `--allow-url-fetch` is on | none |
/// | `check` | `report` (JSON answers carry the photo checks under `check` anyway), `strict` (a photo with a check warning is refused, 422) | `report` in JSON answers |
///
/// Each value is read here; how the values fit together is `MattingRequest.validate()`'s to say.
public struct MatteOptions: Sendable, Equatable {
    public var output: MattingRequest.Output = .cutout
    public var format: ImageFormat = .png
    public var quality: Int?
    /// As `MattingRequest.background` takes it (`#rrggbb`, a name, `blur[:radius]`, `image`).
    public var background: String?
    public var mode: MattingOptions.Mode = .best
    public var subject: BranchFusion.Subject = .person
    public var url: String?
    public var check: MattingRequest.CheckMode?

    public init() {}

    /// Option names, in the order messages list them.
    public static let names = ["output", "format", "quality", "background", "mode", "subject", "url", "check"]

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
            guard seen.insert(name).inserted else { throw .repeatedOption(name) }
            switch name {
            case "output":
                options.output = try choice(name, value)
                outputGiven = true
            case "format":
                options.format = try choice(name, value == "jpg" ? "jpeg" : value)
            case "quality":
                guard let quality = Int(value) else { throw .invalidOption(name, value, expected: "a whole number 1...100") }
                options.quality = quality
            case "background":
                options.background = try parseBackground(value)
            case "mode":
                options.mode = try choice(name, value)
            case "subject":
                options.subject = try choice(name, value)
            case "check":
                options.check = try choice(name, value)
            default:  // url
                guard !value.isEmpty else { throw .invalidOption(name, value, expected: "an http or https URL") }
                options.url = value
            }
        }

        if backgroundFile {
            if options.background == nil { options.background = "image" }
            if !outputGiven { options.output = .composite }
            guard options.background == "image" else {
                throw .conflictingOptions("a background image file was sent, but background is not 'image'")
            }
        }
        if options.background == "image" && !backgroundFile {
            throw .conflictingOptions("background=image needs a 'background' image file in a multipart/form-data request")
        }
        return options
    }

    /// `value` as one of `Value`'s cases, or `invalidOption` naming `name` and the cases expected.
    static func choice<Value: RawRepresentable & CaseIterable>(_ name: String, _ value: String) throws(ServiceError) -> Value
    where Value.RawValue == String {
        guard let choice = Value(rawValue: value) else {
            throw .invalidOption(name, value, expected: Value.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return choice
    }

    /// What `BackdropName` reads (`#rrggbb`, a colour name, `blur`, `blur:<radius>`), `rrggbb` (a `#` must be
    /// escaped in a query string), or `image`; as `MattingRequest.background` takes it.
    static func parseBackground(_ value: String) throws(ServiceError) -> String {
        let expected = "#rrggbb, rrggbb, a colour name, blur, blur:<radius> or image"
        if value == "image" { return value }
        if value.count == 6, value.allSatisfy(\.isHexDigit), Colour("#" + value) != nil { return "#" + value }
        let backdrop: Backdrop?
        do throws(BackdropName.Problem) {
            backdrop = try BackdropName.parse(value)
        } catch {
            throw .invalidOption("background", value, expected: "\(expected) (\(error.expected))")
        }
        guard backdrop != nil else { throw .invalidOption("background", value, expected: expected) }
        return value
    }

    /// The request to run. A JSON answer carries the matte and the cut-out besides the chosen output
    /// (the cut-out left out when the format is JPEG, which cannot hold it).
    ///
    /// - Throws: `ServiceError` (400, `conflicting_options`) when the options do not fit together.
    public func request(maxPixels: Int, json: Bool) throws(ServiceError) -> MattingRequest {
        var outputs = [output]
        if json {
            outputs += [.alpha]
            if format != .jpeg { outputs += [.cutout] }
        }
        let request = MattingRequest(mode: mode, subject: subject, outputs: outputs, format: format, quality: quality,
                                     background: background, maxPixels: maxPixels,
                                     check: check ?? (json ? .report : nil))
        do throws(RequestError) {
            try request.validate()
        } catch {
            throw .request(error)
        }
        return request
    }
}
