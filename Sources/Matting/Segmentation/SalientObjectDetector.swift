import Foundation
import Imaging
import Inference

/// The detail branch: U-2-Net-p (Qin et al., "U^2-Net: Going Deeper with Nested U-Structure for
/// Salient Object Detection", Pattern Recognition 2020), the small model rembg ships, giving each
/// pixel's probability of belonging to the most prominent object, with finer edges than the
/// selfie network. The full U-2-Net of the same paper (rembg's `u2net.onnx`: 44 M weights, 176 MB,
/// about 3x the work) takes the same input, gives the same outputs and reads the same way
/// (`init(path:)`); the quality benchmark's `--detail-model` scores it as the detail branch.
///
/// Pre-processing as rembg does it: Lanczos resize of the 8-bit RGB photo to 320x320 (aspect not
/// kept), divided by the resized image's own maximum, then per channel `(value - mean) / std` with
/// ImageNet's mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225). The network's fused output
/// (d0) is min-max normalised to [0, 1], as rembg does.
public final class SalientObjectDetector: Sendable {
    public static let size = 320
    static let mean: [Float] = [0.485, 0.456, 0.406]
    static let standardDeviation: [Float] = [0.229, 0.224, 0.225]

    public let plan: ExecutionPlan

    /// Convolutions kept in float32 when the plan runs in bfloat16 (`Precision.bf16`): `Conv_787`, the
    /// last convolution of the second decoder stage (RSU-6's `rebnconv1d`, 160x160, 32 -> 64 channels,
    /// plus its residual), 3% of the work. Rounded to bfloat16 it alone moved the fused output d0 by a
    /// mean |diff| of 0.006 to 0.013 (up to 0.68 at edge pixels) on the sample photos, and the trimap-free
    /// composites' mean SAD by +1.5% (best) and +11% (fast); all other layers together move d0 by 0.0002
    /// to 0.0005 (at most 0.036). Found by keeping groups of layers in float32 and measuring d0. The
    /// full U-2-Net, exported by the same code, names the same layer of its graph the same.
    public static let float32Nodes: Set<String> = ["Conv_787"]

    public init(graph: Graph) throws(ModelError) {
        plan = try ExecutionPlan(graph: graph, inputShapes: [[1, Self.size, Self.size, 3]], float32Nodes: Self.float32Nodes)
        guard let first = plan.outputShapes.first, first == [1, Self.size, Self.size, 1] else {
            throw .unsupported("the detail model must give [1, 320, 320, 1] first, not \(plan.outputShapes)")
        }
    }

    /// Loads the ONNX file at `path` (`u2netp.onnx`, or the full U-2-Net's `u2net.onnx`). Only the
    /// plan stays: the file's bytes are freed once read, the graph once planned (`ExecutionPlan` says
    /// what the plan keeps of its constants).
    /// - Throws: `MattingError.modelMissing` or `MattingError.model`, naming `path`.
    public convenience init(path: String) throws {
        let graph = try ModelFiles.graph(atPath: path) { bytes throws(ModelError) in
            try ModelReader.read(bytes, name: path)
        }
        do {
            try self.init(graph: graph)
        } catch {
            throw MattingError.model(path: path, error)
        }
    }

    /// The network input for an opaque `image`: NHWC [1, 320, 320, 3], normalised as above.
    public static func inputTensor(for image: Image, threads: Int = 1) -> Tensor {
        let resized = image.rgb().lanczosResized(width: size, height: size, threads: threads)
        let maximum = max(Float(resized.pixels.max() ?? 0) / 255, 1e-6)
        var scalars = [Float](repeating: 0, count: resized.pixels.count)
        for index in 0..<scalars.count {
            let channel = index % 3
            scalars[index] = (Float(resized.pixels[index]) / 255 / maximum - mean[channel]) / standardDeviation[channel]
        }
        return Tensor(shape: [1, size, size, 3], scalars: scalars)
    }

    /// Salient-object probability at 320x320, min-max normalised.
    public func probabilities(for image: Image, threads: Int) throws(ModelError) -> Plane {
        let output = try plan.run([Self.inputTensor(for: image)], threads: threads)[0]
        return Self.normalised(Plane(width: Self.size, height: Self.size, values: output.scalars))
    }

    /// `(p - min) / (max - min)`; a constant map stays as it is.
    static func normalised(_ plane: Plane) -> Plane {
        guard let low = plane.values.min(), let high = plane.values.max(), high > low else { return plane }
        return Plane(width: plane.width, height: plane.height, values: plane.values.map { ($0 - low) / (high - low) })
    }
}
