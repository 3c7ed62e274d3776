/// Something about a photo that makes its matte likely to go wrong, with what to do about it.
public struct CheckWarning: Sendable, Equatable, Codable {
    public enum Code: String, Sendable, CaseIterable, Codable {
        case noPerson = "no_person"
        case severalPeople = "several_people"
        case subjectTooSmall = "subject_too_small"
        case subjectCutOff = "subject_cut_off"
        case blurry
        case underexposed
        case overexposed
        case backlit
        case resolutionTooLarge = "resolution_too_large"
        case resolutionTooSmall = "resolution_too_small"
    }

    public var code: Code
    /// One sentence in plain words: what was found, then what to do.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}

extension CheckWarning {
    /// No face, so no person: said of a photo checked, or matted as a person with an empty mask.
    public static let noPersonFound = CheckWarning(.noPerson, "no person found: matte cuts out people; for other subjects use --subject any")
}
