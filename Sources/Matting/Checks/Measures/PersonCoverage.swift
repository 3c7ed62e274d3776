/// How much of the photo the person covers, and whether the person runs off its top edge, from the
/// person probability on a grid stretched over the whole photo (the selfie network's output, so
/// every cell stands for the same share of the photo).
struct PersonCoverage: Sendable, Equatable {
    /// Share of cells at 0.5 or more, [0, 1].
    var fraction: Float
    /// Share of the top row's cells at 0.5 or more: a person cut through the head covers much of it.
    var topEdgeShare: Float

    init(person: Plane) {
        let count = person.values.count
        fraction = count > 0 ? Float(person.values.filter { $0 >= 0.5 }.count) / Float(count) : 0
        topEdgeShare = person.width > 0
            ? Float(person.values.prefix(person.width).filter { $0 >= 0.5 }.count) / Float(person.width) : 0
    }
}
