import Matting
import Video

/// What a finished job stores: its files, and the photo's size (upright) or the video's frame size.
public struct JobResult: Sendable {
    /// One encoded output.
    public struct File: Sendable {
        public var output: MattingRequest.Output
        /// As `StoredOutput.format`: an `ImageFormat` or a `VideoContainer`, by its raw value.
        public var format: String
        public var bytes: [UInt8]

        public init(output: MattingRequest.Output, format: String, bytes: [UInt8]) {
            self.output = output
            self.format = format
            self.bytes = bytes
        }
    }

    public var files: [File]
    public var width: Int
    public var height: Int

    public init(files: [File], width: Int, height: Int) {
        self.files = files
        self.width = width
        self.height = height
    }

    /// A photo's outputs.
    public init(_ result: MattingResult) {
        self.init(files: result.files.map { File(output: $0.output, format: $0.format.rawValue, bytes: $0.bytes) },
                  width: result.width, height: result.height)
    }

    /// A video: one file, of the kind of frame it holds.
    public init(_ result: VideoJob.Result) {
        self.init(files: [File(output: result.output, format: result.format.rawValue, bytes: result.bytes)],
                  width: result.width, height: result.height)
    }
}

/// Why an attempt failed: the reason kept with the attempt, and whether a retry could help.
public struct JobFailure: Error, Sendable, CustomStringConvertible {
    public var reason: String
    /// The input or the request is at fault: the job fails at once, without retries.
    public var permanent: Bool

    public init(reason: String, permanent: Bool) {
        self.reason = reason
        self.permanent = permanent
    }

    public var description: String { reason }
}

extension JobRequest {
    /// Carries out the request on `input` with `matter`: a photo through `PortraitMatting.run`, a video
    /// through `VideoJob.run` (the paths the `matte` command takes for each).
    ///
    /// - Parameter background: a background image's bytes, for a photo whose `background` is `image`.
    public func run(input: [UInt8], background: [UInt8]?, matter: any PortraitMatting) throws(JobFailure) -> JobResult {
        switch self {
        case .photo(let request):
            do throws(PhotoError) {
                return JobResult(try matter.run(request, photo: .encoded(input), background: background.map { .encoded($0) }))
            } catch {
                throw JobFailure(reason: "\(error)", permanent: Self.isPermanent(error))
            }
        case .video(let request):
            do throws(VideoJob.Failure) {
                return JobResult(try VideoJob.run(request, video: input, matter: matter))
            } catch {
                throw JobFailure(reason: error.reason, permanent: error.permanent)
            }
        }
    }

    /// Bad input fails at once: retrying cannot make a corrupt photo decode, nor a photo that failed a
    /// strict check pass it. The networks or the encoder failing might be passing trouble (memory), so
    /// those are retried.
    static func isPermanent(_ error: PhotoError) -> Bool {
        switch error {
        case .request, .photo, .background, .backgroundMissing, .checkFailed: true
        case .matting, .encoding: false
        }
    }
}
