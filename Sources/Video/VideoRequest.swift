import Matting

/// What to make of one video: the description of a video job that the service builds from a
/// `POST /v1/jobs` with a video body and the worker carries out (`VideoJob.run`), as `MattingRequest`
/// is for a photo. The checks live in `validate()`.
///
/// Its JSON form (the job payload, under `"video"` in `JobRequest`), every key optional:
///
/// ```json
/// {"mode": "fast", "subject": "person", "output": "composite", "format": "mp4", "background": "blur",
///  "stabilise": true, "reuseUnchanged": true, "maxPixels": 8294400, "maxFrames": 18000}
/// ```
///
/// | key | values | default |
/// | --- | --- | --- |
/// | `mode` | `best`, `fast` (as for photos) | `best` |
/// | `subject` | `person`, `any` | `person` |
/// | `output` | the one kind of frame the video holds: `alpha` (grey), `cutout` (with transparency), `composite` (over `background`) | `composite` with a background, else `cutout` |
/// | `format` | `webm` (VP9, alpha kept), `mov` (ProRes 4444, alpha kept), `mp4`, `mkv` (H.264, no alpha) | `webm` for the cut-out, else `mp4` |
/// | `background` | `#rrggbb`, a colour name, `blur`, `blur:<radius>`; `composite` only | white, for a composite |
/// | `stabilise` | steady the mattes over time (`TemporalSmoothing`) | `true` |
/// | `reuseUnchanged` | reuse the last matte for frames that barely changed (`FrameChange`) | `true` |
/// | `maxPixels` | largest frame, width x height, checked from the probe before decoding | 8,294,400 (3840x2160) |
/// | `maxFrames` | most frames, checked from the probe before decoding and again while decoding | 18,000 (10 minutes at 30 frames/s) |
///
/// Unknown keys are refused when decoding.
public struct VideoRequest: Codable, Sendable, Equatable {
    public var mode: MattingOptions.Mode = .best
    public var subject: BranchFusion.Subject = .person
    /// nil: the default (see the table above).
    public var output: MattingRequest.Output?
    /// nil: the default (see the table above).
    public var format: VideoContainer?
    /// What `BackdropName` reads; nil is white. A background image is not taken (a job carries one input).
    public var background: String?
    public var stabilise = true
    public var reuseUnchanged = true
    public var maxPixels = 3840 * 2160
    public var maxFrames = 18_000

    public init(mode: MattingOptions.Mode = .best, subject: BranchFusion.Subject = .person,
                output: MattingRequest.Output? = nil, format: VideoContainer? = nil, background: String? = nil,
                stabilise: Bool = true, reuseUnchanged: Bool = true, maxPixels: Int = 3840 * 2160, maxFrames: Int = 18_000) {
        self.mode = mode
        self.subject = subject
        self.output = output
        self.format = format
        self.background = background
        self.stabilise = stabilise
        self.reuseUnchanged = reuseUnchanged
        self.maxPixels = maxPixels
        self.maxFrames = maxFrames
    }

    /// The kind of frame written.
    public var resolvedOutput: MattingRequest.Output { output ?? (background != nil ? .composite : .cutout) }

    /// The container written.
    public var resolvedFormat: VideoContainer { format ?? (resolvedOutput == .cutout ? .webm : .mp4) }

    /// How the frames are matted: `VideoMatting`'s options.
    public var options: VideoOptions {
        var options = VideoOptions(request: MattingRequest(mode: mode, subject: subject, outputs: [.composite],
                                                           background: background, maxPixels: maxPixels),
                                   output: resolvedOutput)
        options.stabilise = stabilise
        options.skipUnchanged = reuseUnchanged
        return options
    }

    /// Checks the fields against each other.
    ///
    /// - Throws: `RequestError` naming the first field at fault and why.
    public func validate() throws(RequestError) {
        if let background {
            guard background != "image" else {
                throw RequestError(field: "background", reason: "a video job takes no background image: use a colour or blur")
            }
            guard resolvedOutput == .composite else {
                throw RequestError(field: "background", reason: "applies to the composite: set output to composite")
            }
        }
        try options.request.validate()
        if resolvedOutput == .cutout && !resolvedFormat.carriesAlpha {
            throw RequestError(field: "format", reason: "\(resolvedFormat.rawValue) (H.264) has no transparency: use webm or mov for the cut-out, or a background, or output alpha")
        }
        guard maxPixels >= 1 else { throw RequestError(field: "maxPixels", reason: "must be at least 1") }
        guard maxFrames >= 1 else { throw RequestError(field: "maxFrames", reason: "must be at least 1") }
    }

    // MARK: JSON

    enum CodingKeys: String, CodingKey, CaseIterable {
        case mode, subject, output, format, background, stabilise, reuseUnchanged, maxPixels, maxFrames
    }

    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = VideoRequest()
        mode = try container.decodeIfPresent(MattingOptions.Mode.self, forKey: .mode) ?? defaults.mode
        subject = try container.decodeIfPresent(BranchFusion.Subject.self, forKey: .subject) ?? defaults.subject
        output = try container.decodeIfPresent(MattingRequest.Output.self, forKey: .output)
        format = try container.decodeIfPresent(VideoContainer.self, forKey: .format)
        background = try container.decodeIfPresent(String.self, forKey: .background)
        stabilise = try container.decodeIfPresent(Bool.self, forKey: .stabilise) ?? defaults.stabilise
        reuseUnchanged = try container.decodeIfPresent(Bool.self, forKey: .reuseUnchanged) ?? defaults.reuseUnchanged
        maxPixels = try container.decodeIfPresent(Int.self, forKey: .maxPixels) ?? defaults.maxPixels
        maxFrames = try container.decodeIfPresent(Int.self, forKey: .maxFrames) ?? defaults.maxFrames
    }
}
