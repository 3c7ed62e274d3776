import Foundation
import Inference

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

    /// The graph in the model file at `path`, parsed by `parse` (a model reader).
    ///
    /// The file is read straight into one array, not into `Data` and then a copy of it, and that
    /// array is freed when this returns, before a plan is built from the graph (the plan keeps
    /// nothing of either: see `ExecutionPlan`). The file is not memory-mapped instead: the readers
    /// decode every constant into floats of their own (float16 widened, OIHW reordered), so mapped
    /// pages would serve the parsing only, and these bytes live no longer than that.
    /// - Throws: `MattingError.modelMissing` when the file cannot be read, `MattingError.model` when
    ///   `parse` refuses it.
    static func graph(atPath path: String, parse: ([UInt8]) throws(ModelError) -> Graph) throws(MattingError) -> Graph {
        guard let bytes = contents(atPath: path) else {
            throw .modelMissing(path: path, fetchCommand: fetchCommand)
        }
        do {
            return try parse(bytes)
        } catch {
            throw .model(path: path, error)
        }
    }

    /// Checks that a model file is there to read: a regular file that opens.
    /// - Throws: `MattingError.modelMissing` otherwise.
    static func requireFile(atPath path: String) throws(MattingError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .modelMissing(path: path, fetchCommand: fetchCommand) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            throw .modelMissing(path: path, fetchCommand: fetchCommand)
        }
    }

    /// The bytes of the file at `path`, or nil when it cannot be opened or read whole.
    static func contents(atPath path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
        let size = Int(status.st_size)
        var complete = false
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            while initialized < size {
                let count = read(descriptor, buffer.baseAddress! + initialized, size - initialized)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                initialized += count
            }
            complete = initialized == size
        }
        return complete ? bytes : nil
    }

    public static let selfie = "selfie_segmentation.tflite"
    public static let selfieLandscape = "selfie_segmentation_landscape.tflite"
    public static let u2netp = "u2netp.onnx"
    /// MediaPipe's short-range face detector, for the photo checks.
    public static let faceDetector = "face_detection_short_range.tflite"
    public static let fetchCommand = "scripts/fetch-assets"
}
