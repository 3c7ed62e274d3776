import Foundation
import Testing
import Imaging
@testable import Matting

/// A photo composed from smooth foreground and background colours under a soft alpha with fine
/// structure, and a trimap whose unknown band covers every fractional alpha.
func syntheticComposite(width: Int, height: Int) -> (image: Image, alpha: Plane, trimap: Trimap) {
    var alpha = Plane(width: width, height: height)
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    let centreX = Float(width) / 2, centreY = Float(height) / 2, radius = Float(min(width, height)) / 3
    for y in 0..<height {
        for x in 0..<width {
            let dx = Float(x) - centreX, dy = Float(y) - centreY
            let wave: Float = 2 * Float(sin(Double(x) * 0.9))
            let distance: Float = (dx * dx + dy * dy).squareRoot()
            let edge: Float = radius + wave - distance
            let a: Float = min(max(edge / 5 + 0.5, 0), 1)
            alpha[x, y] = a
            let foreground = SIMD3<Float>(0.85, 0.45 + 0.2 * Float(y) / Float(height), 0.25)
            let background = SIMD3<Float>(0.15, 0.35, 0.55 + 0.3 * Float(x) / Float(width))
            let colour: SIMD3<Float> = a * foreground + (1 - a) * background
            for channel in 0..<3 { pixels[(y * width + x) * 3 + channel] = UInt8((colour[channel] * 255).rounded()) }
        }
    }
    let image = Image(width: width, height: height, channels: 3, pixels: pixels)
    // Known where the true alpha is 0 or 1 and stays so two pixels around.
    var values = [UInt8](repeating: Trimap.unknown, count: width * height)
    for y in 0..<height {
        for x in 0..<width {
            var low = true, high = true
            for v in max(y - 2, 0)...min(y + 2, height - 1) {
                for u in max(x - 2, 0)...min(x + 2, width - 1) {
                    low = low && alpha[u, v] == 0
                    high = high && alpha[u, v] == 1
                }
            }
            if low { values[y * width + x] = Trimap.background }
            if high { values[y * width + x] = Trimap.foreground }
        }
    }
    return (image, alpha, Trimap(width: width, height: height, values: values))
}

@Suite struct ClosedFormTests {
    @Test(arguments: ClosedFormMatting.Preconditioner.allCases)
    func recoversKnownAlpha(preconditioner: ClosedFormMatting.Preconditioner) {
        let (image, truth, trimap) = syntheticComposite(width: 90, height: 70)
        #expect(trimap.unknownCount > 500)
        let solver = ClosedFormMatting(relativeTolerance: 1e-6, maximumIterations: 5000,
                                       preconditioner: preconditioner, threads: 2)
        let solution = solver.solve(image: image, trimap: trimap)
        #expect(solution.converged)
        #expect(solution.unknownCount == trimap.unknownCount)
        var error: Float = 0
        for index in truth.values.indices {
            let value = solution.alpha.values[index]
            #expect(value >= 0 && value <= 1)
            switch trimap.values[index] {
            case Trimap.background: #expect(value == 0)
            case Trimap.foreground: #expect(value == 1)
            default: error += abs(value - truth.values[index])
            }
        }
        #expect(error / Float(trimap.unknownCount) < 0.01, "mean error \(error / Float(trimap.unknownCount))")
    }

