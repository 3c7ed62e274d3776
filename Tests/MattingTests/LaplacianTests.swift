import Testing
import Imaging
@testable import Matting

/// Deterministic pseudo-random numbers for test inputs.
struct TestRandom {
    var state: UInt64

    init(seed: UInt64) { state = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407 }

    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state >> 11
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() % (1 << 40)) / Double(1 << 40) }

    mutating func byte() -> UInt8 { UInt8(next() % 256) }
}

/// The matting Laplacian built densely over all pixels, straight from the paper's definition.
func denseMattingLaplacian(colours: [SIMD4<Float>], width: Int, height: Int, epsilon: Double) -> [[Double]] {
    let count = width * height
    var laplacian = [[Double]](repeating: [Double](repeating: 0, count: count), count: count)
    guard width >= 3 && height >= 3 else { return laplacian }
    for centreY in 1..<height - 1 {
        for centreX in 1..<width - 1 {
            var members: [Int] = []
            for dy in -1...1 { for dx in -1...1 { members.append((centreY + dy) * width + centreX + dx) } }
            let vectors = members.map { index in [0, 1, 2].map { Double(colours[index][$0]) } }
            let mean = [0, 1, 2].map { channel in vectors.reduce(0) { $0 + $1[channel] } / 9 }
            var covariance = [[Double]](repeating: [0, 0, 0], count: 3)
            for vector in vectors {
                for row in 0..<3 { for column in 0..<3 {
                    covariance[row][column] += (vector[row] - mean[row]) * (vector[column] - mean[column]) / 9
                } }
            }
            for diagonal in 0..<3 { covariance[diagonal][diagonal] += epsilon / 9 }
            for (a, i) in members.enumerated() {
                // (Sigma + epsilon / 9 I)^-1 (I_i - mu), by pivoted elimination (backward stable).
                let solved = denseSolve(covariance, [0, 1, 2].map { vectors[a][$0] - mean[$0] })
                for (b, j) in members.enumerated() {
                    var quadratic = 0.0
                    for row in 0..<3 { quadratic += solved[row] * (vectors[b][row] - mean[row]) }
                    laplacian[i][j] += (i == j ? 1 : 0) - (1 + quadratic) / 9
                }
            }
        }
    }
    return laplacian
}

/// A photo of random colours with some flat and some two-colour patches (covariances of every rank).
func testPhoto(width: Int, height: Int, channels: Int = 3, seed: UInt64) -> Image {
    var random = TestRandom(seed: seed)
    var pixels = [UInt8](repeating: 0, count: width * height * channels)
    for y in 0..<height {
        for x in 0..<width {
            for channel in 0..<channels {
                let value: UInt8
                switch (x / 3 + y / 3) % 3 {
                case 0: value = UInt8(40 + 30 * channel)  // flat
                case 1: value = (x + y) % 2 == 0 ? 200 : UInt8(20 * channel)  // two colours
                default: value = random.byte()
                }
                pixels[(y * width + x) * channels + channel] = value
            }
        }
    }
    return Image(width: width, height: height, channels: channels, pixels: pixels)
}

/// A trimap with background on the left, foreground on the right and random unknown pixels between.
func testTrimap(width: Int, height: Int, seed: UInt64) -> Trimap {
    var random = TestRandom(seed: seed)
    var values = [UInt8](repeating: 0, count: width * height)
    for y in 0..<height {
        for x in 0..<width {
            let position = Double(x) / Double(max(width - 1, 1))
            if position < 0.25 { values[y * width + x] = Trimap.background }
            else if position > 0.75 { values[y * width + x] = Trimap.foreground }
            else { values[y * width + x] = random.unit() < 0.85 ? Trimap.unknown : (random.unit() < 0.5 ? 0 : 255) }
        }
    }
    return Trimap(width: width, height: height, values: values)
}

