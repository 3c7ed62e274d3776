import Imaging
import Testing
@testable import Video

@Suite struct TemporalSmoothingTests {
    @Test func uncertaintyIsOneAtAHalfAndZeroWhenSure() {
        #expect(abs(TemporalSmoothing.uncertainty(0.5) - 1) < 1e-6)
        #expect(TemporalSmoothing.uncertainty(0) < 1e-3 && TemporalSmoothing.uncertainty(1) < 1e-3)
        #expect(TemporalSmoothing.uncertainty(0.4) > TemporalSmoothing.uncertainty(0.2))
        // Symmetric about 0.5.
        #expect(abs(TemporalSmoothing.uncertainty(0.3) - TemporalSmoothing.uncertainty(0.7)) < 1e-5)
    }

    func grey(_ values: [UInt8]) -> Image { Image(width: values.count, height: 1, channels: 1, pixels: values) }

    @Test func confidentPixelsFollowTheNewFrameAtOnce() {
        var smoothing = TemporalSmoothing()
        #expect(smoothing.smooth(grey([0, 255, 0, 255])) == grey([0, 255, 0, 255]))
        // The person moved: what was sure background is now sure person, and the other way round.
        #expect(smoothing.smooth(grey([255, 0, 255, 0])) == grey([255, 0, 255, 0]))
    }

    @Test func uncertainPixelsLeanOnTheLastOutput() {
        var smoothing = TemporalSmoothing(ratio: 0.7)
        _ = smoothing.smooth(grey([200, 50]))
        let output = smoothing.smooth(grey([128, 128]))
        // u(128/255) ~ 1: out = p + (previous - p) * 0.7.
        let expected0 = (128.0 / 255 + (200.0 / 255 - 128.0 / 255) * 0.7 * Double(TemporalSmoothing.uncertainty(128 / 255))) * 255
        #expect(abs(Double(output.pixels[0]) - expected0) <= 1)
        #expect(output.pixels[0] > 170 && output.pixels[1] < 90)
    }

    @Test func ratioZeroPassesFramesUnchanged() {
        var smoothing = TemporalSmoothing(ratio: 0)
        _ = smoothing.smooth(grey([10, 128, 240]))
        #expect(smoothing.smooth(grey([128, 20, 130])) == grey([128, 20, 130]))
    }

    @Test func aNewFrameSizeStartsAfresh() {
        var smoothing = TemporalSmoothing()
        _ = smoothing.smooth(grey([255, 255]))
        #expect(smoothing.smooth(grey([128, 128, 128])) == grey([128, 128, 128]))
    }

    func frame(width: Int = 128, height: Int = 96, _ colour: (Int, Int) -> UInt8) -> Image {
        var image = Image(width: width, height: height, channels: 3)
        for y in 0..<height { for x in 0..<width { for c in 0..<3 { image.pixels[(y * width + x) * 3 + c] = colour(x, y) } } }
        return image
    }

    @Test func noiseIsUnchangedButASmallMovingPartIsNot() {
        let base = frame { x, y in UInt8((x * 2 + y) % 200) }
        let noisy = frame { x, y in UInt8((x * 2 + y) % 200 + (x + y) % 3) }
        #expect(FrameChange.isUnchanged(noisy, from: base))
        // One 16 x 16 patch changes a lot: the whole frame's PSNR stays high, but its cell fails.
        let patched = frame { x, y in (40..<56).contains(x) && (40..<56).contains(y) ? 255 : UInt8((x * 2 + y) % 200) }
        #expect(!FrameChange.isUnchanged(patched, from: base))
        #expect(!FrameChange.isUnchanged(frame(width: 64) { _, _ in 0 }, from: base))
    }

    @Test func flickerIsMeasuredOnStillPixelsAndLagOnMovingOnes() {
        let still = Image(width: 2, height: 1, channels: 3, pixels: [10, 10, 10, 10, 10, 10])
        let moved = Image(width: 2, height: 1, channels: 3, pixels: [10, 10, 10, 200, 200, 200])
        var measure = FlickerMeasure()
        measure.add(frame: moved, previousFrame: still, perFrame: grey([100, 250]), previousPerFrame: grey([90, 0]),
                    output: grey([96, 240]), previousOutput: grey([90, 0]))
        #expect(measure.perFrameFlicker == 10)   // pixel 0 is still: |100 - 90|
        #expect(measure.outputFlicker == 6)      // |96 - 90|
        #expect(measure.lag == 10)               // pixel 1 moved: |240 - 250|
        #expect(measure.frameLag == 250)         // |250 - 0|
        #expect(measure.stillShare == 0.5)
    }
}
