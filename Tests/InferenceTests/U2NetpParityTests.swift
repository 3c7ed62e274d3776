import Foundation
import Testing
@testable import Inference

/// Our engine against onnxruntime on the same input tensors: goldens from scripts/references/u2netp_goldens.py
/// (Tests/Fixtures/goldens/u2netp/manifest.json). Inputs are stored NCHW as the ONNX model takes them; the
/// graph takes NHWC, so the test transposes. Outputs have one channel: NCHW and NHWC bytes are the same.
/// One run per photo (each is ~20 G multiply-adds).
@Suite struct U2NetpParityTests {
    /// Photos and the outputs stored for each (d0 is output `1959`, d6 is `1965`).
    static let photos: [(name: String, outputs: [Int])] = [
        ("astronaut", Array(0...6)), ("grace_hopper", [0]), ("camera", [0]),
    ]

    /// Loaded once for all photos: float32 (the parity with onnxruntime), and bfloat16.
    static let plan: Result<ExecutionPlan, any Error> = Result {
        try ExecutionPlan(graph: ONNXReader.read(Fixtures.model("u2netp.onnx")), precision: .fp32)
    }
    static let bfloat16Plan: Result<ExecutionPlan, any Error> = Result {
        // The layer `SalientObjectDetector.float32Nodes` keeps in float32.
        try ExecutionPlan(graph: ONNXReader.read(Fixtures.model("u2netp.onnx")), precision: .bf16,
                          float32Nodes: ["Conv_787"])
    }

    /// The arena holds the largest set of values alive at once (15.29 M floats). The widest values are
    /// 64 channels at 320x320 (6.55 M floats): stage 1's output, kept for the last decoder stage, and
    /// that stage's own input convolution, which is also the residual its block ends by adding. With
    /// the residual's space lent to the block's output no third such tensor is needed, and with blocks
    /// placed largest first no hole is left between them (first fit took 17.51 M).
    @Test func arenaHoldsTwoWidestTensors() throws {
        let plan = try Self.plan.get()
        print("u2netp arena: \(plan.arenaCount) floats")
        #expect(Double(plan.arenaCount) < 2.4 * 64 * 320 * 320, "arena \(plan.arenaCount) floats")
    }

    @Test(arguments: 0..<3)
    func matchesOnnxRuntime(photoIndex: Int) throws {
        let (photo, outputs) = Self.photos[photoIndex]
        let plan = try Self.plan.get()
        let nchw = try Fixtures.floats("goldens/u2netp/\(photo)_input.f32")
        try #require(nchw.count == 3 * 320 * 320)
        let input = Tensor(shape: [1, 320, 320, 3], scalars: Self.nhwc(nchw, channels: 3, height: 320, width: 320))

        let clock = ContinuousClock()
        let start = clock.now
        let results = try plan.run([input], threads: 2)
        print("u2netp \(photo): one run in \(clock.now - start)")

        #expect(results.count == 7)
        for index in outputs {
            let expected = try Fixtures.floats("goldens/u2netp/\(photo)_d\(index).f32")
            #expect(results[index].shape == [1, 320, 320, 1])
            let difference = Fixtures.maxAbsoluteDifference(results[index].scalars, expected)
            print("u2netp \(photo) d\(index): max |diff| \(difference)")
            #expect(difference <= 1e-4, "\(photo) d\(index): max |diff| \(difference)")
        }
    }

    /// The bfloat16 plan beside the float32 one on each photo: every output near float32's (max and
    /// mean |diff| printed), and the fused output d0 as near onnxruntime's. Measured: means 0.0001 to
    /// 0.0007, maxima up to 0.036 at edge pixels (with `Conv_787` in bfloat16 too, d0 to d2 moved by
    /// means of 0.006 to 0.015 and up to 0.7).
    @Test(.enabled(if: Precision.bfloat16Supported, "the CPU has no AVX512_BF16"), arguments: 0..<3)
    func bfloat16StaysNearFloat32(photoIndex: Int) throws {
        let photo = Self.photos[photoIndex].name
        let plan = try Self.plan.get(), bfloat16Plan = try Self.bfloat16Plan.get()
        #expect(plan.precision == .fp32 && bfloat16Plan.precision == .bf16)
        #expect(bfloat16Plan.stepDescriptions.filter { $0.contains("bf16") }.count >= 100)
        let nchw = try Fixtures.floats("goldens/u2netp/\(photo)_input.f32")
        let input = Tensor(shape: [1, 320, 320, 3], scalars: Self.nhwc(nchw, channels: 3, height: 320, width: 320))
        let float32 = try plan.run([input], threads: 2)
        let bfloat16 = try bfloat16Plan.run([input], threads: 2)
        for index in 0..<7 {
            let differences = zip(bfloat16[index].scalars, float32[index].scalars).map { abs($0 - $1) }
            let largest = differences.max() ?? .nan
            let mean = differences.reduce(0, +) / Float(differences.count)
            print("u2netp \(photo) d\(index): bf16 against fp32: max |diff| \(largest), mean |diff| \(mean)")
            #expect(largest <= 0.08 && mean <= 0.002, "\(photo) d\(index)")
            #expect(largest > 0, "\(photo) d\(index): bf16 gave float32's output")
        }
        let expected = try Fixtures.floats("goldens/u2netp/\(photo)_d0.f32")
        let mean = zip(bfloat16[0].scalars, expected).reduce(0) { $0 + abs($1.0 - $1.1) } / Float(expected.count)
        #expect(mean <= 0.002, "\(photo) d0 against onnxruntime: mean |diff| \(mean)")
    }

    /// NCHW `[1, C, H, W]` scalars in NHWC order.
    static func nhwc(_ nchw: [Float], channels: Int, height: Int, width: Int) -> [Float] {
        var result = [Float](repeating: 0, count: nchw.count)
        for c in 0..<channels {
            for y in 0..<height {
                for x in 0..<width {
                    result[(y * width + x) * channels + c] = nchw[(c * height + y) * width + x]
                }
            }
        }
        return result
    }
}
