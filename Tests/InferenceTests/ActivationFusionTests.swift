import Testing
@testable import Inference

@Suite struct ActivationFusionTests {
    /// x -> conv -> relu -> out, and conv2 -> relu2 where conv2's output is also a graph output.
    func graph() -> Graph {
        var graph = Graph()
        let x = graph.addValue(.init(name: "x", shape: [1, 4, 4, 2]))
        let weights = graph.addValue(.init(name: "w", constant: Tensor(shape: [2, 1, 1, 2], scalars: [1, -1, -1, 1])))
        let convolved = graph.addValue(.init(name: "c"))
        let activated = graph.addValue(.init(name: "a"))
        let convolved2 = graph.addValue(.init(name: "c2"))
        let activated2 = graph.addValue(.init(name: "a2"))
        graph.nodes = [
            Node(name: "conv", operation: .convolution(Convolution(padding: .valid)), inputs: [x, weights], outputs: [convolved]),
            Node(name: "relu", operation: .activation(.relu), inputs: [convolved], outputs: [activated]),
            Node(name: "conv2", operation: .convolution(Convolution(padding: .valid)), inputs: [activated, weights], outputs: [convolved2]),
            Node(name: "relu2", operation: .activation(.relu), inputs: [convolved2], outputs: [activated2]),
        ]
        graph.inputs = [x]
        graph.outputs = [activated2, convolved2]
        return graph
    }

    @Test func foldsOnlyWhenTheActivationIsTheSoleReader() {
        let fused = graph().fusingActivations()
        #expect(fused.nodes.map(\.name) == ["conv", "conv2", "relu2"])
        #expect(fused.nodes[0].operation == .convolution(Convolution(padding: .valid, activation: .relu)))
        #expect(fused.nodes[0].outputs == [3])
    }

    @Test func fusedPlanComputesTheSame() throws {
        let input = Tensor(shape: [1, 4, 4, 2], scalars: (0..<32).map { Float($0 % 7) - 3 })
        let outputs = try ExecutionPlan(graph: graph(), precision: .fp32).run([input])
        let reference = try ExecutionPlan(graph: graph(), reference: true).run([input])
        #expect(outputs == reference)
        #expect(outputs[0].scalars.allSatisfy { $0 >= 0 })
        #expect(outputs[1].scalars.contains { $0 < 0 })
    }
}
