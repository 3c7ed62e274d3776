import Testing
@testable import Inference

/// What a plan keeps of a model's constants: packed convolution weights only, no unpacked copy of
/// them and nothing of the graph it was built from, so a process holding both networks holds each
/// weight once.
@Suite struct ConstantResidencyTests {
    /// Floats held by the graph's constants.
    static func constantFloats(_ graph: Graph) -> Int {
        graph.values.reduce(0) { $0 + ($1.constant?.count ?? 0) }
    }

    /// Whether the storage of constant `id` is shared with anything outside `graph`: a mutable
    /// access to a shared array copies it first, moving its elements.
    static func isShared(_ graph: inout Graph, _ id: ValueID) -> Bool {
        let before = graph.values[id].constant!.scalars.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
        let after = graph.values[id].constant!.scalars.withUnsafeMutableBufferPointer { UnsafeRawPointer($0.baseAddress) }
        return before != after
    }

    @Test(arguments: ["u2netp.onnx", "selfie_segmentation.tflite"])
    func planKeepsOnlyPackedWeights(file: String) throws {
        var graph = try ModelReader.read(Fixtures.model(file), name: file)
        let total = Self.constantFloats(graph)
        let plan = try ExecutionPlan(graph: graph)
        let kept = plan.constantCounts
        print("\(file): \(total) constant floats in the graph; the plan keeps \(kept.packed) packed, \(kept.unpacked) unpacked")
        // U-2-Net-p's constants are all convolution weights and biases (1.13 M floats, all packed);
        // the selfie network's last step, a 2x2 transposed convolution to one channel, reads its 65
        // from the plan's storage.
        #expect(kept.unpacked <= total / 20)
        #expect(kept.packed >= total - kept.unpacked)

        // Nothing the plan holds shares the graph's arrays: it keeps neither the graph nor its constants.
        let constants = graph.values.indices.filter { graph.values[$0].constant != nil }
        let shared = constants.filter { Self.isShared(&graph, $0) }
        #expect(shared.isEmpty, "\(shared.count) of \(constants.count) constants still shared after planning")
        withExtendedLifetime(plan) {}
    }

    /// The probe above sees a second reference when there is one.
    @Test func sharingIsDetected() {
        var graph = Graph()
        // Computed, not a literal: a literal array may live in read-only storage that any mutable
        // access copies.
        let scalars = (1...4).map(Float.init)
        let id = graph.addValue(Graph.Value(name: "w", constant: Tensor(shape: [4], scalars: scalars)))
        #expect(Self.isShared(&graph, id))  // `scalars` above
        #expect(!Self.isShared(&graph, id))  // the copy just made is the graph's alone
        let copy = graph.values[id].constant!.scalars
        #expect(Self.isShared(&graph, id))
        #expect(copy == scalars)
    }

    /// A reference plan runs every convolution from the graph's weights, so it keeps them all.
    @Test func referencePlanKeepsEveryConstant() throws {
        let graph = try ModelReader.read(Fixtures.model("selfie_segmentation.tflite"), name: "selfie")
        let plan = try ExecutionPlan(graph: graph, reference: true)
        #expect(plan.constantCounts.packed == 0)
        #expect(plan.constantCounts.unpacked >= Self.constantFloats(graph))
    }
}
