import Parallelism

/// A multigrid V-cycle, used as the preconditioner of conjugate gradients.
///
/// The levels come from one of two builders: `init(matrix:...)`, geometric multigrid on the stencil's
/// grid (below), or `SmoothedAggregation` (algebraic, the default of `ClosedFormMatting`). Each level
/// has its operator A, its diagonal D and, towards the next coarser level, an interpolation P with
/// restriction P^T; coarse operators are Galerkin products P^T A P. Smoothing is a Chebyshev
/// polynomial in D^-1 A over [upper / 30, upper], with `upper` 1.3 times a power-iteration estimate
/// of its largest eigenvalue; the coarsest level is solved by a dense Cholesky factorisation. Pre-
/// and post-smoothing are the same symmetric polynomial, so the cycle is a symmetric positive
/// definite operator, as conjugate gradients require.
///
/// Geometric multigrid (the V-cycle that Lee and Wu, "Scalable Matting: A Sub-linear Approach"
/// (2014), recommend for the matting Laplacian): each coarser grid is half the size; coarse point
/// (X, Y) sits on fine pixel (2X, 2Y) and interpolates to the fine pixels around it bilinearly
/// (weights 1, 1/2, 1/4), truncated to the active pixels. Coarse operators stay 5x5 stencils.
final class MultigridPreconditioner: @unchecked Sendable {
    typealias LinearMap = (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void

    /// One level's operator, transfers and working vectors (`count` values each).
    final class Level {
        let count: Int
        /// output = A input.
        let multiply: LinearMap
        /// coarse = P^T fine, towards the next coarser level.
        var restrict: LinearMap?
        /// fine += P coarse, from the next coarser level.
        var addProlongation: LinearMap?
        let inverseDiagonal: UnsafeMutableBufferPointer<Float>
        /// Upper bound of the eigenvalues of D^-1 A.
        var upperEigenvalue: Float = 1
        let rightHandSide: UnsafeMutableBufferPointer<Float>
        let solution: UnsafeMutableBufferPointer<Float>
        let residual: UnsafeMutableBufferPointer<Float>
        let step: UnsafeMutableBufferPointer<Float>
        let product: UnsafeMutableBufferPointer<Float>

        init(count: Int, diagonal: [Float], multiply: @escaping LinearMap) {
            self.count = count
            self.multiply = multiply
            func vector() -> UnsafeMutableBufferPointer<Float> {
                let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(count, 1))
                buffer.initialize(repeating: 0)
                return buffer
            }
            inverseDiagonal = vector()
            rightHandSide = vector()
            solution = vector()
            residual = vector()
            step = vector()
            product = vector()
            for (row, value) in diagonal.enumerated() { inverseDiagonal[row] = value > 0 ? 1 / value : 0 }
            upperEigenvalue = estimateUpperEigenvalue()
        }

        deinit {
            for buffer in [inverseDiagonal, rightHandSide, solution, residual, step, product] { buffer.deallocate() }
        }

        func apply(_ input: UnsafeMutableBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) {
            multiply(UnsafeBufferPointer(input), output)
        }

        /// 1.3 times a 12-step power-iteration estimate of the largest eigenvalue of D^-1 A. Power
        /// iteration approaches it from below, slowly when the top eigenvalues cluster; a Chebyshev
        /// smoother whose interval misses the top amplifies those components and can make the cycle
        /// indefinite (1.1 stalled conjugate gradients on some photos), so the margin is generous.
        private func estimateUpperEigenvalue() -> Float {
            guard count > 0 else { return 1 }
            // Work in the residual and product vectors (free until the first cycle).
            let vector = residual
            for row in 0..<count { vector[row] = Float((row &* 2_654_435_761) % 1000) / 1000 + 0.5 }
            var estimate: Float = 1
            for _ in 0..<12 {
                apply(vector, into: product)
                var norm = 0.0, previous = 0.0
                for row in 0..<count {
                    product[row] *= inverseDiagonal[row]
                    norm += Double(product[row]) * Double(product[row])
                    previous += Double(vector[row]) * Double(vector[row])
                }
                guard norm > 0, previous > 0 else { break }
                estimate = Float((norm / previous).squareRoot())
                let scale = Float(1 / norm.squareRoot())
                for row in 0..<count { vector[row] = product[row] * scale }
            }
            return 1.3 * estimate
        }
    }

    private let levels: [Level]
    private let coarsest: DenseCholesky?
    /// Degree of the Chebyshev smoother before and after the coarse correction.
    let smoothingSteps: Int

