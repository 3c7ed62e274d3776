import Imaging
import Inference

/// Time spent in each stage of one matte, for `--timings`.
public struct StageTimings: Sendable {
    public var preprocess: Duration = .zero
    public var inference: Duration = .zero
    public var postprocess: Duration = .zero
    /// The parts of `postprocess`, in order (fusion, then the refinement's stages).
    public var stages: [(name: String, time: Duration)] = []
    public init() {}
}

/// The result of matting one photo.
public struct Matte: Sendable {
    /// 8-bit grey alpha, same size as the photo: 255 is person, 0 background.
    public var alpha: Image
    /// RGBA cut-out: the person's colours with `alpha` as straight alpha.
    public var cutout: Image
    /// RGB estimate of what lies behind the person (the photo's background with the person removed),
    /// same size as the photo; nil when the mode does not estimate it. Composites blur this, not the
    /// photo, so the person does not bleed into a blurred backdrop. (Not the new background a composite
    /// is laid over: that is the request's `background`, a `Backdrop`.)
    public var backgroundEstimate: Image? = nil
    public var timings: StageTimings
    /// The selfie network's person probability at its own resolution, stretched over the whole photo;
    /// nil when the subject is `any` (the network does not run). The photo checks reuse it.
    public var person: Plane? = nil
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
