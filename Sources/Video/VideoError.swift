/// Why a video, a frame stream or a watched folder could not be processed: the input or output at fault
/// (a path, `standard input`, `ffmpeg`) and the reason, printed as `<subject>: <reason>`.
public struct VideoError: Error, Equatable, Sendable, CustomStringConvertible {
    public var subject: String
    public var reason: String

    public init(subject: String, reason: String) {
        self.subject = subject
        self.reason = reason
    }

    public var description: String { "\(subject): \(reason)" }
}
