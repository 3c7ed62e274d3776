import Foundation
import Imaging
import Inference

/// Time spent in each stage of one matte, for `--timings`.
public struct StageTimings: Sendable {
    public var preprocess: Duration = .zero
    public var inference: Duration = .zero
    public var postprocess: Duration = .zero
    public init() {}
}

/// The result of matting one photo.
public struct Matte: Sendable {
    /// 8-bit grey alpha, same size as the photo: 255 is person, 0 background.
    public var alpha: Image
    /// RGBA cut-out: the photo's colours with `alpha` as straight alpha.
    public var cutout: Image
    public var timings: StageTimings
}

/// Why matting could not run.
public enum MattingError: Error, CustomStringConvertible {
    /// A model file is missing; `fetchCommand` is the command that fetches it.
    case modelMissing(path: String, fetchCommand: String)
    case model(path: String, ModelError)

    public var description: String {
        switch self {
        case .modelMissing(let path, let fetchCommand):
            "model file \(path) is missing; fetch it with: \(fetchCommand)"
        case .model(let path, let error): "\(path): \(error)"
        }
    }
}

/// Turns photos of people into alpha mattes and cut-outs. Loads its networks once; `matte` may be
/// called from several threads at once.
///
/// Stages: the semantic branch (selfie segmentation at network resolution), then edge-aware
/// upsampling to the photo's resolution (guided filter), then the cut-out.
public final class PortraitMatter: Sendable {
    public let threads: Int
    public let segmenter: SelfieSegmenter

    /// - Parameters:
    ///   - modelDirectory: folder holding the model files (see `ModelFiles`).
    ///   - threads: cores each `matte` call may use.
    public init(modelDirectory: String = ModelFiles.defaultDirectory, threads: Int = 2) throws {
        self.threads = max(1, threads)
        self.segmenter = try SelfieSegmenter(directory: modelDirectory)
    }

    /// Mattes one photo (any channel count; RGBA is flattened over white for inference, and the
    /// cut-out takes the photo's own colours).
    public func matte(_ image: Image) throws -> Matte {
        var timings = StageTimings()
        let clock = ContinuousClock()
        var start = clock.now
        let opaque = image.channels == 4 ? image.flattened(over: (255, 255, 255)) : image
        let input = segmenter.inputTensor(for: opaque)
        timings.preprocess = clock.now - start

        start = clock.now
        let output = try segmenter.plan.run([input], threads: threads)[0]
        let probabilities = Plane(width: output.shape[2], height: output.shape[1], values: output.scalars)
        timings.inference = clock.now - start

        start = clock.now
        let alpha = GuidedFilter.forImage(width: image.width, height: image.height)
            .apply(input: probabilities, guide: opaque, threads: threads)
        let cutout = Cutout.make(photo: image, alpha: alpha)
        timings.postprocess = clock.now - start
        return Matte(alpha: alpha.greyImage(), cutout: cutout, timings: timings)
    }
}

/// Where model files live and how they are fetched.
public enum ModelFiles {
    /// `$MATTE_MODELS`, else `$XDG_CACHE_HOME/matte/models`, else `~/.cache/matte/models`.
    public static var defaultDirectory: String {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["MATTE_MODELS"], !path.isEmpty { return path }
        return cacheDirectory + "/models"
    }

    /// `$XDG_CACHE_HOME/matte`, else `~/.cache/matte`: models and sample photos are cached below it.
    public static var cacheDirectory: String {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["XDG_CACHE_HOME"], !path.isEmpty { return path + "/matte" }
        return NSHomeDirectory() + "/.cache/matte"
    }

    /// The sample portraits `matte` processes when given no input.
    public static var samplesDirectory: String {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["MATTE_SAMPLES"], !path.isEmpty { return path }
        return cacheDirectory + "/samples"
    }

    public static let selfie = "selfie_segmentation.tflite"
    public static let selfieLandscape = "selfie_segmentation_landscape.tflite"
    public static let u2netp = "u2netp.onnx"
    public static let fetchCommand = "scripts/fetch-assets"
}