    /// Coarse to fine recovers the synthetic alpha nearly as well as the direct solve.
    @Test func coarseToFineRecoversKnownAlpha() {
        let (image, truth, trimap) = syntheticComposite(width: 121, height: 90)
        let solution = ClosedFormMatting(threads: 2, coarseToFine: true, refinementIterations: 200)
            .solve(image: image, trimap: trimap)
        var error: Float = 0
        for index in truth.values.indices where Trimap.isUnknown(trimap.values[index]) {
            error += abs(solution.alpha.values[index] - truth.values[index])
        }
        #expect(error / Float(trimap.unknownCount) < 0.02, "mean error \(error / Float(trimap.unknownCount))")
        #expect(solution.alpha.values.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    /// Multigrid converges in far fewer iterations than the diagonal preconditioner, to the same alpha,
    /// and threads do not change the result.
    @Test func preconditionersAgree() {
        let image = testPhoto(width: 64, height: 48, seed: 12)
        let trimap = testTrimap(width: 64, height: 48, seed: 3)
        let multigrid = ClosedFormMatting(relativeTolerance: 1e-6, maximumIterations: 10_000, threads: 1)
            .solve(image: image, trimap: trimap)
        let parallel = ClosedFormMatting(relativeTolerance: 1e-6, maximumIterations: 10_000, threads: 2)
            .solve(image: image, trimap: trimap)
        let jacobi = ClosedFormMatting(relativeTolerance: 1e-6, maximumIterations: 10_000, preconditioner: .jacobi)
            .solve(image: image, trimap: trimap)
        #expect(multigrid.converged && jacobi.converged)
        #expect(multigrid.iterations * 3 < jacobi.iterations)
        #expect(multigrid.alpha == parallel.alpha)
        let difference = zip(multigrid.alpha.values, jacobi.alpha.values).map { abs($0 - $1) }.max() ?? 0
        #expect(difference < 0.01)
    }

    @Test func degenerateTrimaps() {
        let image = testPhoto(width: 8, height: 6, seed: 1)
        let solver = ClosedFormMatting()
        // Nothing unknown: the trimap itself.
        let known = Trimap(width: 8, height: 6, values: (0..<48).map { $0 % 2 == 0 ? 0 : 255 })
        #expect(solver.alpha(image: image, trimap: known) == known.plane())
        // Nothing known: the first guess, else 0.5.
        let unknown = Trimap(width: 8, height: 6, values: [UInt8](repeating: 128, count: 48))
        #expect(solver.alpha(image: image, trimap: unknown).values.allSatisfy { $0 == 0.5 })
        let guess = Plane(width: 8, height: 6, filling: 0.7)
        #expect(solver.alpha(image: image, trimap: unknown, initialAlpha: guess) == guess)
        // Only background known (the left column): alpha 0; only foreground: 1.
        var values = [UInt8](repeating: 128, count: 48)
        for y in 0..<6 { values[y * 8] = 0 }
        #expect(solver.alpha(image: image, trimap: Trimap(width: 8, height: 6, values: values)).values.allSatisfy { $0 == 0 })
        for y in 0..<6 { values[y * 8] = 255 }
        // Far from its only constraint, on random colours with a tiny epsilon, the system is badly
        // conditioned: a moderate epsilon and a tight tolerance isolate the semantics.
        let ones = ClosedFormMatting(epsilon: 1e-5, relativeTolerance: 1e-7)
            .alpha(image: image, trimap: Trimap(width: 8, height: 6, values: values))
        #expect(ones.values.allSatisfy { abs($0 - 1) < 1e-3 })
        // Too small for a 3x3 window.
        let thin = Image(width: 5, height: 2, channels: 1, pixels: [UInt8](repeating: 9, count: 10))
        let thinTrimap = Trimap(width: 5, height: 2, values: [0, 128, 128, 128, 255, 0, 128, 128, 128, 255])
        #expect(solver.alpha(image: thin, trimap: thinTrimap).values == [0, 0.5, 0.5, 0.5, 1, 0, 0.5, 0.5, 0.5, 1])
    }

    /// Grey and RGBA photos work like RGB ones.
    @Test func greyAndRGBAPhotos() {
        let (image, truth, trimap) = syntheticComposite(width: 48, height: 40)
        var rgba = [UInt8]()
        for index in 0..<image.pixelCount { rgba += image.pixels[index * 3..<index * 3 + 3] + [77] }
        let fromRGBA = ClosedFormMatting(relativeTolerance: 1e-6)
            .alpha(image: Image(width: 48, height: 40, channels: 4, pixels: rgba), trimap: trimap)
        let fromRGB = ClosedFormMatting(relativeTolerance: 1e-6).alpha(image: image, trimap: trimap)
        #expect(fromRGBA == fromRGB)
        let grey = Image(width: 48, height: 40, channels: 1, pixels: (0..<image.pixelCount).map { image.pixels[$0 * 3 + 2] })
        let fromGrey = ClosedFormMatting(relativeTolerance: 1e-6).alpha(image: grey, trimap: trimap)
        let error = zip(fromGrey.values, truth.values).map { abs($0 - $1) }.reduce(0, +) / Float(trimap.unknownCount)
        #expect(error < 0.03)
    }
}
