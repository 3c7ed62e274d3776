import Testing
@testable import Inference

/// Our engine against ai-edge-litert (XNNPACK) on MediaPipe's short-range face detector, on the same
/// input tensors: goldens from scripts/references/face_goldens.py.
///
/// The raw outputs are logits and box offsets in input pixels, up to about 430 in size, where float32's
/// own spacing is 3e-5 and two summation orders (ours, XNNPACK's; or our fast and reference kernels)
/// part by up to 4.3e-4. So the bound is 1e-4 of the value's size, and 1e-4 absolute within [-1, 1]:
/// `|ours - theirs| <= 1e-4 * max(1, |theirs|)`. Where a logit decides anything (a score near the 0.5
/// threshold) it is near 0, and there the bound is the absolute 1e-4.
@Suite struct FaceDetectorParityTests {
    /// The largest `|a - b| / max(1, |b|)`.
    static func scaledDifference(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
        return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1) / max(1, abs($1.1))) }
    }

    static let model = "face_detection_short_range.tflite"

    @Test(arguments: ["astronaut", "grace_hopper", "camera"])
    func matchesReferenceRuntime(photo: String) throws {
        // In float32, as the face detector runs it (`FaceDetector`).
        let plan = try ExecutionPlan(graph: TFLiteReader.read(Fixtures.model(Self.model)), precision: .fp32)
        #expect(plan.inputShapes == [[1, 128, 128, 3]])
        #expect(plan.outputShapes == [[1, 896, 16], [1, 896, 1]])
        let input = try Fixtures.floats("goldens/face/\(photo)_input.f32")
        let regressors = try Fixtures.floats("goldens/face/\(photo)_regressors.f32")
        let classificators = try Fixtures.floats("goldens/face/\(photo)_classificators.f32")
        for threads in [1, 2] {
            let outputs = try plan.run([Tensor(shape: [1, 128, 128, 3], scalars: input)], threads: threads)
            let boxes = Self.scaledDifference(outputs[0].scalars, regressors)
            let scores = Self.scaledDifference(outputs[1].scalars, classificators)
            #expect(boxes <= 1e-4, "regressors max scaled |diff| \(boxes) with \(threads) threads")
            #expect(scores <= 1e-4, "classificators max scaled |diff| \(scores) with \(threads) threads")
            // The absolute gap, for the record: a few float32 steps at the outputs' largest values.
            #expect(Fixtures.maxAbsoluteDifference(outputs[1].scalars, classificators) < 1e-3)
        }
    }

    /// The file holds the operators the face detector brought in (PAD, RESHAPE), and the whole graph
    /// through the slow reference kernels gives the fast plan's answer.
    @Test func referenceKernelsAgree() throws {
        let bytes = try Fixtures.model(Self.model)
        let counts = try TFLiteReader.operatorCounts(bytes)
        #expect(counts["PAD"] == 11 && counts["RESHAPE"] == 4)
        let graph = try TFLiteReader.read(bytes)
        let input = Tensor(shape: [1, 128, 128, 3], scalars: try Fixtures.floats("goldens/face/grace_hopper_input.f32"))
        let fast = try ExecutionPlan(graph: graph, precision: .fp32).run([input], threads: 2)
        let reference = try ExecutionPlan(graph: graph, reference: true).run([input])
        for (fast, reference) in zip(fast, reference) {
            #expect(Self.scaledDifference(fast.scalars, reference.scalars) <= 1e-4)
        }
    }
}
