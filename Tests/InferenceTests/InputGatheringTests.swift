import Testing
@testable import Inference

@Suite struct InputGatheringTests {
    /// x -> convA (4 channels), x -> convB (3 channels); concat(convA, convB) -> convC (3x3) -> out;
    /// concat(convB, convA) -> convD, whose concatenation is also a graph output.
    func graph() -> Graph {
        var graph = Graph()
        var values = SeededValues(seed: 5)
        func constant(_ name: String, _ shape: [Int]) -> ValueID {
            graph.addValue(.init(name: name, constant: Tensor(shape: shape, scalars: values.array(shape.reduce(1, *)))))
        }
        let x = graph.addValue(.init(name: "x", shape: [1, 6, 7, 2]))
        let weightsA = constant("wa", [4, 1, 1, 2]), weightsB = constant("wb", [3, 3, 3, 2]), biasB = constant("bb", [3])
        let weightsC = constant("wc", [5, 3, 3, 7]), biasC = constant("bc", [5]), weightsD = constant("wd", [2, 1, 1, 7])
        let a = graph.addValue(.init(name: "a")), b = graph.addValue(.init(name: "b"))
        let joined = graph.addValue(.init(name: "joined")), c = graph.addValue(.init(name: "c"))
        let joined2 = graph.addValue(.init(name: "joined2")), d = graph.addValue(.init(name: "d"))
        let padded = Convolution(padding: .explicit(top: 1, left: 1, bottom: 1, right: 1), activation: .relu)
        graph.nodes = [
            Node(name: "convA", operation: .convolution(Convolution(padding: .valid)), inputs: [x, weightsA], outputs: [a]),
            Node(name: "convB", operation: .convolution(padded), inputs: [x, weightsB, biasB], outputs: [b]),
            Node(name: "concat", operation: .concatenate(axis: -1), inputs: [a, b], outputs: [joined]),
            Node(name: "convC", operation: .convolution(padded), inputs: [joined, weightsC, biasC], outputs: [c]),
            Node(name: "concat2", operation: .concatenate(axis: 3), inputs: [b, a], outputs: [joined2]),
            Node(name: "convD", operation: .convolution(Convolution(padding: .valid)), inputs: [joined2, weightsD], outputs: [d]),
        ]
        graph.inputs = [x]
        graph.outputs = [c, d, joined2]
        return graph
    }

    @Test func gathersOnlyConcatenationsReadByOneConvolution() {
        var shapes = [[Int]?](repeating: nil, count: graph().values.count)
        shapes[graph().value(named: "joined")!] = [1, 6, 7, 7]
        shapes[graph().value(named: "joined2")!] = [1, 6, 7, 7]
        #expect(graph().inputsGatheredByConvolutions(shapes: shapes)
            == [3: GatheredInput(concatenation: 2, producers: [nil, nil])])
        // Along another axis there is nothing to gather.
        var heights = graph()
        heights.nodes[2].operation = .concatenate(axis: 1)
        #expect(heights.inputsGatheredByConvolutions(shapes: shapes) == [:])
    }

    /// concat(resize(x), y) -> conv: the resize and the concatenation are both gathered.
    @Test func gathersThroughResizes() throws {
        var graph = Graph()
        var values = SeededValues(seed: 8)
        let x = graph.addValue(.init(name: "x", shape: [1, 3, 4, 2]))
        let y = graph.addValue(.init(name: "y", shape: [1, 6, 7, 3]))
        let weights = graph.addValue(.init(name: "w", constant: Tensor(shape: [4, 3, 3, 5], scalars: values.array(180))))
        let resized = graph.addValue(.init(name: "resized")), joined = graph.addValue(.init(name: "joined"))
        let output = graph.addValue(.init(name: "out"))
        graph.nodes = [
            Node(name: "resize", operation: .resize(Resize(mode: .linear, coordinateTransform: .pytorchHalfPixel,
                                                           size: (6, 7))), inputs: [x], outputs: [resized]),
            Node(name: "concat", operation: .concatenate(axis: 3), inputs: [resized, y], outputs: [joined]),
            Node(name: "conv", operation: .convolution(Convolution(padding: .explicit(top: 1, left: 1, bottom: 1, right: 1))),
                 inputs: [joined, weights], outputs: [output]),
        ]
        graph.inputs = [x, y]
        graph.outputs = [output]
        let plan = try ExecutionPlan(graph: graph, precision: .fp32)
        #expect(plan.steps.map(\.node) == ["conv"])
        let inputs = [Tensor(shape: [1, 3, 4, 2], scalars: values.array(24)), Tensor(shape: [1, 6, 7, 3], scalars: values.array(126))]
        let expected = try ExecutionPlan(graph: graph, reference: true).run(inputs)[0]
        for threads in [1, 2] {
            let result = try plan.run(inputs, threads: threads)[0]
            #expect(result.shape == [1, 6, 7, 4])
            #expect(relativeError(result.scalars, expected.scalars) <= 1e-5)
        }
    }

    /// maxPool(x) -> conv: the pooling is computed row by row by the convolution.
    @Test func gathersThroughPoolings() throws {
        var graph = Graph()
        var values = SeededValues(seed: 10)
        let x = graph.addValue(.init(name: "x", shape: [1, 7, 8, 3]))
        let weights = graph.addValue(.init(name: "w", constant: Tensor(shape: [2, 3, 3, 3], scalars: values.array(54))))
        let pooled = graph.addValue(.init(name: "pooled")), output = graph.addValue(.init(name: "out"))
        graph.nodes = [
            Node(name: "pool", operation: .pool(Pooling(kind: .max, kernel: (2, 2), strides: (2, 2), padding: .valid,
                                                        ceilMode: true)), inputs: [x], outputs: [pooled]),
            Node(name: "conv", operation: .convolution(Convolution(padding: .explicit(top: 1, left: 1, bottom: 1, right: 1),
                                                                   activation: .relu)),
                 inputs: [pooled, weights], outputs: [output]),
        ]
        graph.inputs = [x]
        graph.outputs = [output]
        let plan = try ExecutionPlan(graph: graph, precision: .fp32)
        #expect(plan.steps.map(\.node) == ["conv"])
        let inputs = [Tensor(shape: [1, 7, 8, 3], scalars: values.array(168))]
        let expected = try ExecutionPlan(graph: graph, reference: true).run(inputs)[0]
        for threads in [1, 2] {
            let result = try plan.run(inputs, threads: threads)[0]
            #expect(result.shape == [1, 4, 4, 2])
            #expect(relativeError(result.scalars, expected.scalars) <= 1e-5)
        }
    }

    @Test func gatheringPlanComputesTheSame() throws {
        let plan = try ExecutionPlan(graph: graph(), precision: .fp32)
        #expect(plan.steps.map(\.node) == ["convA", "convB", "convC", "concat2", "convD"])
        var values = SeededValues(seed: 9)
        let input = Tensor(shape: [1, 6, 7, 2], scalars: values.array(84))
        let reference = try ExecutionPlan(graph: graph(), reference: true).run([input])
        for threads in [1, 2] {
            let outputs = try plan.run([input], threads: threads)
            for (output, expected) in zip(outputs, reference) {
                #expect(output.shape == expected.shape)
                #expect(relativeError(output.scalars, expected.scalars) <= 1e-5)
            }
        }
    }
}
