import Imaging

/// What to make of one photo: the one description of a matting job that every front door builds (the
/// `matte` command from its options, `matte serve` from query and form fields, a queued job from its
/// JSON payload) and that `PortraitMatter.run` carries out. Front doors translate their own spellings
/// into it; the checks live here, in `validate()`, and nowhere else.
///
/// Its JSON form (the job payload), every key optional:
///
/// ```json
/// {"mode": "best", "subject": "person", "outputs": ["alpha", "cutout", "composite"],
///  "format": "webp", "quality": 85, "background": "blur:24", "maxPixels": 50000000, "check": "report"}
/// ```
///
/// | key | values | default |
/// | --- | --- | --- |
/// | `mode` | `best` (both networks, refined), `fine` (best, then alpha solved again at the photo's own resolution where it is uncertain: hair strands, slower), `fast` (one network, guided upsampling) | `best` |
/// | `subject` | `person` (other objects dropped), `any` (the most salient subject) | `person` |
/// | `outputs` | a non-empty list of `alpha` (grey matte, always PNG), `cutout` (RGBA), `composite` (RGB, over `background`) | `alpha`, `cutout`, and `composite` with a background; no `cutout` in JPEG |
/// | `format` | `png`, `webp` (lossless unless `quality`), `jpeg` (composites only), for the cut-out and the composite | `png` |
/// | `quality` | 1...100, for `jpeg` (default 90) and lossy `webp` | none |
/// | `background` | `#rrggbb`, a colour name, `blur`, `blur:<radius>` (pixels, 1...1000), or `image` (a background image comes with the photo) | white, for a composite |
/// | `maxPixels` | largest photo or background, width x height, checked from the header before decoding | 50,000,000 |
/// | `check` | `report` (the photo checks' findings come with the result), `strict` (a photo with a warning is refused, not matted) | none |
///
/// Unknown keys are refused when decoding, so that a misspelt option is an error, not a silent default.
public struct MattingRequest: Codable, Sendable, Equatable {
    /// The files a request can ask for, in the order they are made.
    public enum Output: String, Codable, Sendable, CaseIterable {
        case alpha, cutout, composite
    }

    public var mode: MattingOptions.Mode = .best
    public var subject: BranchFusion.Subject = .person
    /// nil: the default (see the table above).
    public var outputs: [Output]?
    public var format: ImageFormat = .png
    public var quality: Int?
    /// What `BackdropName` reads, or `image`; nil is white.
    public var background: String?
    public var maxPixels: Int = 50_000_000
    /// Whether to check the photo first (`PhotoChecker`); nil: no checks.
    public var check: CheckMode?

    /// What becomes of the photo checks' findings.
    public enum CheckMode: String, Codable, Sendable, CaseIterable {
        /// They come with the result (`MattingResult.check`).
        case report
        /// A photo with any warning is refused (`PhotoError.checkFailed`) before it is matted.
        case strict
    }

    public init(mode: MattingOptions.Mode = .best, subject: BranchFusion.Subject = .person, outputs: [Output]? = nil,
                format: ImageFormat = .png, quality: Int? = nil, background: String? = nil,
                maxPixels: Int = 50_000_000, check: CheckMode? = nil) {
        self.mode = mode
        self.subject = subject
        self.outputs = outputs
        self.format = format
        self.quality = quality
        self.background = background
        self.maxPixels = maxPixels
        self.check = check
    }

    /// The pipeline's own options: the background behind the person is estimated for a blurred backdrop.
    public var matting: MattingOptions {
        let blurs = if case .blur? = backdrop, resolvedOutputs.contains(.composite) { true } else { false }
        return MattingOptions(mode: mode, subject: subject, estimatesBackground: blurs)
    }

