import Foundation
import Imaging
import Inference

/// The semantic branch: MediaPipe's selfie segmentation network (general 256x256 or landscape
/// 256x144), giving each pixel's probability of being a person.
///
/// Pre-processing is MediaPipe's own: the whole photo is stretched onto the network's input by a
/// corner-to-corner bilinear warp (tensor pixel (x, y) samples the photo at (x * W / w, y * H / h),
/// no half-pixel offset, samples outside the photo are 0), RGB scaled to [0, 1].
public final class SelfieSegmenter: Sendable {
    public enum Variant: String, Sendable, CaseIterable {
        /// `selfie_segmentation.tflite`: input [1, 256, 256, 3].
        case general
        /// `selfie_segmentation_landscape.tflite`: input [1, 144, 256, 3].
        case landscape

        public var fileName: String {
            switch self {
            case .general: ModelFiles.selfie
            case .landscape: ModelFiles.selfieLandscape
            }
        }
    }

    public let variant: Variant
    public let plan: ExecutionPlan
    /// Network input size.
    public let inputWidth: Int, inputHeight: Int

    /// - Parameter precision: what the network's convolutions multiply in (`Precision`). In bfloat16 its
    ///   output moves by a mean |diff| of about 0.0004 from float32's on the sample photos, and by up to
    ///   0.33 at a few edge pixels, the error spread over all layers (none alone moves the maximum by
    ///   more than a third).
    public init(graph: Graph, variant: Variant, precision: Precision = .preferred) throws(ModelError) {
        self.variant = variant
        self.plan = try ExecutionPlan(graph: graph, precision: precision)
        guard plan.inputShapes.count == 1, plan.inputShapes[0].count == 4, plan.inputShapes[0][3] == 3,
              plan.outputShapes.count == 1, plan.outputShapes[0].count == 4
        else { throw .unsupported("selfie model must map one [1, h, w, 3] input to one [1, h, w, 1] output") }
        inputHeight = plan.inputShapes[0][1]
        inputWidth = plan.inputShapes[0][2]
    }

    /// Loads the model file from `directory`. Only the plan stays: the file's bytes are freed once
    /// read, the graph once planned (`ExecutionPlan` says what the plan keeps of its constants).
    public convenience init(directory: String, variant: Variant = .general, precision: Precision = .preferred) throws {
        let path = directory + "/" + variant.fileName
        let graph = try ModelFiles.graph(atPath: path) { bytes throws(ModelError) in try TFLiteReader.read(bytes) }
        do {
            try self.init(graph: graph, variant: variant, precision: precision)
        } catch {
            throw MattingError.model(path: path, error)
        }
    }

    /// The network input for `image` (any channel count; RGBA is expected flattened beforehand):
    /// [1, inputHeight, inputWidth, 3], values in [0, 1].
    public func inputTensor(for image: Image) -> Tensor {
        Tensor(shape: [1, inputHeight, inputWidth, 3],
               scalars: Self.cornerWarp(image, width: inputWidth, height: inputHeight))
    }

    /// Person probability at network resolution.
    public func probabilities(for image: Image, threads: Int) throws(ModelError) -> Plane {
        let output = try plan.run([inputTensor(for: image)], threads: threads)[0]
        return Plane(width: output.shape[2], height: output.shape[1], values: output.scalars)
    }

    /// Corner-to-corner bilinear warp of `image` to `width` x `height` RGB floats in [0, 1] (HWC).
    /// Output pixel (x, y) samples the source at (x * W / width, y * H / height); neighbours
    /// outside the source count as 0. Grey sources are replicated to RGB.
    static func cornerWarp(_ image: Image, width: Int, height: Int) -> [Float] {
        var result = [Float](repeating: 0, count: width * height * 3)
        let channels = image.channels
        // Coordinates in double precision, as MediaPipe's warp computes its affine map.
        let scaleX = Double(image.width) / Double(width), scaleY = Double(image.height) / Double(height)
        image.pixels.withUnsafeBufferPointer { pixels in
            for y in 0..<height {
                let sourceY = Double(y) * scaleY
                let y0 = Int(sourceY.rounded(.down)), fy = Float(sourceY - Double(y0))
                for x in 0..<width {
                    let sourceX = Double(x) * scaleX
                    let x0 = Int(sourceX.rounded(.down)), fx = Float(sourceX - Double(x0))
                    for channel in 0..<3 {
                        let c = channels == 1 ? 0 : channel
                        func sample(_ sx: Int, _ sy: Int) -> Float {
                            guard sx < image.width, sy < image.height else { return 0 }
                            return Float(pixels[(sy * image.width + sx) * channels + c])
                        }
                        let top = sample(x0, y0) * (1 - fx) + sample(x0 + 1, y0) * fx
                        let bottom = sample(x0, y0 + 1) * (1 - fx) + sample(x0 + 1, y0 + 1) * fx
                        result[(y * width + x) * 3 + channel] = (top * (1 - fy) + bottom * fy) / 255
                    }
                }
            }
        }
        return result
    }
}
