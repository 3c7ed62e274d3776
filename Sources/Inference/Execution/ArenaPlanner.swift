/// Places the blocks of one run's values in a single arena, knowing every block's size and the span of
/// steps it is alive in before any is placed (an offline plan, as a run's schedule is fixed).
///
/// Largest blocks first, each at the lowest offset where it overlaps no placed block alive at the same
/// time ("greedy by size", the order TensorFlow Lite's arena planner also uses). Placing blocks in the
/// order they are written (first fit into freed space) left holes the big late tensors did not fit:
/// U-2-Net-p's arena was 17.51 M floats for a largest live set of 15.29 M.
enum ArenaPlanner {
    /// A block of `count` floats, written at step `first` (-1 for graph inputs, present before the
    /// first step) and last read at step `last` (`Int.max` for graph outputs), both inclusive: a step's
    /// outputs never share space with its inputs.
    struct Lifetime {
        var first: Int
        var last: Int
        var count: Int

        func overlaps(_ other: Lifetime) -> Bool { first <= other.last && other.first <= last }
    }

    /// Offsets in floats, one per block, each a multiple of 16 (64-byte aligned), and the arena's size.
    static func place(_ blocks: [Lifetime]) -> (offsets: [Int], size: Int) {
        var offsets = [Int](repeating: 0, count: blocks.count)
        var placed: [Int] = []
        var size = 0
        let order = blocks.indices.sorted { (blocks[$0].count, blocks[$1].first) > (blocks[$1].count, blocks[$0].first) }
        for index in order {
            let length = rounded(blocks[index].count)
            // The ranges taken by blocks alive at the same time, by offset; the first gap that fits.
            let taken = placed.filter { blocks[$0].overlaps(blocks[index]) }
                .map { (start: offsets[$0], end: offsets[$0] + rounded(blocks[$0].count)) }
                .sorted { $0.start < $1.start }
            var offset = 0
            for range in taken where range.end > offset {
                if range.start - offset >= length { break }
                offset = range.end
            }
            offsets[index] = offset
            size = max(size, offset + length)
            placed.append(index)
        }
        return (offsets, size)
    }

    private static func rounded(_ count: Int) -> Int { (max(count, 1) + 15) & ~15 }
}