    /// Number of levels, the finest included.
    var levelCount: Int { levels.count }
    /// Unknowns per level, finest first.
    var levelSizes: [Int] { levels.map(\.count) }

    /// A cycle over `levels` (finest first, each but the last with its transfers), the coarsest
    /// solved exactly if `coarsestMatrix` (its dense form) is given, else by more smoothing.
    init(levels: [Level], coarsestMatrix: [[Double]]?, smoothingSteps: Int) {
        precondition(!levels.isEmpty)
        self.levels = levels
        self.coarsest = coarsestMatrix.map { DenseCholesky($0) }
        self.smoothingSteps = max(smoothingSteps, 1)
    }

    /// Geometric multigrid on the stencil's grid.
    convenience init(matrix: StencilMatrix, threads: Int = 1, smoothingSteps: Int = 2, coarsestSize: Int = 300) {
        var levels: [Level] = []
        var current = matrix
        while true {
            let level = Level(count: current.count, diagonal: current.diagonal,
                              multiply: Self.stencilProduct(current, threads: threads))
            levels.append(level)
            if current.count <= coarsestSize { break }
            let coarse = current.coarsened(threads: threads)
            // Stop if coarsening no longer shrinks the problem (a pathological mask).
            if coarse.count == 0 || coarse.count * 10 > current.count * 9 || levels.count >= 24 { break }
            let fine = current
            level.restrict = { fine.restrict($0, to: coarse, into: $1) }
            level.addProlongation = { fine.addProlongation(of: $0, from: coarse, to: $1) }
            current = coarse
        }
        self.init(levels: levels, coarsestMatrix: current.count <= coarsestSize ? current.dense() : nil,
                  smoothingSteps: smoothingSteps)
    }

    /// y = A x for a stencil matrix, with its own scratch grid.
    static func stencilProduct(_ matrix: StencilMatrix, threads: Int) -> LinearMap {
        nonisolated(unsafe) var scratch = matrix.makeScratch()
        return { input, output in
            scratch.withUnsafeMutableBufferPointer { matrix.multiply(input, into: output, scratch: $0, threads: threads) }
        }
    }

    /// z = M^-1 r: one V-cycle from a zero guess.
    func apply(_ r: UnsafeBufferPointer<Float>, into z: UnsafeMutableBufferPointer<Float>) {
        let finest = levels[0]
        _ = finest.rightHandSide.update(fromContentsOf: r)
        cycle(0)
        _ = z.update(fromContentsOf: finest.solution)
    }

    private func cycle(_ index: Int) {
        let level = levels[index]
        let count = level.count
        if index == levels.count - 1 {
            if let coarsest {
                coarsest.solve(UnsafeBufferPointer(level.rightHandSide), into: level.solution)
            } else {
                level.solution.update(repeating: 0)
                smooth(level, steps: 4 * smoothingSteps, fromZero: true)
            }
            return
        }
        let coarse = levels[index + 1]
        level.solution.update(repeating: 0)
        smooth(level, steps: smoothingSteps, fromZero: true)
        // Residual, restricted to the coarse level.
        level.apply(level.solution, into: level.product)
        for row in 0..<count { level.residual[row] = level.rightHandSide[row] - level.product[row] }
        level.restrict?(UnsafeBufferPointer(level.residual), coarse.rightHandSide)
        cycle(index + 1)
        level.addProlongation?(UnsafeBufferPointer(coarse.solution), level.solution)
        smooth(level, steps: smoothingSteps, fromZero: false)
    }

    /// `steps` steps of Chebyshev iteration on A x = b at one level, preconditioned by the diagonal
    /// (Saad, algorithm 12.1), updating `solution`.
    private func smooth(_ level: Level, steps: Int, fromZero: Bool) {
        let count = level.count
        let upper = level.upperEigenvalue
        let lower = upper / 30
        let theta = (upper + lower) / 2, delta = (upper - lower) / 2
        let sigma = theta / delta
        var rho = 1 / sigma
        let residual = level.residual, step = level.step, product = level.product
        let solution = level.solution, inverseDiagonal = level.inverseDiagonal
        if fromZero {
            _ = residual.update(fromContentsOf: level.rightHandSide)
        } else {
            level.apply(solution, into: product)
            for row in 0..<count { residual[row] = level.rightHandSide[row] - product[row] }
        }
        let firstGain = 1 / theta
        for row in 0..<count { step[row] = firstGain * inverseDiagonal[row] * residual[row] }
        for iteration in 1...steps {
            for row in 0..<count { solution[row] += step[row] }
            if iteration == steps { break }
            level.apply(step, into: product)
            let nextRho = 1 / (2 * sigma - rho)
            let keep = nextRho * rho, gain = 2 * nextRho / delta
            for row in 0..<count {
                residual[row] -= product[row]
                step[row] = keep * step[row] + gain * inverseDiagonal[row] * residual[row]
            }
            rho = nextRho
        }
    }
}

