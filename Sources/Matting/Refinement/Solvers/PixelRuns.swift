/// A set of pixels stored as runs along rows, each pixel with a compact position: the pixels in
/// raster order are numbered 0 ..< `count`, and run r holds positions `runs[r].index ..< runs[r].index
/// + runs[r].count`. Rows and columns may lie outside a photo (negative, or past its size): the
/// neighbourhood of a band at the photo's edge is such a set.
///
/// For a band of a few percent of a photo this costs memory in proportion to the band, not to the
/// photo: what `BandLaplacian` keeps its colours, labels and windows on.
struct PixelRuns: Sendable, Equatable {
    /// The first row that may hold runs; rows `firstRow ..< firstRow + rowStarts.count - 1`.
    let firstRow: Int
    /// Runs of row y: `runs[rowStarts[y - firstRow] ..< rowStarts[y - firstRow + 1]]`.
    let rowStarts: [Int]
    /// Runs in raster order; on a row, disjoint, not touching, left to right.
    let runs: [PixelRun]
    /// Pixels in the set.
    let count: Int

    /// The set whose row `firstRow + r` holds the columns `rows[r]` (ranges sorted, disjoint and not
    /// touching: see `merged`).
    init(firstRow: Int, rows: [[Range<Int>]]) {
        self.firstRow = firstRow
        var rowStarts = [0]
        var runs: [PixelRun] = []
        var count = 0
        for (offset, ranges) in rows.enumerated() {
            for range in ranges where !range.isEmpty {
                runs.append(PixelRun(x: range.lowerBound, y: firstRow + offset, count: range.count, index: count))
                count += range.count
            }
            rowStarts.append(runs.count)
        }
        self.rowStarts = rowStarts
        self.runs = runs
        self.count = count
    }

    /// The pixels of a `width` x `height` grid (row-major) whose `mask` byte is not zero.
    init(mask: [UInt8], width: Int, height: Int) {
        precondition(mask.count == width * height, "mask of \(mask.count) does not fill \(width)x\(height)")
        var rows = [[Range<Int>]](repeating: [], count: height)
        mask.withUnsafeBufferPointer { mask in
            for y in 0..<height {
                let row = y * width
                var x = 0
                while x < width {
                    guard mask[row + x] != 0 else { x += 1; continue }
                    let start = x
                    while x < width && mask[row + x] != 0 { x += 1 }
                    rows[y].append(start..<x)
                }
            }
        }
        self.init(firstRow: 0, rows: rows)
    }

    /// Rows holding any run, as a range (empty for an empty set).
    var rows: Range<Int> { firstRow..<firstRow + rowStarts.count - 1 }

    /// The runs of row `y` (none outside `rows`).
    @inline(__always)
    func runs(onRow y: Int) -> ArraySlice<PixelRun> {
        guard rows.contains(y) else { return [] }
        return runs[rowStarts[y - firstRow]..<rowStarts[y - firstRow + 1]]
    }

    /// The compact position of pixel (x, y), or nil when it is not in the set.
    func position(x: Int, y: Int) -> Int? {
        let row = runs(onRow: y)
        // Last run starting at or before x.
        var low = row.startIndex, high = row.endIndex
        while low < high {
            let middle = (low + high) / 2
            if runs[middle].x <= x { low = middle + 1 } else { high = middle }
        }
        guard low > row.startIndex else { return nil }
        let run = runs[low - 1]
        return x < run.x + run.count ? run.index + x - run.x : nil
    }

    /// The pixels at most `radius` away (Chebyshev distance: a square) from a pixel of the set, those
    /// outside `columns` x `rows` dropped when bounds are given.
    func dilated(by radius: Int, columns: Range<Int>? = nil, rows bounds: Range<Int>? = nil) -> PixelRuns {
        guard count > 0 else { return PixelRuns(firstRow: 0, rows: []) }
        var first = rows.lowerBound - radius, last = rows.upperBound + radius
        if let bounds {
            first = max(first, bounds.lowerBound)
            last = min(last, bounds.upperBound)
        }
        guard first < last else { return PixelRuns(firstRow: 0, rows: []) }
        var output: [[Range<Int>]] = []
        output.reserveCapacity(last - first)
        var ranges: [Range<Int>] = []
        for y in first..<last {
            ranges.removeAll(keepingCapacity: true)
            for source in y - radius...y + radius {
                for run in runs(onRow: source) {
                    var range = run.x - radius..<run.x + run.count + radius
                    if let columns { range = range.clamped(to: columns) }
                    if !range.isEmpty { ranges.append(range) }
                }
            }
            output.append(Self.merged(ranges))
        }
        return PixelRuns(firstRow: first, rows: output)
    }

    /// The pixels in either set.
    func union(_ other: PixelRuns) -> PixelRuns {
        guard other.count > 0 else { return self }
        guard count > 0 else { return other }
        let first = min(rows.lowerBound, other.rows.lowerBound), last = max(rows.upperBound, other.rows.upperBound)
        let rows = (first..<last).map { y in
            Self.merged((runs(onRow: y) + other.runs(onRow: y)).map { $0.x..<$0.x + $0.count })
        }
        return PixelRuns(firstRow: first, rows: rows)
    }

    /// Ranges sorted, with overlapping and touching ones joined.
    static func merged(_ ranges: [Range<Int>]) -> [Range<Int>] {
        var result: [Range<Int>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, range.lowerBound <= last.upperBound {
                result[result.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }
}

extension PixelRun {
    /// `runs` (raster order, `pixels` pixels in all) split into `parts` contiguous groups of about
    /// equal pixel counts, for threads.
    static func groups(of runs: [PixelRun], pixels: Int, parts: Int) -> [Range<Int>] {
        let parts = max(1, min(parts, runs.count))
        var bounds = [0]
        for part in 1..<parts {
            let target = pixels * part / parts
            // First run that starts at or after the target pixel number.
            var low = bounds[bounds.count - 1], high = runs.count
            while low < high {
                let middle = (low + high) / 2
                if runs[middle].index < target { low = middle + 1 } else { high = middle }
            }
            bounds.append(low)
        }
        bounds.append(runs.count)
        return (0..<parts).map { bounds[$0]..<bounds[$0 + 1] }
    }
}
