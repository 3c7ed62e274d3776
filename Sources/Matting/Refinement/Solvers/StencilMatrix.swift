import Parallelism

/// Consecutive active pixels on one row of a grid: `count` pixels from (`x`, `y`), numbered
/// `index ..< index + count` among the active pixels (raster order).
struct PixelRun: Sendable, Equatable {
    var x: Int
    var y: Int
    var count: Int
    var index: Int
}

/// A square sparse matrix over the active pixels of a grid, each pixel coupled to those at most two
/// pixels away in x and y (a 5x5 stencil): the shape of the matting Laplacian of 3x3 windows and of
/// every Galerkin coarsening of it.
///
/// Rows and columns are the active pixels in raster order. Vectors over them are "compact":
/// `count` values, one per active pixel. Coefficients are stored tap-major
/// (`coefficients[tap * count + row]`), tap `(dy + 2) * 5 + (dx + 2)` coupling the pixel to its
/// neighbour at offset (dx, dy); taps towards inactive pixels or off the grid hold zero. Products run
/// over runs of active pixels, eight pixels at a time.
struct StencilMatrix: Sendable {
    /// How far a pixel couples, in pixels along x and y.
    static let reach = 2
    /// Side and number of stencil taps.
    static let span = 2 * reach + 1
    static let taps = span * span
    /// The tap of the pixel itself (the diagonal).
    static let centreTap = taps / 2

    let width: Int
    let height: Int
    /// Runs of active pixels in raster order.
    let runs: [PixelRun]
    /// Number of active pixels: rows of the matrix.
    let count: Int
    /// The row of the active pixel at each position of the padded grid (`reach` pixels of border
    /// on every side, see `paddedPosition`), or -1.
    let indices: [Int32]
    /// `taps * count` values, tap-major (and 8 spare zeros).
    var coefficients: [Float]
    /// Offsets of the taps in the padded grid.
    let tapOffsets: [Int]

    var paddedWidth: Int { width + 2 * Self.reach }
    var paddedHeight: Int { height + 2 * Self.reach }

    /// An all-zero matrix over the pixels where `active` (`width * height`, row-major) is true.
    init(width: Int, height: Int, active: [Bool]) {
        precondition(active.count == width * height, "mask of \(active.count) does not fill \(width)x\(height)")
        self.width = width
        self.height = height
        let paddedWidth = width + 2 * Self.reach
        var indices = [Int32](repeating: -1, count: paddedWidth * (height + 2 * Self.reach))
        var runs: [PixelRun] = []
        var count = 0
        for y in 0..<height {
            var x = 0
            while x < width {
                guard active[y * width + x] else { x += 1; continue }
                let start = x
                while x < width && active[y * width + x] {
                    indices[(y + Self.reach) * paddedWidth + x + Self.reach] = Int32(count + x - start)
                    x += 1
                }
                runs.append(PixelRun(x: start, y: y, count: x - start, index: count))
                count += x - start
            }
        }
        self.runs = runs
        self.count = count
        self.indices = indices
        // Eight spare values at the end: `multiply` reads whole vectors of eight past a run's end.
        self.coefficients = [Float](repeating: 0, count: Self.taps * count + 8)
        self.tapOffsets = (0..<Self.taps).map { tap in
            (tap / Self.span - Self.reach) * paddedWidth + tap % Self.span - Self.reach
        }
    }

    /// Position of pixel (x, y) in the padded grid; x in -reach..<width + reach, likewise y.
    @inline(__always)
    func paddedPosition(x: Int, y: Int) -> Int {
        (y + Self.reach) * paddedWidth + x + Self.reach
    }


    /// The row (active pixel number) at (x, y), or nil if inactive or off the grid.
    func index(x: Int, y: Int) -> Int? {
        guard x >= -Self.reach, x < width + Self.reach, y >= -Self.reach, y < height + Self.reach else { return nil }
        let index = indices[paddedPosition(x: x, y: y)]
        return index >= 0 ? Int(index) : nil
    }

    /// The diagonal of the matrix.
    var diagonal: [Float] {
        Array(coefficients[Self.centreTap * count..<(Self.centreTap + 1) * count])
    }

    /// Runs split into `parts` contiguous groups of about equal pixel counts.
    func runGroups(_ parts: Int) -> [Range<Int>] {
        PixelRun.groups(of: runs, pixels: count, parts: parts)
    }

    /// A zeroed buffer of the padded grid's size, for `multiply`.
    func makeScratch() -> [Float] {
        // Plus one vector: `multiply` reads up to seven values past the last row.
        [Float](repeating: 0, count: paddedWidth * paddedHeight + 8)
    }

