import Foundation

/// What the checks found in one photo (`PhotoChecker`): the measures, and the warnings they raise.
///
/// Its JSON (`json(path:)`, and any encoder's) has snake_case keys: `path`, `width`, `height`, `faces` (each `score`,
/// `box` {`x`, `y`, `width`, `height`} and `keypoints` [{`x`, `y`}] in photo pixels, keypoints in
/// `Face.Landmark` order), `person_fraction`, `sharpness`, `exposure` (`face_mean`, `face_dark_share`,
/// `face_bright_share`, `person_mean`, `background_mean`), `warnings` [{`code`, `message`}].
public struct PhotoCheck: Sendable, Equatable, Codable {
    /// The photo's size in pixels (upright).
    public var width: Int
    public var height: Int
    /// Best first.
    public var faces: [Face]
    /// Share of the photo the person mask covers, [0, 1].
    public var personFraction: Float
    /// Variance of the Laplacian of the largest face at a fixed scale (`Sharpness`); nil without a face.
    public var sharpness: Float?
    public var exposure: Exposure
    public var warnings: [CheckWarning]
    /// Time spent on each part of the check; not part of the JSON.
    public var timings = CheckTimings()

    enum CodingKeys: String, CodingKey {
        case width, height, faces, personFraction = "person_fraction", sharpness, exposure, warnings
    }

    /// `ok`, or the warnings' codes joined by commas.
    public var verdict: String {
        warnings.isEmpty ? "ok" : warnings.map(\.code.rawValue).joined(separator: ",")
    }

    /// One JSON object on one line, with `path` first when given.
    public func json(path: String? = nil) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain numbers, strings and optionals cannot fail.
        let body = String(decoding: try! encoder.encode(self), as: UTF8.self)
        guard let path else { return body }
        let pathJSON = String(decoding: try! encoder.encode(path), as: UTF8.self)
        return "{\"path\":\(pathJSON)," + body.dropFirst()
    }
}


/// Time spent on each part of one check.
public struct CheckTimings: Sendable, Equatable {
    /// Pre-processing, the face network, decoding.
    public var faces: Duration = .zero
    /// The selfie network, when the caller did not hand its output over (zero when it did).
    public var person: Duration = .zero
    /// Coverage, sharpness, exposure and the warnings.
    public var measures: Duration = .zero

    public init() {}

    public var total: Duration { faces + person + measures }
}
