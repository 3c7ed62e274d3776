import Testing
@testable import Inference

@Suite struct ShapeInferenceTests {
    func node(_ operation: Operation, inputs: Int = 2) -> Node {
        Node(name: "n", operation: operation, inputs: Array(0..<inputs), outputs: [inputs])
    }

    @Test func sameConvolutionRoundsUp() throws {
        let convolution = Operation.convolution(Convolution(strides: (2, 2), padding: .same))
        let shapes = try ShapeInference.outputShapes(of: node(convolution), inputs: [[1, 257, 256, 3], [16, 3, 3, 3]])
        #expect(shapes == [[1, 129, 128, 16]])
        let same = Convolution(strides: (2, 2), padding: .same)
        #expect(same.geometry(input: [1, 257, 256, 3], weights: [16, 3, 3, 3]).padTop == 1)
        #expect(same.geometry(input: [1, 257, 256, 3], weights: [16, 3, 3, 3]).padLeft == 0)
    }

    @Test func dilatedExplicitPadding() throws {
        let convolution = Operation.convolution(Convolution(dilations: (4, 4), padding: .explicit(top: 4, left: 4, bottom: 4, right: 4)))
        let shapes = try ShapeInference.outputShapes(of: node(convolution), inputs: [[1, 40, 30, 16], [8, 3, 3, 16]])
        #expect(shapes == [[1, 40, 30, 8]])
    }

    @Test func groupedConvolutionChecksChannels() {
        let depthwise = Operation.convolution(Convolution(padding: .same, groups: 16))
        #expect(throws: ModelError.self) {
            try ShapeInference.outputShapes(of: node(depthwise), inputs: [[1, 8, 8, 16], [16, 3, 3, 2]])
        }
        #expect((try? ShapeInference.outputShapes(of: node(depthwise), inputs: [[1, 8, 8, 16], [16, 3, 3, 1]])) == [[1, 8, 8, 16]])
    }

    @Test func ceilModePooling() {
        // ONNX: 5 wide, kernel 2, stride 2, ceil -> 3 windows; floor -> 2.
        #expect(PoolingGeometry.outputLength(inputLength: 5, kernel: 2, stride: 2, padBefore: 0, padAfter: 0, ceilMode: true) == 3)
        #expect(PoolingGeometry.outputLength(inputLength: 5, kernel: 2, stride: 2, padBefore: 0, padAfter: 0, ceilMode: false) == 2)
        #expect(PoolingGeometry.outputLength(inputLength: 4, kernel: 2, stride: 2, padBefore: 0, padAfter: 0, ceilMode: true) == 2)
        // The last window would start in the trailing padding only: dropped.
        #expect(PoolingGeometry.outputLength(inputLength: 4, kernel: 2, stride: 2, padBefore: 0, padAfter: 1, ceilMode: true) == 2)
    }

    @Test func broadcasting() {
        #expect(broadcastShape([1, 8, 8, 16], [1, 1, 1, 16]) == [1, 8, 8, 16])
        #expect(broadcastShape([16], [2, 1, 1]) == [2, 1, 16])
        #expect(broadcastShape([3], [4]) == nil)
    }

    @Test func transposedSame() throws {
        let transposed = Operation.transposedConvolution(TransposedConvolution(strides: (2, 2), padding: .same))
        let shapes = try ShapeInference.outputShapes(of: node(transposed, inputs: 3), inputs: [[1, 128, 128, 16], [1, 2, 2, 16], [1]])
        #expect(shapes == [[1, 256, 256, 1]])
    }

    @Test func meanKeepsDimensions() throws {
        let shapes = try ShapeInference.outputShapes(of: node(.mean(axes: [1, -2], keepDimensions: true), inputs: 1), inputs: [[1, 9, 7, 5]])
        #expect(shapes == [[1, 1, 1, 5]])
    }
}
