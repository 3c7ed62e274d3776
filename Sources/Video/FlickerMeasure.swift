import Foundation
import Imaging

/// How steady a video's mattes are, and what steadying costs where things move.
///
/// - Flicker: the mean |alpha_t - alpha_(t-1)| over pixels whose colour did not change between the two
///   frames (every channel within `stillTolerance` levels: codec noise, not motion), in 8-bit levels.
///   Measured on the per-frame mattes (`perFrameFlicker`) and on the steadied output (`outputFlicker`).
/// - Lag: the mean |output_t - perFrame_t| over pixels whose colour did change, in 8-bit levels: how far the
///   output strays from a fresh per-frame matte where the person moves. A steadier that trails a moving
///   person shows here. `frameLag`, the mean |perFrame_t - perFrame_(t-1)| over the same pixels, is what
///   showing the last frame's matte would cost: a lag below it trails by less than a frame.
public struct FlickerMeasure: Sendable {
    public var stillTolerance: Int
    private var perFrameSum = 0, outputSum = 0, stillCount = 0
    private var lagSum = 0, frameLagSum = 0, movingCount = 0
    public private(set) var frames = 0

    public init(stillTolerance: Int = 8) {
        self.stillTolerance = stillTolerance
    }

    /// Adds frame t: `frame` and `previousFrame` RGB; the per-frame mattes and the outputs (grey) of t and t-1.
    public mutating func add(frame: Image, previousFrame: Image, perFrame: Image, previousPerFrame: Image,
                             output: Image, previousOutput: Image) {
        precondition(frame.channels == 3 && perFrame.channels == 1 && output.channels == 1)
        frames += 1
        let tolerance = stillTolerance
        for index in 0..<frame.pixelCount {
            let base = index * 3
            var still = true
            for channel in 0..<3 where abs(Int(frame.pixels[base + channel]) - Int(previousFrame.pixels[base + channel])) > tolerance {
                still = false
            }
            if still {
                perFrameSum += abs(Int(perFrame.pixels[index]) - Int(previousPerFrame.pixels[index]))
                outputSum += abs(Int(output.pixels[index]) - Int(previousOutput.pixels[index]))
                stillCount += 1
            } else {
                lagSum += abs(Int(output.pixels[index]) - Int(perFrame.pixels[index]))
                frameLagSum += abs(Int(previousPerFrame.pixels[index]) - Int(perFrame.pixels[index]))
                movingCount += 1
            }
        }
    }

    /// Mean |delta alpha| of the per-frame mattes over still pixels, 8-bit levels.
    public var perFrameFlicker: Double { stillCount > 0 ? Double(perFrameSum) / Double(stillCount) : 0 }
    /// Mean |delta alpha| of the output over still pixels, 8-bit levels.
    public var outputFlicker: Double { stillCount > 0 ? Double(outputSum) / Double(stillCount) : 0 }
    /// Mean |output - per-frame| over moving pixels, 8-bit levels.
    public var lag: Double { movingCount > 0 ? Double(lagSum) / Double(movingCount) : 0 }
    /// Mean |perFrame_t - perFrame_(t-1)| over moving pixels, 8-bit levels: the lag of a whole frame.
    public var frameLag: Double { movingCount > 0 ? Double(frameLagSum) / Double(movingCount) : 0 }
    /// Share of the compared pixels that were still.
    public var stillShare: Double { stillCount + movingCount > 0 ? Double(stillCount) / Double(stillCount + movingCount) : 0 }

    /// `flicker 1.23 -> 0.45 levels (per-frame -> output, 80% of pixels still), lag 0.67 levels where moving, 299 frame pairs`.
    public var summary: String {
        func format(_ value: Double) -> String { String(format: "%.3f", value) }
        return "flicker \(format(perFrameFlicker)) -> \(format(outputFlicker)) levels (per-frame -> output, over the \(Int((stillShare * 100).rounded()))% of pixels whose colour stayed within \(stillTolerance)), lag \(format(lag)) levels where the colour changed (one frame of lag: \(format(frameLag))), \(frames) frame pairs"
    }
}
