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
        let plan = try ExecutionPlan(graph: TFLiteReader.read(Fixtures.model(file)), multiplyAddsWorthSplitting: 0)
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
        let fast = try ExecutionPlan(graph: graph, multiplyAddsWorthSplitting: 0).run([tensor], threads: 2)[0]
        let reference = try ExecutionPlan(graph: graph, reference: true).run([tensor])[0]
        #expect(Fixtures.maxAbsoluteDifference(fast.scalars, reference.scalars) <= 1e-4)
    }

    /// Buffer reuse keeps the arena near the largest live set, far below the sum of all values.
    @Test func arenaIsSmall() throws {
        let plan = try ExecutionPlan(graph: TFLiteReader.read(Fixtures.model("selfie_segmentation.tflite")))
        // The largest tensors: 128x128x16 and 256x256x3 inputs/outputs, a few alive at once.
        #expect(plan.arenaCount < 2_000_000, "arena \(plan.arenaCount) floats")
        #expect(plan.multiplyAdds > 55_000_000 && plan.multiplyAdds < 62_000_000)
    }
}