/// The diagonal (Jacobi) preconditioner: z = D^-1 r.
struct JacobiPreconditioner: Sendable {
    let inverseDiagonal: [Float]

    init(matrix: StencilMatrix) {
        inverseDiagonal = matrix.diagonal.map { $0 > 0 ? 1 / $0 : 0 }
    }

    func apply(_ r: UnsafeBufferPointer<Float>, into z: UnsafeMutableBufferPointer<Float>) {
        for row in 0..<inverseDiagonal.count { z[row] = inverseDiagonal[row] * r[row] }
    }
}

/// Cholesky factorisation A = L L^T of a small dense symmetric positive definite matrix, in double
/// precision. A matrix that is not numerically positive definite gets a small diagonal shift.
struct DenseCholesky: Sendable {
    let size: Int
    /// Lower triangle, row-major.
    private var factor: [Double]

    init(_ matrix: [[Double]]) {
        size = matrix.count
        var shift = 0.0
        let largest = (0..<size).map { matrix[$0][$0] }.max() ?? 0
        var factor = [Double](repeating: 0, count: size * size)
        for attempt in 0..<8 {
            if Self.factorise(matrix, shift: shift, into: &factor) { break }
            shift = max(largest, 1e-12) * pow10(attempt - 10)
        }
        self.factor = factor
    }

    private static func factorise(_ matrix: [[Double]], shift: Double, into factor: inout [Double]) -> Bool {
        let size = matrix.count
        for row in 0..<size {
            for column in 0...row {
                var sum = matrix[row][column] + (row == column ? shift : 0)
                for k in 0..<column { sum -= factor[row * size + k] * factor[column * size + k] }
                if row == column {
                    guard sum > 0 else { return false }
                    factor[row * size + row] = sum.squareRoot()
                } else {
                    factor[row * size + column] = sum / factor[column * size + column]
                }
            }
        }
        return true
    }

    func solve(_ b: UnsafeBufferPointer<Float>, into x: UnsafeMutableBufferPointer<Float>) {
        var y = b.map(Double.init)
        for row in 0..<size {
            var sum = y[row]
            for k in 0..<row { sum -= factor[row * size + k] * y[k] }
            y[row] = sum / factor[row * size + row]
        }
        for row in stride(from: size - 1, through: 0, by: -1) {
            var sum = y[row]
            for k in row + 1..<size { sum -= factor[k * size + row] * y[k] }
            y[row] = sum / factor[row * size + row]
        }
        for row in 0..<size { x[row] = Float(y[row]) }
    }
}

private func pow10(_ exponent: Int) -> Double {
    var value = 1.0
    for _ in 0..<abs(exponent) { value *= 10 }
    return exponent < 0 ? 1 / value : value
}

extension StencilMatrix {
    /// The parents of fine coordinate `fine` on the coarse grid, with their interpolation weights:
    /// an even coordinate sits on a coarse point, an odd one between two.
    @inline(__always)
    static func parents(_ fine: Int) -> (first: Int, second: Int, weight: Float) {
        fine & 1 == 0 ? (fine >> 1, fine >> 1, 1) : (fine >> 1, (fine >> 1) + 1, 0.5)
    }

    /// Size of the coarse grid over a fine grid of `length` pixels.
    static func coarseLength(_ length: Int) -> Int { length / 2 + 1 }

