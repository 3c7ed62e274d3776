import Matting
import Video

/// The options of `POST /v1/jobs` with a video body, from the query string: the service's spelling of a
/// `VideoRequest`.
///
/// | option | values | default |
/// | --- | --- | --- |
/// | `output` | `cutout` (with transparency), `alpha` (grey), `composite` (over `background`) | `composite` with a background, else `cutout` |
/// | `format` | `webm` (VP9, alpha kept), `mov` (ProRes 4444, alpha kept), `mp4`, `mkv` (H.264) | `webm` for the cut-out, else `mp4` |
/// | `background` | `#rrggbb` (or `rrggbb`), a colour name, `blur` or `blur:<radius>` | `#ffffff` |
/// | `mode` | `best`, `fast` | `best` |
/// | `subject` | `person`, `any` | `person` |
/// | `stabilise` | `true`, `false`: steady the mattes over time | `true` |
/// | `reuseUnchanged` | `true`, `false`: reuse the last matte for frames that barely changed | `true` |
///
/// Each value is read here; how the values fit together is `VideoRequest.validate()`'s to say.
enum VideoJobOptions {
    /// Option names, in the order messages list them.
    static let names = ["output", "format", "background", "mode", "subject", "stabilise", "reuseUnchanged"]

    /// The request for these fields (each name at most once), with the service's limits.
    ///
    /// - Throws: `ServiceError` naming the unknown, repeated, invalid or conflicting option.
    static func request(_ fields: [(name: String, value: String)], maxPixels: Int, maxFrames: Int) throws(ServiceError) -> VideoRequest {
        var request = VideoRequest(maxPixels: maxPixels, maxFrames: maxFrames)
        var seen: Set<String> = []
        for (name, value) in fields {
            guard names.contains(name) else { throw .unknownOption(name, known: names) }
            guard seen.insert(name).inserted else {
                throw .invalidOption(name, value, expected: "the option once (it is given more than once)")
            }
            switch name {
            case "output": request.output = try MatteOptions.choice(name, value)
            case "format": request.format = try MatteOptions.choice(name, value)
            case "background":
                guard value != "image" else {
                    throw .invalidOption(name, value, expected: "a colour or blur (a video job takes no background image)")
                }
                request.background = try MatteOptions.parseBackground(value)
            case "mode": request.mode = try MatteOptions.choice(name, value)
            case "subject": request.subject = try MatteOptions.choice(name, value)
            case "stabilise": request.stabilise = try flag(name, value)
            default: request.reuseUnchanged = try flag(name, value)  // reuseUnchanged
            }
        }
        do throws(RequestError) {
            try request.validate()
        } catch {
            throw .request(error)
        }
        return request
    }

    private static func flag(_ name: String, _ value: String) throws(ServiceError) -> Bool {
        switch value.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw .invalidOption(name, value, expected: "true or false")
        }
    }
}
