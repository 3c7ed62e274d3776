import Testing
@testable import Inference

@Suite struct ResidualFusionTests {
    /// U-2-Net's residual block in small: x -> convIn (relu) = h; concat(h, x) -> convOut (relu) = y;
    /// y + h -> sum. Then sum -> convSide = s; s + x2 where x2 has another shape (broadcast: not fused),
    /// and s is also read by an addition with a graph output (not fused: two readers).
    func graph() -> Graph {
        var graph = Graph()
        var values = SeededValues(seed: 3)
        func constant(_ name: String, _ shape: [Int]) -> ValueID {
            graph.addValue(.init(name: name, constant: Tensor(shape: shape, scalars: values.array(shape.reduce(1, *)))))
        }
        let x = graph.addValue(.init(name: "x", shape: [1, 5, 6, 3]))
        let x2 = graph.addValue(.init(name: "x2", shape: [1, 1, 1, 2]))
        let weightsIn = constant("wi", [4, 3, 3, 3]), biasIn = constant("bi", [4])
        let weightsOut = constant("wo", [4, 3, 3, 7]), biasOut = constant("bo", [4])
        let weightsSide = constant("ws", [2, 1, 1, 4])
        let h = graph.addValue(.init(name: "h")), joined = graph.addValue(.init(name: "joined"))
        let y = graph.addValue(.init(name: "y")), sum = graph.addValue(.init(name: "sum"))
        let side = graph.addValue(.init(name: "s")), broadcast = graph.addValue(.init(name: "broadcast"))
        let padded = Convolution(padding: .explicit(top: 1, left: 1, bottom: 1, right: 1), activation: .relu)
        graph.nodes = [
            Node(name: "convIn", operation: .convolution(padded), inputs: [x, weightsIn, biasIn], outputs: [h]),
            Node(name: "concat", operation: .concatenate(axis: 3), inputs: [h, x], outputs: [joined]),
            Node(name: "convOut", operation: .convolution(padded), inputs: [joined, weightsOut, biasOut], outputs: [y]),
            Node(name: "add", operation: .binary(.add), inputs: [y, h], outputs: [sum]),
            Node(name: "convSide", operation: .convolution(Convolution(padding: .valid)), inputs: [sum, weightsSide],
                 outputs: [side]),
            Node(name: "addBroadcast", operation: .binary(.add), inputs: [x2, side], outputs: [broadcast]),
        ]
        graph.inputs = [x, x2]
        graph.outputs = [broadcast, side]
        return graph
    }

    /// x -> convIn = h; h -> convMid = m; convOut(m) + h -> sum: the residual h is last read by the
    /// fused convOut, which reads only m, so sum takes h's place in the arena.
    func lendingGraph() -> Graph {
        var graph = Graph()
        var values = SeededValues(seed: 5)
        func constant(_ name: String, _ shape: [Int]) -> ValueID {
            graph.addValue(.init(name: name, constant: Tensor(shape: shape, scalars: values.array(shape.reduce(1, *)))))
        }
        let x = graph.addValue(.init(name: "x", shape: [1, 7, 5, 3]))
        let weights = [constant("wi", [4, 3, 3, 3]), constant("wm", [4, 3, 3, 4]), constant("wo", [4, 3, 3, 4])]
        let h = graph.addValue(.init(name: "h")), m = graph.addValue(.init(name: "m"))
        let y = graph.addValue(.init(name: "y")), sum = graph.addValue(.init(name: "sum"))
        let padded = Convolution(padding: .explicit(top: 1, left: 1, bottom: 1, right: 1), activation: .relu)
        graph.nodes = [
            Node(name: "convIn", operation: .convolution(padded), inputs: [x, weights[0]], outputs: [h]),
            Node(name: "convMid", operation: .convolution(padded), inputs: [h, weights[1]], outputs: [m]),
            Node(name: "convOut", operation: .convolution(padded), inputs: [m, weights[2]], outputs: [y]),
            Node(name: "add", operation: .binary(.add), inputs: [h, y], outputs: [sum]),
        ]
        graph.inputs = [x]
        graph.outputs = [sum]
        return graph
    }

    @Test func lastReadResidualLendsItsSpace() throws {
        let plan = try ExecutionPlan(graph: lendingGraph(), precision: .fp32)
        #expect(plan.steps.map(\.node) == ["convIn", "convMid", "convOut"])
        #expect(plan.steps[2].outputs == plan.steps[0].outputs, "the sum is written over h")
        var values = SeededValues(seed: 6)
        let input = Tensor(shape: [1, 7, 5, 3], scalars: values.array(105))
        let reference = try ExecutionPlan(graph: lendingGraph(), reference: true).run([input])[0]
        for threads in [1, 2] {
            #expect(relativeError(try plan.run([input], threads: threads)[0].scalars, reference.scalars) <= 1e-5)
        }
    }

    /// In `graph()` convOut also reads h as part of its input, so h keeps its own space.
    @Test func residualReadAsInputKeepsItsSpace() throws {
        let plan = try ExecutionPlan(graph: graph(), precision: .fp32)
        #expect(plan.steps[1].outputs != plan.steps[0].outputs)
    }

    @Test func fusesOnlyUnbroadcastSoleReaders() {
        let graph = graph()
        var shapes = [[Int]?](repeating: nil, count: graph.values.count)
        for name in ["h", "y", "sum"] { shapes[graph.value(named: name)!] = [1, 5, 6, 4] }
        shapes[graph.value(named: "s")!] = [1, 5, 6, 2]
        shapes[graph.value(named: "x2")!] = [1, 1, 1, 2]
        let fused = graph.residualsAddedByConvolutions(shapes: shapes)
        #expect(fused.count == 1)
        #expect(fused[3]?.convolution == 2 && fused[3]?.residual == graph.value(named: "h"))
    }

    @Test func fusedPlanComputesTheSame() throws {
        let plan = try ExecutionPlan(graph: graph(), precision: .fp32)
        #expect(plan.steps.map(\.node) == ["convIn", "convOut", "convSide", "addBroadcast"])
        var values = SeededValues(seed: 4)
        let inputs = [Tensor(shape: [1, 5, 6, 3], scalars: values.array(90)), Tensor(shape: [1, 1, 1, 2], scalars: [0.5, -2])]
        let reference = try ExecutionPlan(graph: graph(), reference: true).run(inputs)
        for threads in [1, 2] {
            let outputs = try plan.run(inputs, threads: threads)
            for (output, expected) in zip(outputs, reference) {
                #expect(output.shape == expected.shape)
                #expect(relativeError(output.scalars, expected.scalars) <= 1e-5)
            }
        }
    }
}