@Suite struct LaplacianTests {
    /// L_UU applied to random vectors, and -L_UK alpha_K, match the dense construction.
    ///
    /// Epsilon 1e-7 is the hard case: windows of rank-deficient colours (flat patches, grey photos)
    /// have covariances of condition ~1e6.
    @Test(arguments: [(5, 4, 3), (9, 7, 3), (12, 10, 1), (8, 11, 4), (16, 5, 3)])
    func matchesDenseConstruction(width: Int, height: Int, channels: Int) {
        let image = testPhoto(width: width, height: height, channels: channels, seed: UInt64(width * 31 + height))
        let trimap = testTrimap(width: width, height: height, seed: UInt64(height))
        let colours = MattingLaplacian.colours(of: image)
        for epsilon in [1e-7, 1e-5, 1e-3] {
            let dense = denseMattingLaplacian(colours: colours, width: width, height: height, epsilon: epsilon)
            let system = MattingLaplacian.build(colours: colours, trimap: trimap, epsilon: epsilon, threads: 2)
            let unknown = trimap.values.indices.filter { Trimap.isUnknown(trimap.values[$0]) }
            #expect(system.matrix.count == unknown.count)

            var random = TestRandom(seed: 7)
            let x = unknown.map { _ in Float(random.unit() * 2 - 1) }
            let product = system.matrix.multiplyReference(x)
            for (row, i) in unknown.enumerated() {
                let expected = unknown.enumerated().reduce(0.0) { $0 + dense[i][$1.element] * Double(x[$1.offset]) }
                let scale = dense[i].reduce(0.0) { $0 + abs($1) } + 1
                #expect(abs(Double(product[row]) - expected) <= 1e-5 * scale,
                        "row \(row) of \(width)x\(height), epsilon \(epsilon)")
                let known = trimap.values.indices.reduce(0.0) {
                    trimap.values[$1] == Trimap.foreground ? $0 - dense[i][$1] : $0
                }
                #expect(abs(Double(system.rightHandSide[row]) - known) <= 1e-5 * scale)
            }
        }
    }

    /// The fast product matches the plain one, across masks that give runs of every length.
    @Test(arguments: [(1, 1), (7, 3), (23, 9), (64, 17), (130, 40)])
    func fastProductMatchesReference(width: Int, height: Int) {
        var random = TestRandom(seed: UInt64(width * height))
        let active = (0..<width * height).map { _ in random.unit() < 0.7 }
        var matrix = StencilMatrix(width: width, height: height, active: active)
        for index in matrix.coefficients.indices { matrix.coefficients[index] = Float(random.unit() - 0.5) }
        // Taps towards inactive pixels hold zero by contract.
        for run in matrix.runs {
            for t in 0..<run.count {
                for tap in 0..<StencilMatrix.taps {
                    let dx = tap % StencilMatrix.span - 2, dy = tap / StencilMatrix.span - 2
                    if matrix.index(x: run.x + t + dx, y: run.y + dy) == nil {
                        matrix.coefficients[tap * matrix.count + run.index + t] = 0
                    }
                }
            }
        }
        let x = (0..<matrix.count).map { _ in Float(random.unit() - 0.5) }
        let expected = matrix.multiplyReference(x)
        var scratch = matrix.makeScratch()
        for threads in [1, 2] {
            var y = [Float](repeating: .nan, count: matrix.count)
            x.withUnsafeBufferPointer { x in
                y.withUnsafeMutableBufferPointer { y in
                    scratch.withUnsafeMutableBufferPointer { scratch in
                        matrix.multiply(x, into: y, scratch: scratch, threads: threads)
                    }
                }
            }
            for row in 0..<matrix.count { #expect(abs(y[row] - expected[row]) < 1e-5) }
        }
    }

    /// The Laplacian annihilates constants: with every pixel unknown but a known foreground
    /// border, the right-hand side equals the row sums of L_UU (L 1 = 0).
    @Test func rowsSumToZero() {
        let width = 10, height = 8
        let image = testPhoto(width: width, height: height, seed: 3)
        var values = [UInt8](repeating: Trimap.unknown, count: width * height)
        for y in 0..<height { for x in 0..<width where x == 0 || y == 0 || x == width - 1 || y == height - 1 {
            values[y * width + x] = Trimap.foreground
        } }
        let trimap = Trimap(width: width, height: height, values: values)
        let system = MattingLaplacian.build(colours: MattingLaplacian.colours(of: image), trimap: trimap, epsilon: 1e-5)
        let ones = [Float](repeating: 1, count: system.matrix.count)
        let rowSums = system.matrix.multiplyReference(ones)
        for row in 0..<system.matrix.count {
            #expect(abs(rowSums[row] - system.rightHandSide[row]) < 1e-4)
        }
    }
}
