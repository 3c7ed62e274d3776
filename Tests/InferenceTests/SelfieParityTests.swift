import Testing
@testable import Inference

/// Our engine against ai-edge-litert (XNNPACK) on the same input tensors: goldens from
/// scripts/references/selfie_goldens.py.
@Suite struct SelfieParityTests {
    static let cases: [(model: String, file: String, shape: [Int])] = [
        ("selfie", "selfie_segmentation.tflite", [1, 256, 256, 3]),
        ("landscape", "selfie_segmentation_landscape.tflite", [1, 144, 256, 3]),
    ]

    @Test(arguments: ["astronaut", "grace_hopper", "camera"], [0, 1])
    func matchesReferenceRuntime(photo: String, modelIndex: Int) throws {
        let (model, file, shape) = Self.cases[modelIndex]
        let plan = try ExecutionPlan(graph: TFLiteReader.read(Fixtures.model(file)), precision: .fp32)
        #expect(plan.inputShapes == [shape])
        let input = try Fixtures.floats("goldens/selfie/\(photo)_\(model)_input.f32")
        let expected = try Fixtures.floats("goldens/selfie/\(photo)_\(model)_output.f32")
        for threads in [1, 2] {
            let output = try plan.run([Tensor(shape: shape, scalars: input)], threads: threads)[0]
            #expect(output.shape == [1, shape[1], shape[2], 1])
            let difference = Fixtures.maxAbsoluteDifference(output.scalars, expected)
            #expect(difference <= 1e-4, "max |diff| \(difference) with \(threads) threads")
        }
    }

    /// The whole graph through the slow reference kernels gives the same answer: the fast
    /// kernels and the plan's buffer reuse change nothing.
    @Test func referenceKernelsAgree() throws {
        let graph = try TFLiteReader.read(Fixtures.model("selfie_segmentation_landscape.tflite"))
        let input = try Fixtures.floats("goldens/selfie/astronaut_landscape_input.f32")
        let tensor = Tensor(shape: [1, 144, 256, 3], scalars: input)
        let fast = try ExecutionPlan(graph: graph, precision: .fp32).run([tensor], threads: 2)[0]
        let reference = try ExecutionPlan(graph: graph, reference: true).run([tensor])[0]
        #expect(Fixtures.maxAbsoluteDifference(fast.scalars, reference.scalars) <= 1e-4)
    }

    /// bfloat16 beside float32 on each photo and model: max and mean |diff| printed and bounded
    /// (the output is a probability in [0, 1]; measured means 0.0003 to 0.0013, maxima 0.08 to 0.33 at
    /// a few edge pixels).
    @Test(.enabled(if: Precision.bfloat16Supported, "the CPU has no AVX512_BF16"),
          arguments: ["astronaut", "grace_hopper", "camera"], [0, 1])
    func bfloat16StaysNearFloat32(photo: String, modelIndex: Int) throws {
        let (model, file, shape) = Self.cases[modelIndex]
        let graph = try TFLiteReader.read(Fixtures.model(file))
        let float32 = try ExecutionPlan(graph: graph, precision: .fp32)
        let bfloat16 = try ExecutionPlan(graph: graph, precision: .bf16)
        #expect(bfloat16.stepDescriptions.contains { $0.contains("bf16") })
        let input = [Tensor(shape: shape, scalars: try Fixtures.floats("goldens/selfie/\(photo)_\(model)_input.f32"))]
        let expected = try float32.run(input, threads: 2)[0].scalars
        let differences = zip(try bfloat16.run(input, threads: 2)[0].scalars, expected).map { abs($0 - $1) }
        let largest = differences.max() ?? .nan
        let mean = differences.reduce(0, +) / Float(differences.count)
        print("selfie \(model) \(photo): bf16 against fp32: max |diff| \(largest), mean |diff| \(mean)")
        #expect(largest <= 0.5 && mean <= 0.003)
        #expect(largest > 0, "bf16 gave float32's output")
    }

    /// Buffer reuse keeps the arena near the largest live set, far below the sum of all values.
    @Test func arenaIsSmall() throws {
        let plan = try ExecutionPlan(graph: TFLiteReader.read(Fixtures.model("selfie_segmentation.tflite")))
        // The largest tensors: 128x128x16 and 256x256x3 inputs/outputs, a few alive at once.
        #expect(plan.arenaCount < 2_000_000, "arena \(plan.arenaCount) floats")
        #expect(plan.multiplyAdds > 55_000_000 && plan.multiplyAdds < 62_000_000)
    }
}
