import Foundation
import Testing
import Imaging
@testable import Matting

/// Best mode's refinement and its full-resolution pass.
@Suite struct MatteRefinementTests {
    /// A photo composed from a known alpha (a disc with a soft, wavy rim), foreground and background.
    struct Synthetic {
        var photo: Image
        var alpha: Plane
        var foreground: [SIMD3<Float>]
        var background: [SIMD3<Float>]

        init(width: Int, height: Int) {
            alpha = Plane(width: width, height: height)
            foreground = []
            background = []
            var pixels = [UInt8](repeating: 0, count: width * height * 3)
            let scale = Float(min(width, height))
            for y in 0..<height {
                for x in 0..<width {
                    let index = y * width + x
                    let dx = Float(x) - Float(width) / 2, dy = Float(y) - Float(height) / 2
                    let wave: Float = Float(sin(Double(y) * 40 / Double(scale)))
                    let rim: Float = 0.3 * scale + 0.02 * scale * wave
                    let distance: Float = (dx * dx + dy * dy).squareRoot()
                    let a: Float = min(max((rim - distance) / (0.02 * scale) + 0.5, 0), 1)
                    alpha.values[index] = a
                    let f = SIMD3<Float>(0.9, 0.55 + 0.3 * Float(y) / Float(height), 0.2)
                    let b = SIMD3<Float>(0.1 + 0.5 * Float(x) / Float(width), 0.3, 0.85)
                    foreground.append(f)
                    background.append(b)
                    let colour: SIMD3<Float> = a * f + (1 - a) * b
                    for channel in 0..<3 { pixels[index * 3 + channel] = Plane.byte(colour[channel]) }
                }
            }
            photo = Image(width: width, height: height, channels: 3, pixels: pixels)
        }
    }

    static func meanAbsoluteError(_ alpha: Image, _ truth: Plane) -> Float {
        zip(alpha.pixels, truth.values).map { abs(Float($0) / 255 - $1) }.reduce(0, +) / Float(truth.values.count)
    }

    /// From a blurry, shrunken mask (what a network gives), the refinement recovers the true alpha
    /// closely, at the photo's size, on a working grid smaller than the photo and equal to it.
    @Test(arguments: [64, 400])
    func recoversAlphaOfSyntheticComposite(workingSide: Int) throws {
        let synthetic = Synthetic(width: 240, height: 160)
        let coarse = synthetic.alpha.resized(width: 24, height: 16).resized(width: 80, height: 80)
        let refinement = MatteRefinement(workingSide: workingSide, threads: 2)
        let result = refinement.refine(photo: synthetic.photo, coarse: coarse)
        #expect(result.alpha.width == 240 && result.alpha.height == 160 && result.alpha.channels == 1)
        #expect(result.cutout.channels == 4 && result.background?.channels == 3)
        let background = try #require(result.background)
        let refined = Self.meanAbsoluteError(result.alpha, synthetic.alpha)
        let upsampled = Self.meanAbsoluteError(coarse.resized(width: 240, height: 160).greyImage(), synthetic.alpha)
        #expect(refined < 0.01, "refined \(refined)")
        #expect(refined < upsampled / 3, "refined \(refined), coarse upsampled \(upsampled)")
        // The cut-out carries the foreground's colours where the subject shows, not the old
        // background's; the background estimate is the background where the subject hides it.
        var foregroundError: Float = 0, backgroundError: Float = 0, foregroundCount: Float = 0, backgroundCount: Float = 0
        for index in 0..<240 * 160 {
            let alpha = Float(result.alpha.pixels[index]) / 255
            if alpha > 0.2 {
                let colour = SIMD3<Float>(result.cutout.pixels[index * 4 ..< index * 4 + 3].map { Float($0) / 255 })
                let difference = colour - synthetic.foreground[index]
                foregroundError += max(abs(difference.x), abs(difference.y), abs(difference.z))
                foregroundCount += 1
            }
            if synthetic.alpha.values[index] > 0.5 {
                let colour = SIMD3<Float>(background.pixels[index * 3 ..< index * 3 + 3].map { Float($0) / 255 })
                let difference = colour - synthetic.background[index]
                backgroundError += max(abs(difference.x), abs(difference.y), abs(difference.z))
                backgroundCount += 1
            }
        }
        #expect(foregroundError / foregroundCount < 0.03, "foreground \(foregroundError / foregroundCount)")
        #expect(backgroundError / backgroundCount < 0.12, "background \(backgroundError / backgroundCount)")
    }

    @Test func workingSizeKeepsAspectAndNeverEnlarges() {
        let refinement = MatteRefinement(workingSide: 512)
        #expect(refinement.workingSize(width: 1920, height: 1080) == (512, 288))
        #expect(refinement.workingSize(width: 3000, height: 4000) == (384, 512))
        #expect(refinement.workingSize(width: 300, height: 200) == (300, 200))
    }

    /// The fused full-resolution pass against the plain per-pixel reference, grey and RGB photos.
    @Test(arguments: [1, 3])
    func fullResolutionPassMatchesReference(channels: Int) {
        let width = 53, height = 37, lowWidth = 14, lowHeight = 9
        var random = TestRandom(seed: UInt64(channels))
        let photo = Image(width: width, height: height, channels: channels,
                          pixels: (0..<width * height * channels).map { _ in UInt8(random.next() % 256) })
        // Coefficients giving alpha from 0 to 1 across the photo, some clamped.
        let coefficients = (0..<lowWidth * lowHeight).map { index -> SIMD4<Float> in
            let x = Float(index % lowWidth) / Float(lowWidth - 1)
            return SIMD4(0.2 * x, -0.1, 0.05, 1.6 * x - 0.3)
        }
        // Colours on a grid of their own, coarser than the coefficients'.
        let colourWidth = 6, colourHeight = 5
        let estimate = ForegroundEstimate(width: colourWidth, height: colourHeight,
                                          foreground: (0..<colourWidth * colourHeight * 3).map { _ in Float(random.unit()) },
                                          background: (0..<colourWidth * colourHeight * 3).map { _ in Float(random.unit()) })
        let output = ForegroundUpsampling.upsample(photo: photo, alphaCoefficients: coefficients,
                                                   coefficientsWidth: lowWidth, coefficientsHeight: lowHeight,
                                                   estimate: estimate, threads: 2)
        let alpha = GuidedFilter.evaluate(coefficients, width: lowWidth, height: lowHeight, guide: photo, threads: 1)
        #expect(output.alpha == alpha.greyImage())
        let reference = ForegroundUpsampling.reference(photo: photo, alpha: alpha, estimate: estimate)
        #expect(output.alpha.pixels.contains(0) && output.alpha.pixels.contains(255))
        for (fast, slow) in zip(output.cutout.pixels, reference.cutout.pixels) { #expect(abs(Int(fast) - Int(slow)) <= 1) }
        for (fast, slow) in zip(output.background!.pixels, reference.background.pixels) { #expect(abs(Int(fast) - Int(slow)) <= 1) }
        // Without the background, the same matte and cut-out.
        let alone = ForegroundUpsampling.upsample(photo: photo, alphaCoefficients: coefficients,
                                                  coefficientsWidth: lowWidth, coefficientsHeight: lowHeight,
                                                  estimate: estimate, estimatesBackground: false, threads: 2)
        #expect(alone.background == nil && alone.alpha == output.alpha && alone.cutout == output.cutout)
    }
}