    /// y = A x for compact vectors `x` and `y` (`count` values each).
    ///
    /// `scratch` is a padded-grid buffer from `makeScratch()`: `x` is laid out on it, and it must hold
    /// zeros wherever no pixel is active (it does if only this method writes to it).
    func multiply(_ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>,
                  scratch: UnsafeMutableBufferPointer<Float>, threads: Int) {
        precondition(x.count >= count && y.count >= count && scratch.count >= paddedWidth * paddedHeight + 8)
        guard count > 0, let xBase = x.baseAddress, let yBase = y.baseAddress,
              let grid = scratch.baseAddress else { return }
        for run in runs {
            (grid + paddedPosition(x: run.x, y: run.y)).update(from: xBase + run.index, count: run.count)
        }
        let offsets = tapOffsets
        // Split from 2048 unknowns (50 k multiply-adds a part): a split costs about a microsecond
        // (`parallelFor`'s helper thread). A 1080p portrait's band (~15 k unknowns) ran its 345
        // products on one core at the former 16 k.
        let groups = runGroups(count >= 2_048 ? threads : 1)
        coefficients.withUnsafeBufferPointer { coefficients in
            offsets.withUnsafeBufferPointer { offsets in
                guard let coefficients = coefficients.baseAddress, let offsets = offsets.baseAddress else { return }
                let count = count
                nonisolated(unsafe) let grid = grid, yBase = yBase
                parallelFor(groups.count, threads: groups.count) { parts in
                    for part in parts {
                        for run in runs[groups[part]] {
                            Self.multiplyRun(run: run, centre: grid + paddedPosition(x: run.x, y: run.y),
                                             offsets: offsets, coefficients: coefficients + run.index,
                                             stride: count, output: yBase + run.index)
                        }
                    }
                }
            }
        }
    }

    /// One run of `multiply`: output[t] = sum over taps of coefficients[tap * stride + t] * centre[t + offsets[tap]].
    @inline(__always)
    static func multiplyRun(run: PixelRun, centre: UnsafePointer<Float>, offsets: UnsafePointer<Int>,
                            coefficients: UnsafePointer<Float>, stride: Int, output: UnsafeMutablePointer<Float>) {
        var t = 0
        while t + 8 <= run.count {
            var sum = SIMD8<Float>()
            for tap in 0..<taps {
                let weights = UnsafeRawPointer(coefficients + tap * stride + t).loadUnaligned(as: SIMD8<Float>.self)
                let values = UnsafeRawPointer(centre + t + offsets[tap]).loadUnaligned(as: SIMD8<Float>.self)
                sum.addProduct(weights, values)
            }
            UnsafeMutableRawPointer(output + t).storeBytes(of: sum, as: SIMD8<Float>.self)
            t += 8
        }
        if t < run.count {
            // The last few pixels as a whole vector too: the lanes past the run read the next run's
            // coefficients (or the spare zeros) and grid values beyond the row (the padding, or the
            // next row), all finite, and are not stored.
            var sum = SIMD8<Float>()
            for tap in 0..<taps {
                let weights = UnsafeRawPointer(coefficients + tap * stride + t).loadUnaligned(as: SIMD8<Float>.self)
                let values = UnsafeRawPointer(centre + t + offsets[tap]).loadUnaligned(as: SIMD8<Float>.self)
                sum.addProduct(weights, values)
            }
            for lane in 0..<run.count - t { output[t + lane] = sum[lane] }
        }
    }

    /// y = A x, plainly: the reference for `multiply`.
    func multiplyReference(_ x: [Float]) -> [Float] {
        var y = [Float](repeating: 0, count: count)
        for run in runs {
            for t in 0..<run.count {
                let row = run.index + t
                var sum: Float = 0
                for tap in 0..<Self.taps {
                    let dx = tap % Self.span - Self.reach, dy = tap / Self.span - Self.reach
                    if let column = index(x: run.x + t + dx, y: run.y + dy) {
                        sum += coefficients[tap * count + row] * x[column]
                    }
                }
                y[row] = sum
            }
        }
        return y
    }

    /// The matrix as dense rows (tests and the coarsest multigrid level).
    func dense() -> [[Double]] {
        var matrix = [[Double]](repeating: [Double](repeating: 0, count: count), count: count)
        for run in runs {
            for t in 0..<run.count {
                let row = run.index + t
                for tap in 0..<Self.taps {
                    let dx = tap % Self.span - Self.reach, dy = tap / Self.span - Self.reach
                    if let column = index(x: run.x + t + dx, y: run.y + dy) {
                        matrix[row][column] += Double(coefficients[tap * count + row])
                    }
                }
            }
        }
        return matrix
    }
}
