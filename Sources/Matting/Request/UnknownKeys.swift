extension Decoder {
    /// Throws `DecodingError.dataCorrupted` naming the first key of the object being decoded that `keys`
    /// does not list, and the keys it does: a request's JSON with a misspelt field fails instead of
    /// being matted with the field's default.
    public func refuseUnknownKeys<Keys: CodingKey & CaseIterable>(_ keys: Keys.Type) throws {
        let known = Keys.allCases.map(\.stringValue)
        for key in try container(keyedBy: AnyKey.self).allKeys where !known.contains(key.stringValue) {
            throw DecodingError.dataCorrupted(.init(
                codingPath: [key], debugDescription: "unknown key '\(key.stringValue)' (known: \(known.joined(separator: ", ")))"))
        }
    }
}

/// Any key of a JSON object, to list them all.
private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
