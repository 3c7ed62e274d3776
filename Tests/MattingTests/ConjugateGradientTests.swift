import Testing
@testable import Matting

/// Solves a small dense symmetric positive definite system by Gaussian elimination.
func denseSolve(_ matrix: [[Double]], _ b: [Double]) -> [Double] {
    var a = matrix, x = b
    let n = b.count
    for column in 0..<n {
        let pivot = (column..<n).max { abs(a[$0][column]) < abs(a[$1][column]) } ?? column
        a.swapAt(column, pivot)
        x.swapAt(column, pivot)
        for row in column + 1..<n {
            let factor = a[row][column] / a[column][column]
            for k in column..<n { a[row][k] -= factor * a[column][k] }
            x[row] -= factor * x[column]
        }
    }
    for row in stride(from: n - 1, through: 0, by: -1) {
        var sum = x[row]
        for k in row + 1..<n { sum -= a[row][k] * x[k] }
        x[row] = sum / a[row][row]
    }
    return x
}

/// A symmetric positive definite 5x5-stencil matrix on a masked grid: a random symmetric stencil
/// made diagonally dominant.
func randomStencilMatrix(width: Int, height: Int, density: Double, seed: UInt64) -> StencilMatrix {
    var random = TestRandom(seed: seed)
    let active = (0..<width * height).map { _ in random.unit() < density }
    var matrix = StencilMatrix(width: width, height: height, active: active)
    let count = matrix.count
    for run in matrix.runs {
        for t in 0..<run.count {
            let row = run.index + t
            // Set the upper half of the taps and mirror them to the neighbour's row.
            for tap in StencilMatrix.centreTap + 1..<StencilMatrix.taps {
                let dx = tap % StencilMatrix.span - 2, dy = tap / StencilMatrix.span - 2
                guard let column = matrix.index(x: run.x + t + dx, y: run.y + dy) else { continue }
                let value = Float(random.unit() - 0.5)
                matrix.coefficients[tap * count + row] = value
                matrix.coefficients[(StencilMatrix.taps - 1 - tap) * count + column] = value
            }
        }
    }
    for row in 0..<count {
        var sum: Float = 0
        for tap in 0..<StencilMatrix.taps where tap != StencilMatrix.centreTap {
            sum += abs(matrix.coefficients[tap * count + row])
        }
        matrix.coefficients[StencilMatrix.centreTap * count + row] = sum + 0.05
    }
    return matrix
}

func multiplyDense(_ matrix: [[Double]], _ x: [Double]) -> [Double] {
    matrix.map { row in zip(row, x).reduce(0) { $0 + $1.0 * $1.1 } }
}

/// The interpolation P from `coarse` to `fine` as a dense matrix, from its definition: coarse point
/// (X, Y) on fine pixel (2X, 2Y), weight (1 or 1/2 along x) times (1 or 1/2 along y).
func denseInterpolation(fine: StencilMatrix, coarse: StencilMatrix) -> [[Double]] {
    var p = [[Double]](repeating: [Double](repeating: 0, count: coarse.count), count: fine.count)
    for run in fine.runs {
        for t in 0..<run.count {
            let x = run.x + t, y = run.y
            for coarseRun in coarse.runs {
                for u in 0..<coarseRun.count {
                    let dx = abs(x - 2 * (coarseRun.x + u)), dy = abs(y - 2 * coarseRun.y)
                    guard dx <= 1 && dy <= 1 else { continue }
                    p[run.index + t][coarseRun.index + u] = (dx == 0 ? 1 : 0.5) * (dy == 0 ? 1 : 0.5)
                }
            }
        }
    }
    return p
}

