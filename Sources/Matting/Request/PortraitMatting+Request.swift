import Imaging

/// A photo or background image as the caller holds it: file bytes to decode, or pixels already decoded
/// (a video frame, a background read once for a whole batch).
public enum ImageInput: Sendable {
    case encoded([UInt8])
    case decoded(Image)
}

/// Why a request could not be carried out, by the part at fault.
public enum PhotoError: Error, CustomStringConvertible {
    /// The request itself (`MattingRequest.validate()`).
    case request(RequestError)
    /// The photo could not be decoded, or is over the limits.
    case photo(ImageError)
    /// The background image could not be decoded, or is over the pixel limit.
    case background(ImageError)
    /// `background` is `image`, but no background image came with the photo.
    case backgroundMissing
    /// The networks failed (a model error).
    case matting(any Error)
    /// An output could not be encoded.
    case encoding(ImageError)

    public var description: String {
        switch self {
        case .request(let error): "\(error)"
        case .photo(let error): "\(error)"
        case .background(let error): "background: \(error)"
        case .backgroundMissing: "background: 'image' needs a background image with the photo"
        case .matting(let error): "matting failed: \(error)"
        case .encoding(let error): "\(error)"
        }
    }
}

/// Time spent on one photo, stage by stage, from encoded bytes to encoded outputs.
public struct PhotoTimings: Sendable {
    public var decode: Duration = .zero
    /// Pre-process, inference and post-process (with its parts).
    public var matting = StageTimings()
    public var composite: Duration = .zero
    public var encode: Duration = .zero

    public init() {}

    /// The stages in order: decode, preprocess, inference, postprocess, composite, encode.
    public var stages: [(name: String, time: Duration)] {
        [("decode", decode), ("preprocess", matting.preprocess), ("inference", matting.inference),
         ("postprocess", matting.postprocess), ("composite", composite), ("encode", encode)]
    }

    /// All the stages together.
    public var total: Duration { stages.reduce(.zero) { $0 + $1.time } }
}

/// The encoded outputs of one request.
public struct MattingResult: Sendable {
    /// One encoded output.
    public struct File: Sendable {
        public var output: MattingRequest.Output
        public var format: ImageFormat
        public var bytes: [UInt8]

        public init(output: MattingRequest.Output, format: ImageFormat, bytes: [UInt8]) {
            self.output = output
            self.format = format
            self.bytes = bytes
        }
    }

    /// The photo's size (upright).
    public var width: Int
    public var height: Int
    /// In `MattingRequest.Output` order, as `resolvedOutputs` lists them.
    public var files: [File]
    public var timings: PhotoTimings

    public subscript(output: MattingRequest.Output) -> File? { files.first { $0.output == output } }
}

/// A photo decoded for a request, with its background image when the composite needs one.
public struct DecodedPhoto: Sendable {
    public var photo: Image
    public var background: Image?
    public var timings = PhotoTimings()
}

/// A photo matted, waiting for its outputs to be made.
public struct MattedPhoto: Sendable {
    public var matte: Matte
    public var background: Image?
    public var timings: PhotoTimings
}

extension PortraitMatting {
    /// Carries out `request` on one photo: decode (limits checked from the header), matte, composite,
    /// encode; the one path that the command, the service, the job worker and video all take.
    ///
    /// Threads: every stage uses at most this matter's `threads` cores (the networks, refinement, the
    /// composite and the PNG coder split their work over that many; decoding, WebP and JPEG use one), so
    /// N callers, each with a matter of T threads, keep at most N x T cores busy.
    ///
    /// The three stages are also callable one by one (`decode`, `matte`, `encode`) for callers that
    /// overlap the stages of successive photos.
    public func run(_ request: MattingRequest, photo: ImageInput, background: ImageInput? = nil) throws(PhotoError) -> MattingResult {
        let decoded = try decode(request, photo: photo, background: background)
        return try encode(request, try matte(request, decoded))
    }

    /// Checks the request and decodes the photo (and the background image, when the composite is laid
    /// over one): the pixel limit and the shape limit (`maximumAspectRatio`) are checked from the
    /// header, before any pixel is decoded.
    public func decode(_ request: MattingRequest, photo: ImageInput, background: ImageInput? = nil) throws(PhotoError) -> DecodedPhoto {
        do throws(RequestError) { try request.validate() } catch { throw .request(error) }
        let clock = ContinuousClock()
        let start = clock.now
        let image: Image
        switch photo {
        case .encoded(let bytes):
            let options = DecodeOptions(pixelLimit: request.maxPixels, maximumAspectRatio: PortraitMatter.maximumAspectRatio)
            do throws(ImageError) { image = try ImageDecoder.decode(bytes, options: options) } catch { throw .photo(error) }
        case .decoded(let decoded):
            image = decoded
        }
        var backgroundImage: Image?
        if request.needsBackgroundImage {
            switch background {
            case .encoded(let bytes)?:
                do throws(ImageError) {
                    backgroundImage = try ImageDecoder.decode(bytes, options: DecodeOptions(pixelLimit: request.maxPixels))
                } catch { throw .background(error) }
            case .decoded(let decoded)?: backgroundImage = decoded
            case nil: throw .backgroundMissing
            }
        }
        var result = DecodedPhoto(photo: image, background: backgroundImage)
        result.timings.decode = clock.now - start
        return result
    }

    /// Mattes a decoded photo.
    public func matte(_ request: MattingRequest, _ decoded: DecodedPhoto) throws(PhotoError) -> MattedPhoto {
        let matte: Matte
        do {
            matte = try self.matte(decoded.photo, options: request.matting)
        } catch let error as ImageError {
            throw .photo(error)
        } catch {
            throw .matting(error)
        }
        var timings = decoded.timings
        timings.matting = matte.timings
        return MattedPhoto(matte: matte, background: decoded.background, timings: timings)
    }

    /// Makes and encodes the request's outputs: the matte as PNG, the cut-out and the composite in the
    /// request's format.
    public func encode(_ request: MattingRequest, _ matted: MattedPhoto) throws(PhotoError) -> MattingResult {
        let clock = ContinuousClock()
        var timings = matted.timings
        let outputs = request.resolvedOutputs
        var start = clock.now
        var composite: Image?
        if outputs.contains(.composite) {
            let backdrop = request.backdrop ?? matted.background.map { .image($0) } ?? .colour(red: 255, green: 255, blue: 255)
            composite = Composite.make(matted.matte, over: backdrop, threads: threads)
            timings.composite = clock.now - start
        }
        start = clock.now
        var files: [MattingResult.File] = []
        do throws(ImageError) {
            for output in outputs {
                switch output {
                case .alpha:
                    files.append(.init(output: output, format: .png, bytes: try ImageEncoder.png(matted.matte.alpha, threads: threads)))
                case .cutout:
                    files.append(.init(output: output, format: request.format,
                                       bytes: try ImageEncoder.encode(matted.matte.cutout, as: request.format,
                                                                      quality: request.quality, threads: threads)))
                case .composite:
                    // Made above whenever the outputs hold it.
                    files.append(.init(output: output, format: request.format,
                                       bytes: try ImageEncoder.encode(composite!, as: request.format,
                                                                      quality: request.quality, threads: threads)))
                }
            }
        } catch {
            throw .encoding(error)
        }
        timings.encode = clock.now - start
        return MattingResult(width: matted.matte.alpha.width, height: matted.matte.alpha.height, files: files,
                             timings: timings)
    }
}
