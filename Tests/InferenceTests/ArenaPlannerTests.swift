import Testing
@testable import Inference

@Suite struct ArenaPlannerTests {
    /// Blocks alive at the same step never share a float; every offset is 64-byte aligned.
    @Test(arguments: 0..<20)
    func blocksAliveTogetherNeverOverlap(seed: UInt64) {
        var values = SeededValues(seed: seed)
        let blocks = (0..<40).map { _ in
            let first = Int(abs(values.next()) * 30)
            return ArenaPlanner.Lifetime(first: first - 1, last: first + Int(abs(values.next()) * 8),
                                         count: 1 + Int(abs(values.next()) * 5000))
        }
        let (offsets, size) = ArenaPlanner.place(blocks)
        for a in blocks.indices {
            #expect(offsets[a] % 16 == 0)
            #expect(offsets[a] + blocks[a].count <= size)
            for b in blocks.indices where b > a && blocks[a].overlaps(blocks[b]) {
                #expect(offsets[a] + blocks[a].count <= offsets[b] || offsets[b] + blocks[b].count <= offsets[a],
                        "blocks \(a) and \(b) share space")
            }
        }
        // Never more than the largest sum of blocks alive at one step, give or take the rounding.
        let steps = blocks.map(\.first).min()!...blocks.map(\.last).max()!
        let largestLiveSet = steps.map { step in
            blocks.filter { $0.first <= step && step <= $0.last }.reduce(0) { $0 + ($1.count + 15) / 16 * 16 }
        }.max()!
        #expect(size >= largestLiveSet)
    }

    /// A small block ends just as a large one begins: written in order, first fit leaves the large
    /// block no room in the small one's space and grows to 256 floats; by size the large one goes
    /// first and the arena is the largest live set, 192.
    @Test func largestFirstLeavesNoHole() {
        let blocks = [
            ArenaPlanner.Lifetime(first: 0, last: 0, count: 64),
            ArenaPlanner.Lifetime(first: 0, last: 2, count: 64),
            ArenaPlanner.Lifetime(first: 1, last: 2, count: 128),
        ]
        #expect(ArenaPlanner.place(blocks).size == 192)
    }
}