    /// The Galerkin coarse operator P^T A P on the grid of half the size, over the coarse points
    /// whose interpolation reaches an active pixel.
    func coarsened(threads: Int = 1) -> StencilMatrix {
        let coarseWidth = Self.coarseLength(width), coarseHeight = Self.coarseLength(height)
        var active = [Bool](repeating: false, count: coarseWidth * coarseHeight)
        for run in runs {
            let (firstY, secondY, _) = Self.parents(run.y)
            for x in run.x..<run.x + run.count {
                let (firstX, secondX, _) = Self.parents(x)
                active[firstY * coarseWidth + firstX] = true
                active[firstY * coarseWidth + secondX] = true
                active[secondY * coarseWidth + firstX] = true
                active[secondY * coarseWidth + secondX] = true
            }
        }
        var coarse = StencilMatrix(width: coarseWidth, height: coarseHeight, active: active)
        let coarseCount = coarse.count
        let coarseRuns = coarse.runs
        let groups = coarse.runGroups(coarseCount >= 4096 ? threads : 1)
        let fineCount = count
        let fine = self
        coarse.coefficients.withUnsafeMutableBufferPointer { output in
            coefficients.withUnsafeBufferPointer { coefficients in
                indices.withUnsafeBufferPointer { indices in
                    nonisolated(unsafe) let output = output
                    parallelFor(groups.count, threads: groups.count) { parts in
                        var sums = [Double](repeating: 0, count: Self.taps)
                        for part in parts {
                            for run in coarseRuns[groups[part]] {
                                for t in 0..<run.count {
                                    let coarseX = run.x + t, coarseY = run.y
                                    for tap in 0..<Self.taps { sums[tap] = 0 }
                                    for dy in -1...1 {
                                        for dx in -1...1 {
                                            let fineX = 2 * coarseX + dx, fineY = 2 * coarseY + dy
                                            let row = Int(indices[fine.paddedPosition(x: fineX, y: fineY)])
                                            guard row >= 0 else { continue }
                                            let weight = Double((dx == 0 ? 1 : 0.5) * (dy == 0 ? 1 : 0.5) as Float)
                                            for tap in 0..<Self.taps {
                                                let value = coefficients[tap * fineCount + row]
                                                guard value != 0 else { continue }
                                                let neighbourX = fineX + tap % Self.span - Self.reach
                                                let neighbourY = fineY + tap / Self.span - Self.reach
                                                let (firstX, secondX, weightX) = Self.parents(neighbourX)
                                                let (firstY, secondY, weightY) = Self.parents(neighbourY)
                                                let scaled = weight * Double(value) * Double(weightX * weightY)
                                                let base = Self.reach - coarseX, top = Self.reach - coarseY
                                                sums[(firstY + top) * Self.span + firstX + base] += scaled
                                                if secondX != firstX {
                                                    sums[(firstY + top) * Self.span + secondX + base] += scaled
                                                }
                                                if secondY != firstY {
                                                    sums[(secondY + top) * Self.span + firstX + base] += scaled
                                                    if secondX != firstX {
                                                        sums[(secondY + top) * Self.span + secondX + base] += scaled
                                                    }
                                                }
                                            }
                                        }
                                    }
                                    let row = run.index + t
                                    for tap in 0..<Self.taps { output[tap * coarseCount + row] = Float(sums[tap]) }
                                }
                            }
                        }
                    }
                }
            }
        }
        return coarse
    }

    /// P^T r: the fine vector `fine` (compact over this matrix's pixels) restricted to `coarse`.
    func restrict(_ fine: UnsafeBufferPointer<Float>, to coarse: StencilMatrix,
                  into result: UnsafeMutableBufferPointer<Float>) {
        for run in coarse.runs {
            for t in 0..<run.count {
                let centreX = 2 * (run.x + t), centreY = 2 * run.y
                var sum: Float = 0
                for dy in -1...1 {
                    for dx in -1...1 {
                        let row = Int(indices[paddedPosition(x: centreX + dx, y: centreY + dy)])
                        guard row >= 0 else { continue }
                        sum += (dx == 0 ? 1 : 0.5) * (dy == 0 ? 1 : 0.5) * fine[row]
                    }
                }
                result[run.index + t] = sum
            }
        }
    }

    /// fine += P c: adds the coarse vector `coarseValues` (over `coarse`'s pixels), interpolated.
    func addProlongation(of coarseValues: UnsafeBufferPointer<Float>, from coarse: StencilMatrix,
                         to fine: UnsafeMutableBufferPointer<Float>) {
        func value(_ x: Int, _ y: Int) -> Float {
            let row = Int(coarse.indices[coarse.paddedPosition(x: x, y: y)])
            return row >= 0 ? coarseValues[row] : 0
        }
        for run in runs {
            let (firstY, secondY, _) = Self.parents(run.y)
            for t in 0..<run.count {
                let (firstX, secondX, _) = Self.parents(run.x + t)
                // Bilinear: along x on each parent row, then along y.
                func alongX(_ y: Int) -> Float {
                    firstX == secondX ? value(firstX, y) : 0.5 * (value(firstX, y) + value(secondX, y))
                }
                let interpolated = firstY == secondY ? alongX(firstY) : 0.5 * (alongX(firstY) + alongX(secondY))
                fine[run.index + t] += interpolated
            }
        }
    }
}