@Suite struct ConjugateGradientTests {
    /// CG (plain, Jacobi and multigrid preconditioned) reaches the dense direct solution.
    @Test(arguments: [(6, 5), (11, 9), (20, 13)])
    func matchesDenseSolve(width: Int, height: Int) {
        let matrix = randomStencilMatrix(width: width, height: height, density: 0.8, seed: UInt64(width))
        var random = TestRandom(seed: 11)
        let b = (0..<matrix.count).map { _ in Float(random.unit() - 0.5) }
        let expected = denseSolve(matrix.dense(), b.map(Double.init))
        var scratch = matrix.makeScratch()
        let apply: ConjugateGradient.LinearMap = { input, output in
            scratch.withUnsafeMutableBufferPointer { matrix.multiply(input, into: output, scratch: $0, threads: 1) }
        }
        let jacobi = JacobiPreconditioner(matrix: matrix)
        let multigrid = MultigridPreconditioner(matrix: matrix, coarsestSize: 8)
        let preconditioners: [ConjugateGradient.LinearMap?] = [
            nil, { jacobi.apply($0, into: $1) }, { multigrid.apply($0, into: $1) },
        ]
        for preconditioner in preconditioners {
            var x = [Float](repeating: 0, count: matrix.count)
            let outcome = ConjugateGradient(relativeTolerance: 1e-6, maximumIterations: 500)
                .solve(b, x: &x, operator: apply, preconditioner: preconditioner)
            #expect(outcome.converged)
            for row in 0..<matrix.count { #expect(abs(Double(x[row]) - expected[row]) < 1e-4) }
        }
    }

    @Test func zeroRightHandSideGivesZero() {
        let matrix = randomStencilMatrix(width: 5, height: 5, density: 1, seed: 2)
        var x = [Float](repeating: 3, count: matrix.count)
        var scratch = matrix.makeScratch()
        let outcome = ConjugateGradient(relativeTolerance: 1e-6, maximumIterations: 10).solve(
            [Float](repeating: 0, count: matrix.count), x: &x,
            operator: { input, output in
                scratch.withUnsafeMutableBufferPointer { matrix.multiply(input, into: output, scratch: $0, threads: 1) }
            }, preconditioner: nil)
        #expect(outcome.iterations == 0 && x.allSatisfy { $0 == 0 })
    }

    /// The coarse operator is P^T A P, restriction is P^T and prolongation P.
    @Test(arguments: [(7, 6, 1.0), (12, 9, 0.6), (17, 14, 0.3), (2, 9, 0.9)])
    func galerkinCoarseningMatchesDenseProduct(width: Int, height: Int, density: Double) {
        let fine = randomStencilMatrix(width: width, height: height, density: density, seed: UInt64(width * height))
        let coarse = fine.coarsened(threads: 2)
        let p = denseInterpolation(fine: fine, coarse: coarse)
        // Every coarse point interpolates to some active fine pixel.
        for column in 0..<coarse.count { #expect(p.contains { $0[column] != 0 }) }
        let a = fine.dense()
        let ap = a.map { row in (0..<coarse.count).map { column in zip(row, p).reduce(0) { $0 + $1.0 * $1.1[column] } } }
        let coarseDense = coarse.dense()
        for row in 0..<coarse.count {
            for column in 0..<coarse.count {
                let expected = (0..<fine.count).reduce(0.0) { $0 + p[$1][row] * ap[$1][column] }
                #expect(abs(coarseDense[row][column] - expected) < 1e-4)
            }
        }

        var random = TestRandom(seed: 5)
        let r = (0..<fine.count).map { _ in Float(random.unit() - 0.5) }
        var restricted = [Float](repeating: 0, count: coarse.count)
        r.withUnsafeBufferPointer { r in
            restricted.withUnsafeMutableBufferPointer { fine.restrict(r, to: coarse, into: $0) }
        }
        for row in 0..<coarse.count {
            let expected = (0..<fine.count).reduce(0.0) { $0 + p[$1][row] * Double(r[$1]) }
            #expect(abs(Double(restricted[row]) - expected) < 1e-5)
        }

        let c = (0..<coarse.count).map { _ in Float(random.unit() - 0.5) }
        var prolonged = [Float](repeating: 1, count: fine.count)
        c.withUnsafeBufferPointer { c in
            prolonged.withUnsafeMutableBufferPointer { fine.addProlongation(of: c, from: coarse, to: $0) }
        }
        let expected = multiplyDense(p, c.map(Double.init))
        for row in 0..<fine.count { #expect(abs(Double(prolonged[row]) - 1 - expected[row]) < 1e-5) }
    }

    /// One V-cycle is a symmetric positive definite map, as conjugate gradients need.
    @Test(arguments: [1, 2, 3])
    func multigridCycleIsSymmetricPositive(smoothingSteps: Int) {
        let matrix = randomStencilMatrix(width: 30, height: 22, density: 0.7, seed: 9)
        let multigrid = MultigridPreconditioner(matrix: matrix, smoothingSteps: smoothingSteps, coarsestSize: 20)
        #expect(multigrid.levelCount >= 3)
        var random = TestRandom(seed: 1)
        func cycle(_ r: [Float]) -> [Float] {
            var z = [Float](repeating: 0, count: r.count)
            r.withUnsafeBufferPointer { r in z.withUnsafeMutableBufferPointer { multigrid.apply(r, into: $0) } }
            return z
        }
        for _ in 0..<4 {
            let u = (0..<matrix.count).map { _ in Float(random.unit() - 0.5) }
            let v = (0..<matrix.count).map { _ in Float(random.unit() - 0.5) }
            let uMv = ConjugateGradient.dot(u, cycle(v)), vMu = ConjugateGradient.dot(v, cycle(u))
            #expect(abs(uMv - vMu) <= 1e-4 * (abs(uMv) + abs(vMu) + 1e-3))
            #expect(ConjugateGradient.dot(u, cycle(u)) > 0)
        }
    }

    /// Sparse products, transposes and the stencil conversion against dense arithmetic.
    @Test func sparseMatrixMatchesDense() {
        let stencil = randomStencilMatrix(width: 9, height: 7, density: 0.8, seed: 21)
        let sparse = SparseMatrix(stencil)
        #expect(sparse.dense() == stencil.dense())
        #expect(sparse.diagonal == stencil.diagonal)
        var random = TestRandom(seed: 3)
        var rowStarts = [0], columns: [Int32] = [], values: [Float] = []
        for _ in 0..<stencil.count {
            for column in 0..<5 where random.unit() < 0.5 {
                columns.append(Int32(column))
                values.append(Float(random.unit() - 0.5))
            }
            rowStarts.append(columns.count)
        }
        let tall = SparseMatrix(rowCount: stencil.count, columnCount: 5, rowStarts: rowStarts, columns: columns, values: values)
        let product = sparse.multiplied(by: tall, threads: 2).dense()
        let expected = stencil.dense().map { row in (0..<5).map { column in
            zip(row, tall.dense()).reduce(0.0) { $0 + $1.0 * $1.1[column] }
        } }
        for row in 0..<stencil.count { for column in 0..<5 { #expect(abs(product[row][column] - expected[row][column]) < 1e-5) } }
        let transposed = tall.transposed().dense()
        for row in 0..<stencil.count { for column in 0..<5 { #expect(transposed[column][row] == tall.dense()[row][column]) } }
    }

    /// The tentative interpolation has orthonormal columns and reproduces the near-null space from
    /// the coarse one: T B_coarse = B.
    @Test(arguments: [5, 3])
    func tentativeInterpolationReproducesNearNullSpace(blockSize: Int) {
        let width = 23, height = 17
        var random = TestRandom(seed: UInt64(blockSize))
        var positions: [(x: Int, y: Int)] = []
        for y in 0..<height { for x in 0..<width where random.unit() < 0.8 { positions.append((x, y)) } }
        // Some flat colours (rank-deficient aggregates) and some random ones.
        let nearNull: [Float] = positions.flatMap { position -> [Float] in
            position.x < 8 ? [1, 0.5, 0.5, 0.5] : [1, Float(random.unit()), Float(random.unit()), Float(random.unit())]
        }
        let aggregation = SmoothedAggregation.aggregate(
            positions: positions, nodeStarts: Array(0...positions.count), nearNull: nearNull,
            gridWidth: width, gridHeight: height, blockSize: blockSize)
        let tentative = aggregation.tentative.dense()
        let coarseCount = aggregation.tentative.columnCount
        #expect(aggregation.nearNull.count == coarseCount * 4)
        for first in 0..<coarseCount {
            for second in 0..<coarseCount {
                let product = tentative.reduce(0.0) { $0 + $1[first] * $1[second] }
                #expect(abs(product - (first == second ? 1 : 0)) < 1e-5)
            }
        }
        for row in 0..<positions.count {
            for column in 0..<4 {
                let value = (0..<coarseCount).reduce(0.0) { $0 + tentative[row][$1] * Double(aggregation.nearNull[$1 * 4 + column]) }
                #expect(abs(value - Double(nearNull[row * 4 + column])) < 1e-5)
            }
        }
        // Flat aggregates keep one coarse unknown, others four.
        #expect(coarseCount < ((width + blockSize - 1) / blockSize) * ((height + blockSize - 1) / blockSize) * 4)
    }

    /// The aggregation cycle on a real matting Laplacian is symmetric positive definite and makes
    /// conjugate gradients reach the dense solution in few iterations.
    @Test func aggregationCycleOnMattingLaplacian() {
        let width = 48, height = 40
        let image = testPhoto(width: width, height: height, seed: 5)
        let trimap = testTrimap(width: width, height: height, seed: 6)
        let allColours = MattingLaplacian.colours(of: image)
        let system = MattingLaplacian.build(colours: allColours, trimap: trimap, epsilon: 1e-5)
        let matrix = system.matrix
        var colours = [SIMD4<Float>]()
        for run in matrix.runs { for t in 0..<run.count { colours.append(allColours[run.y * width + run.x + t]) } }
        let cycle = SmoothedAggregation.preconditioner(matrix: matrix, colours: colours, threads: 2, coarsestSize: 40)
        #expect(cycle.levelCount >= 3)
        var random = TestRandom(seed: 2)
        func apply(_ r: [Float]) -> [Float] {
            var z = [Float](repeating: 0, count: r.count)
            r.withUnsafeBufferPointer { r in z.withUnsafeMutableBufferPointer { cycle.apply(r, into: $0) } }
            return z
        }
        for _ in 0..<3 {
            let u = (0..<matrix.count).map { _ in Float(random.unit() - 0.5) }
            let v = (0..<matrix.count).map { _ in Float(random.unit() - 0.5) }
            let uMv = ConjugateGradient.dot(u, apply(v)), vMu = ConjugateGradient.dot(v, apply(u))
            #expect(abs(uMv - vMu) <= 1e-3 * (abs(uMv) + abs(vMu)))
            #expect(ConjugateGradient.dot(u, apply(u)) > 0)
        }
        var scratch = matrix.makeScratch()
        var x = [Float](repeating: 0, count: matrix.count)
        let outcome = ConjugateGradient(relativeTolerance: 1e-6, maximumIterations: 200).solve(
            system.rightHandSide, x: &x,
            operator: { input, output in
                scratch.withUnsafeMutableBufferPointer { matrix.multiply(input, into: output, scratch: $0, threads: 1) }
            }, preconditioner: { cycle.apply($0, into: $1) })
        #expect(outcome.converged && outcome.iterations < 40)
        let expected = denseSolve(matrix.dense(), system.rightHandSide.map(Double.init))
        for row in 0..<matrix.count { #expect(abs(Double(x[row]) - expected[row]) < 1e-3) }
    }
}
