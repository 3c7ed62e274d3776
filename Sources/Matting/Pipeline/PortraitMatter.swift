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
public final class PortraitMatter: Sendable {
    public let threads: Int

    /// - Parameters:
    ///   - modelDirectory: folder holding the model files (see `ModelFiles`).
    ///   - threads: cores each `matte` call may use.
    public init(modelDirectory: String = ModelFiles.defaultDirectory, threads: Int = 2) throws {
        self.threads = threads
        // STUB: replaced by the real pipeline.
    }

    /// Mattes one photo (any channel count; alpha is flattened over white for inference).
    public func matte(_ image: Image) throws -> Matte {
        // STUB: alpha from luminance so callers can be built and tested before the networks land.
        var alpha = Image(width: image.width, height: image.height, channels: 1)
        var cutout = Image(width: image.width, height: image.height, channels: 4)
        for index in 0..<image.pixelCount {
            let value = image.pixels[index * image.channels]
            alpha.pixels[index] = value
            for channel in 0..<3 {
                cutout.pixels[index * 4 + channel] = image.pixels[index * image.channels + min(channel, image.channels - 1)]
            }
            cutout.pixels[index * 4 + 3] = value
        }
        return Matte(alpha: alpha, cutout: cutout, timings: StageTimings())
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
    public static let fetchCommand = "scripts/fetch-assets"
}
