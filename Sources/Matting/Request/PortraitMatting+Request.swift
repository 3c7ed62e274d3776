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
    /// `check` is `strict` and the photo checks found something (`PhotoCheck.warnings`).
    case checkFailed(PhotoCheck)

    public var description: String {
        switch self {
        case .request(let error): "\(error)"
        case .photo(let error): "\(error)"
        case .background(let error): "background: \(error)"
        case .backgroundMissing: "background: 'image' needs a background image with the photo"
        case .matting(let error): "matting failed: \(error)"
        case .encoding(let error): "\(error)"
        case .checkFailed(let check):
            "skipped by --check strict: " + check.warnings.map { "\($0.code.rawValue): \($0.message)" }.joined(separator: "; ")
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
    /// The photo checks' findings, when the request asked for them (`MattingRequest.check`).
    public var check: PhotoCheck?
    /// What the user should hear about: the check's warnings when checked; else `no_person` when the
    /// subject is `person` and the person mask is all but empty, so a near-empty matte does not come
    /// back unexplained.
    public var warnings: [CheckWarning] = []

    public subscript(output: MattingRequest.Output) -> File? { files.first { $0.output == output } }
}

extension PortraitMatting {
    /// Carries out `request` on one photo: decode (the pixel limit and the shape limit,
    /// `PortraitMatter.maximumAspectRatio`, checked from the header before any pixel is decoded), matte,
    /// composite, encode (the matte as PNG, the cut-out and the composite in the request's format); the
    /// one path that the command, the service, the job worker and video all take. The stored cut-out is
    /// black where it is fully transparent (`Cutout.clearHiddenColours`); `Matte.cutout` keeps the
    /// colours there for callers that lay another alpha over them (video's steadied mattes).
    ///
    /// Threads: every stage uses at most this matter's `threads` cores (the networks, refinement, the
    /// composite and the PNG coder split their work over that many; decoding, WebP and JPEG use one), so
    /// N callers, each with a matter of T threads, keep at most N x T cores busy. The outputs are encoded
    /// together on those cores (`ImageEncoder.encode(_:threads:)`): a WebP or JPEG output on one of them
    /// while the others code the PNG strips.
    public func run(_ request: MattingRequest, photo: ImageInput, background: ImageInput? = nil) throws(PhotoError) -> MattingResult {
        do throws(RequestError) { try request.validate() } catch { throw .request(error) }
        let clock = ContinuousClock()
        var timings = PhotoTimings()
        var start = clock.now
        let image: Image
        do throws(ImageError) {
            image = try Self.image(photo, options: DecodeOptions(pixelLimit: request.maxPixels,
                                                                 maximumAspectRatio: PortraitMatter.maximumAspectRatio))
        } catch { throw .photo(error) }
        var backgroundImage: Image?
        if request.needsBackgroundImage {
            guard let background else { throw .backgroundMissing }
            do throws(ImageError) {
                backgroundImage = try Self.image(background, options: DecodeOptions(pixelLimit: request.maxPixels))
            } catch { throw .background(error) }
        }
        timings.decode = clock.now - start

        var check: PhotoCheck?
        if request.check == .strict {
            let found = try checked(image, person: nil)
            if !found.warnings.isEmpty { throw .checkFailed(found) }
            check = found
        }
        var matte: Matte
        do {
            matte = try self.matte(image, options: request.matting)
        } catch let error as ImageError {
            throw .photo(error)
        } catch {
            throw .matting(error)
        }
        timings.matting = matte.timings
        if request.check == .report {
            do { check = try self.check(image, person: matte.person) } catch { throw .matting(error) }
        }
        var warnings = check?.warnings ?? []
        if check == nil, request.subject == .person, let person = matte.person,
           PersonCoverage(person: person).fraction < CheckThresholds().minimumPersonFraction {
            warnings.append(CheckWarning.noPersonFound)
        }

        // The composite first: a blurred backdrop made from the cut-out weighs its colours under alpha 0,
        // which the stored cut-out does not keep.
        var composite: Image?
        if request.resolvedOutputs.contains(.composite) {
            start = clock.now
            let backdrop = request.backdrop ?? backgroundImage.map { .image($0) } ?? .colour(red: 255, green: 255, blue: 255)
            composite = Composite.make(matte, over: backdrop, threads: threads)
            timings.composite = clock.now - start
        }
        start = clock.now
        var cutout: Image?
        if request.resolvedOutputs.contains(.cutout) {
            // Taken out of the matte, so the colours are cleared in place rather than in a copy.
            cutout = matte.cutout
            matte.cutout = Image(width: 0, height: 0, channels: 4)
            Cutout.clearHiddenColours(&cutout!, threads: threads)
        }
        let jobs = request.resolvedOutputs.map { output -> ImageEncoder.Job in
            switch output {
            // Both are made above when the request asks for them.
            case .alpha: ImageEncoder.Job(matte.alpha, as: .png)
            case .cutout: ImageEncoder.Job(cutout!, as: request.format, quality: request.quality)
            case .composite: ImageEncoder.Job(composite!, as: request.format, quality: request.quality)
            }
        }
        let encoded: [[UInt8]]
        do throws(ImageError) {
            encoded = try ImageEncoder.encode(jobs, threads: threads)
        } catch { throw .encoding(error) }
        timings.encode = clock.now - start
        let files = zip(request.resolvedOutputs, zip(jobs, encoded)).map { output, coded in
            MattingResult.File(output: output, format: coded.0.format, bytes: coded.1)
        }
        return MattingResult(width: matte.alpha.width, height: matte.alpha.height, files: files, timings: timings,
                             check: check, warnings: warnings)
    }

    /// The photo checks on `image`, their errors (a missing face model) as matting errors; a matter
    /// without checks fails as if the face model were missing.
    private func checked(_ image: Image, person: Plane?) throws(PhotoError) -> PhotoCheck {
        let check: PhotoCheck?
        do { check = try self.check(image, person: person) } catch { throw .matting(error) }
        guard let check else {
            throw .matting(MattingError.modelMissing(path: ModelFiles.faceDetector, fetchCommand: ModelFiles.fetchCommand))
        }
        return check
    }

    /// Decodes `photo` under `maxPixels` and the shape limit, as `run` does, and checks it.
    public func check(photo: ImageInput, maxPixels: Int = MattingRequest().maxPixels) throws(PhotoError) -> PhotoCheck {
        let image: Image
        do throws(ImageError) {
            image = try Self.image(photo, options: DecodeOptions(pixelLimit: maxPixels,
                                                                 maximumAspectRatio: PortraitMatter.maximumAspectRatio))
        } catch { throw .photo(error) }
        return try checked(image, person: nil)
    }

    /// The pixels of `input`, decoded under `options` when they come as file bytes.
    private static func image(_ input: ImageInput, options: DecodeOptions) throws(ImageError) -> Image {
        switch input {
        case .encoded(let bytes): try ImageDecoder.decode(bytes, options: options)
        case .decoded(let image): image
        }
    }
}