    /// The outputs to make, in `Output` order: `outputs` without repeats, or the default.
    public var resolvedOutputs: [Output] {
        if let outputs { return Output.allCases.filter(outputs.contains) }
        var kinds: [Output] = [.alpha, .cutout]
        if background != nil { kinds.append(.composite) }
        if format == .jpeg { kinds.removeAll { $0 == .cutout } }
        return kinds
    }

    /// What the composite is laid over; nil for `image` (the caller's background image) or when no
    /// composite is made. Valid after `validate()`.
    public var backdrop: Backdrop? {
        guard let background, background != "image" else { return nil }
        return (try? BackdropName.parse(background)) ?? nil
    }

    /// Whether the composite is laid over a background image that must come with the photo.
    public var needsBackgroundImage: Bool { background == "image" && resolvedOutputs.contains(.composite) }

    /// Checks the fields against each other.
    ///
    /// - Throws: `RequestError` naming the first field at fault and why.
    public func validate() throws(RequestError) {
        if let outputs, outputs.isEmpty {
            throw RequestError(field: "outputs", reason: "choose at least one of alpha, cutout, composite")
        }
        let kinds = resolvedOutputs
        if let background {
            if background != "image" {
                let backdrop: Backdrop?
                do throws(BackdropName.Problem) {
                    backdrop = try BackdropName.parse(background)
                } catch {
                    throw RequestError(field: "background", reason: error.description)
                }
                guard backdrop != nil else {
                    throw RequestError(field: "background", reason: "'\(background)' is not #rrggbb, a colour name, blur, blur:<radius> or image")
                }
            }
            if !kinds.contains(.composite) {
                throw RequestError(field: "background", reason: "applies to the composite, which the outputs leave out (add composite)")
            }
        }
        if format == .jpeg {
            if kinds.contains(.cutout) {
                throw RequestError(field: "format", reason: "jpeg cannot hold the cut-out's transparency: use png or webp, or leave cutout out of the outputs")
            }
            if !kinds.contains(.composite) {
                throw RequestError(field: "format", reason: "jpeg is for composites (JPEG has no transparency): add a background or the composite output, or use png or webp")
            }
        }
        if format != .png && kinds == [.alpha] {
            throw RequestError(field: "format", reason: "the matte is always PNG; \(format.rawValue) would apply to the cut-out or the composite, which the outputs leave out")
        }
        if let quality {
            guard format != .png else { throw RequestError(field: "quality", reason: "applies to jpeg and webp; png is always lossless") }
            guard (1...100).contains(quality) else { throw RequestError(field: "quality", reason: "must be 1...100, not \(quality)") }
        }
        guard maxPixels >= 1 else { throw RequestError(field: "maxPixels", reason: "must be at least 1") }
    }

    // MARK: JSON

    enum CodingKeys: String, CodingKey, CaseIterable {
        case mode, subject, outputs, format, quality, background, maxPixels, check
    }

    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        mode = try container.decodeIfPresent(MattingOptions.Mode.self, forKey: .mode) ?? .best
        subject = try container.decodeIfPresent(BranchFusion.Subject.self, forKey: .subject) ?? .person
        outputs = try container.decodeIfPresent([Output].self, forKey: .outputs)
        format = try container.decodeIfPresent(ImageFormat.self, forKey: .format) ?? .png
        quality = try container.decodeIfPresent(Int.self, forKey: .quality)
        background = try container.decodeIfPresent(String.self, forKey: .background)
        maxPixels = try container.decodeIfPresent(Int.self, forKey: .maxPixels) ?? 50_000_000
        check = try container.decodeIfPresent(CheckMode.self, forKey: .check)
    }
}

/// A request field that is invalid, alone or with the others: the field's name in `MattingRequest` and
/// the reason. Front doors name the field their own way (`--format`, `format=`).
public struct RequestError: Error, Equatable, Sendable, CustomStringConvertible {
    public var field: String
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(field): \(reason)" }
}

extension MattingOptions.Mode: Codable {}
extension BranchFusion.Subject: Codable {}
