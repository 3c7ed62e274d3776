import Foundation

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
