import Foundation
import Testing
import Imaging
@testable import Matting

@Suite struct ForegroundTests {
    /// Colours composed from known F, B and alpha: the estimate recovers F where alpha > 0.1 and
    /// re-composes the photo.
    @Test(arguments: [1, 2])
    func recoversForegroundOfSyntheticComposite(threads: Int) {
        let width = 96, height = 64
        var alpha = Plane(width: width, height: height)
        var foreground = [SIMD3<Float>](repeating: .zero, count: width * height)
        var background = foreground
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let index = y * width + x
                // A soft-edged disc with wavy fine structure at its border.
                let dx = Float(x - 48), dy = Float(y - 32)
                let wave: Float = 3 * Float(sin(Double(y) * 0.7))
                let distance: Float = (dx * dx + dy * dy).squareRoot()
                let edge: Float = 22 + wave - distance
                alpha.values[index] = min(max(edge / 6 + 0.5, 0), 1)
                foreground[index] = SIMD3(0.9, 0.5 + 0.3 * Float(y) / Float(height), 0.2)
                background[index] = SIMD3(0.1 + 0.6 * Float(x) / Float(width), 0.3, 0.8)
                let a = alpha.values[index]
                let colour: SIMD3<Float> = a * foreground[index] + (1 - a) * background[index]
                for channel in 0..<3 { pixels[index * 3 + channel] = UInt8((colour[channel] * 255).rounded()) }
            }
        }
        let image = Image(width: width, height: height, channels: 3, pixels: pixels)
        let estimate = ForegroundEstimation(threads: threads).estimate(image: image, alpha: alpha)
        #expect(estimate.width == width && estimate.height == height)
        #expect(estimate.foreground.allSatisfy { $0 >= 0 && $0 <= 1 })
        var foregroundError: Float = 0, count: Float = 0, worstRecomposition: Float = 0
        for index in 0..<width * height {
            let a = alpha.values[index]
            let f = SIMD3<Float>(estimate.foreground[index * 3 ..< index * 3 + 3])
            let b = SIMD3<Float>(estimate.background[index * 3 ..< index * 3 + 3])
            if a > 0.1 {
                let difference: SIMD3<Float> = f - foreground[index]
                foregroundError += (abs(difference.x) + abs(difference.y) + abs(difference.z)) / 3
                count += 1
            }
            let recomposed: SIMD3<Float> = a * f + (1 - a) * b
            let observed = SIMD3<Float>(pixels[index * 3 ..< index * 3 + 3].map { Float($0) / 255 })
            let error: SIMD3<Float> = recomposed - observed
            worstRecomposition = max(worstRecomposition, max(abs(error.x), abs(error.y), abs(error.z)))
        }
        #expect(foregroundError / count < 0.02)
        #expect(worstRecomposition < 0.02)
    }

    @Test func nearestResizeTakesSourceAtScaledPosition() {
        let values = Array(0..<12)  // 4x3
        #expect(ForegroundEstimation.nearest(values, width: 4, height: 3, to: 2, 1) == [0, 2])
        #expect(ForegroundEstimation.nearest(values, width: 4, height: 3, to: 8, 3)[0..<8] == [0, 0, 1, 1, 2, 2, 3, 3])
        #expect(ForegroundEstimation.nearest([7], width: 1, height: 1, to: 2, 2) == [7, 7, 7, 7])
    }

    @Test func cutoutCarriesForegroundAndAlpha() {
        let estimate = ForegroundEstimate(width: 2, height: 1, foreground: [1, 0.5, 0, 0, 0, 1],
                                          background: [Float](repeating: 0, count: 6))
        let cutout = estimate.cutout(alpha: Plane(width: 2, height: 1, values: [1, 0.2]))
        #expect(cutout.channels == 4)
        #expect(cutout.pixels == [255, 128, 0, 255, 0, 0, 255, 51])
    }

    @Test func tinyAndEmptyImages() {
        let single = ForegroundEstimation().estimate(image: Image(width: 1, height: 1, channels: 1, pixels: [128]),
                                                     alpha: Plane(width: 1, height: 1, filling: 1))
        #expect(abs(single.foreground[0] - 128 / 255) < 0.01)
        let empty = ForegroundEstimation().estimate(image: Image(width: 0, height: 0, channels: 3, pixels: []),
                                                    alpha: Plane(width: 0, height: 0))
        #expect(empty.foreground.isEmpty)
    }
}
