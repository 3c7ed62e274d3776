import Foundation
import Imaging
import Inference

/// MediaPipe's short-range face detector (BlazeFace, `face_detection_short_range.tflite`: faces within
/// about 2 m of the camera), run by our engine.
///
/// Pre-processing is MediaPipe's (`face_detection.pbtxt`, ImageToTensorCalculator with
/// `keep_aspect_ratio` and `BORDER_ZERO`): the photo's rectangle grows about its centre to a square of
/// side `S = max(W, H)`, warped corner to corner onto the 128 x 128 input, so input pixel (x, y)
/// samples the photo at `(x * S / 128 + (W - S) / 2, y * S / 128 + (H - S) / 2)` by bilinear
/// interpolation, samples outside the photo 0; RGB scaled to [-1, 1] by `v / 127.5 - 1`. The model
/// maps that input `[1, 128, 128, 3]` to `regressors` `[1, 896, 16]` and `classificators` `[1, 896, 1]`,
/// decoded by `FaceDecoding` and mapped back through the same square. Other squares of the photo
/// (`faces(in:focus:threads:)`) are warped onto the input the same way.
public final class FaceDetector: Sendable {
    public static let inputSize = 128
    public let plan: ExecutionPlan

    /// The plan runs in float32 whatever `Precision.preferred` says: the network costs about 2 ms a
    /// photo, and in bfloat16 its logits moved by up to 5.6 from ai-edge-litert's on the sample photos.
    public init(graph: Graph) throws(ModelError) {
        plan = try ExecutionPlan(graph: graph, precision: .fp32)
        let size = Self.inputSize
        guard plan.inputShapes == [[1, size, size, 3]],
              plan.outputShapes == [[1, FaceAnchors.shortRange.count, FaceDecoding.valuesPerAnchor],
                                    [1, FaceAnchors.shortRange.count, 1]]
        else { throw .unsupported("face model must map [1, 128, 128, 3] to [1, 896, 16] and [1, 896, 1]") }
    }

    /// Loads `face_detection_short_range.tflite` from `directory`; only the plan stays.
    public convenience init(directory: String) throws {
        let path = directory + "/" + ModelFiles.faceDetector
        let graph = try ModelFiles.graph(atPath: path) { bytes throws(ModelError) in try TFLiteReader.read(bytes) }
        do {
            try self.init(graph: graph)
        } catch {
            throw MattingError.model(path: path, error)
        }
    }

    /// A square of the photo the network looks at, in photo pixels; it may reach past the photo's
    /// edges (samples there are 0).
    public struct Square: Sendable, Equatable {
        public var x: Double, y: Double, side: Double

        public init(x: Double, y: Double, side: Double) {
            self.x = x
            self.y = y
            self.side = side
        }
    }

    /// The faces in `image` (grey, RGB, or RGBA flattened beforehand), best first, in photo pixels.
    ///
    /// The network sees 128 x 128 samples, and faces under about a tenth of that go unseen; so besides
    /// the whole photo (`letterbox`) it looks at `squares(width:height:)` along an elongated photo, and at
    /// `focus` (where the person mask says a small person's head is). Faces found in several squares
    /// merge as the network's own overlapping detections do (`FaceDecoding.mergeOverlapping`).
    public func faces(in image: Image, focus: Square? = nil, threads: Int = 1) throws(ModelError) -> [Face] {
        guard image.width > 0, image.height > 0 else { return [] }
        var found: [Face] = []
        for square in Self.squares(width: image.width, height: image.height) + (focus.map { [$0] } ?? []) {
            let outputs = try plan.run([Self.inputTensor(for: image, square: square)], threads: threads)
            let faces = FaceDecoding.decode(regressors: outputs[0].scalars, classificators: outputs[1].scalars,
                                            anchors: FaceAnchors.shortRange, inputSize: Self.inputSize)
            // Back from the unit square to the photo.
            found += faces.map { $0.mapped(scale: Float(square.side), offsetX: Float(square.x), offsetY: Float(square.y)) }
        }
        return FaceDecoding.mergeOverlapping(found)
    }

    /// The whole photo grown about its centre to a square (MediaPipe's letterbox), and, when one side
    /// is `tilingRatio` times the other or more, squares of the short side along the long one, each
    /// overlapping the next by half.
    static func squares(width: Int, height: Int) -> [Square] {
        let long = Double(max(width, height)), short = Double(min(width, height))
        var squares = [Square(x: (Double(width) - long) / 2, y: (Double(height) - long) / 2, side: long)]
        guard long >= tilingRatio * short else { return squares }
        let count = Int((2 * (long - short) / short).rounded(.up)) + 1
        for index in 0..<count {
            let start = (long - short) * Double(index) / Double(count - 1)
            squares.append(width >= height ? Square(x: start, y: 0, side: short) : Square(x: 0, y: start, side: short))
        }
        return squares
    }

    /// From this elongation on, the letterbox shrinks faces enough to lose them: two portraits side
    /// by side (1.85:1 and 2:1 in the labelled set) showed 0 or 1 face of 2 in it, 2 with the squares.
    /// At 1.5:1, chelsea.png (a cat, 451 x 300) gave a face in one of the squares; and 16:9 frames
    /// (1.78:1) keep to one run of the network (four with the squares), so not lower.
    static let tilingRatio = 1.8

    /// The letterbox input of MediaPipe's graph (see the type's comment).
    public static func inputTensor(for image: Image) -> Tensor {
        inputTensor(for: image, square: squares(width: image.width, height: image.height)[0])
    }

    /// The network input for `square` of `image`: [1, 128, 128, 3], values in [-1, 1]; input pixel
    /// (x, y) samples the photo at `(square.x + x * side / 128, square.y + y * side / 128)` as the
    /// type's comment says.
    static func inputTensor(for image: Image, square: Square) -> Tensor {
        let size = inputSize, channels = image.channels
        var values = [Float](repeating: -1, count: size * size * 3)
        let step = square.side / Double(size)
        let originX = square.x, originY = square.y
        image.pixels.withUnsafeBufferPointer { pixels in
            func sample(_ x: Int, _ y: Int, _ channel: Int) -> Float {
                guard x >= 0, y >= 0, x < image.width, y < image.height else { return 0 }
                return Float(pixels[(y * image.width + x) * channels + (channels == 1 ? 0 : channel)])
            }
            for row in 0..<size {
                let sourceY = Double(row) * step + originY
                let y0 = Int(sourceY.rounded(.down)), fy = Float(sourceY - Double(y0))
                for column in 0..<size {
                    let sourceX = Double(column) * step + originX
                    let x0 = Int(sourceX.rounded(.down)), fx = Float(sourceX - Double(x0))
                    for channel in 0..<3 {
                        let top = sample(x0, y0, channel) * (1 - fx) + sample(x0 + 1, y0, channel) * fx
                        let bottom = sample(x0, y0 + 1, channel) * (1 - fx) + sample(x0 + 1, y0 + 1, channel) * fx
                        values[(row * size + column) * 3 + channel] = (top * (1 - fy) + bottom * fy) / 127.5 - 1
                    }
                }
            }
        }
        return Tensor(shape: [1, size, size, 3], scalars: values)
    }
}
