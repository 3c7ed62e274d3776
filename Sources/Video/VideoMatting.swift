import Foundation
import Imaging
import Matting

/// How a video is matted.
public struct VideoOptions: Sendable {
    /// Mode, subject and background as for photos (`MattingRequest`); its `outputs` and `format` are not used.
    public var request: MattingRequest
    /// The one kind of frame written: the matte (grey), the cut-out (RGBA) or the composite (RGB).
    public var output: MattingRequest.Output
    /// Steady the mattes over time (`TemporalSmoothing`).
    public var stabilise = true
    /// Reuse the last matte for frames that barely changed (`FrameChange`).
    public var skipUnchanged = true
    /// Also measure flicker and lag (`FlickerMeasure`); every frame then runs the networks, so the per-frame
    /// mattes exist to compare with.
    public var measureFlicker = false
    /// Frames matted at once, each on its own core (the matter's `threads` each).
    public var workers = 2

    public init(request: MattingRequest, output: MattingRequest.Output) {
        self.request = request
        self.output = output
    }

    /// Channels of the frames written: 1, 4 or 3.
    public var outputChannels: Int {
        switch output {
        case .alpha: 1
        case .cutout: 4
        case .composite: 3
        }
    }
}

/// Total time per stage over a whole video, for `--timings`.
public struct VideoTimings: Sendable {
    /// Waiting for decoded frames (reading the pipe) and comparing them with the last.
    public var decode: Duration = .zero
    /// The pipeline's own stages, summed over frames (`StageTimings`).
    public var preprocess: Duration = .zero
    public var inference: Duration = .zero
    public var postprocess: Duration = .zero
    public var stabilise: Duration = .zero
    public var composite: Duration = .zero
    /// Handing frames to the encoder or writing them.
    public var encode: Duration = .zero

    public var stages: [(name: String, time: Duration)] {
        [("decode", decode), ("pre-process", preprocess), ("inference", inference), ("post-process", postprocess),
         ("stabilise", stabilise), ("composite", composite), ("encode", encode)]
    }
}

/// What a run did.
public struct VideoReport: Sendable {
    public var frames = 0
    /// Frames whose matte was reused from the frame before (`FrameChange`).
    public var reused = 0
    public var elapsed: Duration = .zero
    public var timings = VideoTimings()
    /// Present when `measureFlicker` was set.
    public var flicker: FlickerMeasure?

    public var framesPerSecond: Double {
        let seconds = elapsed / .seconds(1)
        return seconds > 0 ? Double(frames) / seconds : 0
    }
}

/// Mattes a stream of frames: each frame through the one per-photo matting function
/// (`PortraitMatting.matte`, which `PortraitMatting.run` calls for photos), steadied over time, composited
/// as the request says, and written in order.
///
/// Frames overlap (`FramePipeline`): while FFmpeg decodes ahead and encodes behind in its own processes,
/// `workers` frames run through the networks at once, each on `matter.threads` cores; steadying and
/// compositing go in frame order. At most `workers + 1` frames are in flight.
public final class VideoMatting: @unchecked Sendable {
    public let matter: any PortraitMatting
    public let options: VideoOptions
    /// The composite's backdrop (a colour, a blur, or an image already scaled to cover the frame on first use).
    private var backdrop: Backdrop
    private let backgroundImage: Image?

    /// - Parameter backgroundImage: the picture behind the person when `request.background` is `image`.
    public init(matter: any PortraitMatting, options: VideoOptions, backgroundImage: Image? = nil) throws(VideoError) {
        self.matter = matter
        self.options = options
        self.backgroundImage = backgroundImage
        do throws(RequestError) { try options.request.validate() } catch {
            throw VideoError(subject: "request", reason: "\(error)")
        }
        if let backdrop = options.request.backdrop {
            self.backdrop = backdrop
        } else if let backgroundImage {
            self.backdrop = .image(backgroundImage)
        } else {
            self.backdrop = .colour(red: 255, green: 255, blue: 255)
        }
    }

    /// One frame on its way: read, then matted (or marked to reuse the last matte).
    private struct Frame: @unchecked Sendable {
        var image: Image
        var reuse: Bool
        var matte: Matte?
        /// For a composite over the blurred room: the room blurred, on its coarse grid, made beside the
        /// networks rather than in the ordered step, where it would hold up every frame behind it.
        var blurredBackground: BlurredGrid?
    }

    /// Runs every frame of `source` into `sink`, then finishes the sink. On any failure the source and the
    /// sink are abandoned (no half-written file under its final name) and the error is rethrown.
    /// `progress` is called after each frame is written, with the frames written so far.
    public func run(source: FrameSource, sink: FrameSink, progress: @escaping (Int) -> Void = { _ in }) throws -> VideoReport {
        let clock = ContinuousClock()
        let start = clock.now
        var report = VideoReport()
        if options.measureFlicker { report.flicker = FlickerMeasure() }
        var smoothing = TemporalSmoothing()
        var lastMatted: Image?          // the last frame the networks saw
        // Written by `next` only, while `report` belongs to `deliver`: the two run at the same time.
        var decodeTime = Duration.zero
        var previous: (frame: Image, perFrame: Image?, output: Image, matte: Matte)?
        let request = options.request
        let matter = self.matter
        let measuring = options.measureFlicker
        let skipping = options.skipUnchanged
        let blurRadius: Int?? = if options.output == .composite, case .blur(let radius) = backdrop { .some(radius) } else { nil }
        var lastBlurredBackground: BlurredGrid?

        do {
            try FramePipeline.run(
                workers: max(1, options.workers), window: max(1, options.workers) + 1,
                next: { () throws -> Frame? in
                    let readStart = clock.now
                    guard let image = try source.next() else { return nil }
                    var reuse = false
                    if skipping, let last = lastMatted, FrameChange.isUnchanged(image, from: last) {
                        reuse = true
                    } else {
                        lastMatted = image
                    }
                    decodeTime += clock.now - readStart
                    return Frame(image: image, reuse: reuse, matte: nil)
                },
                process: { (frame: Frame) throws -> Frame in
                    var frame = frame
                    if !frame.reuse || measuring {
                        frame.matte = try matter.matte(frame.image, options: request.matting)
                    }
                    if let radius = blurRadius, let matte = frame.matte, !frame.reuse {
                        let radius = radius ?? Composite.defaultBlurRadius(width: frame.image.width, height: frame.image.height)
                        frame.blurredBackground = if let estimate = matte.backgroundEstimate {
                            BlurredGrid(estimate, radius: radius, weightedByTransparency: false, threads: matter.threads)
                        } else {
                            BlurredGrid(matte.cutout, radius: radius, weightedByTransparency: true, threads: matter.threads)
                        }
                    }
                    return frame
                },
                deliver: { (frame: Frame) throws in
                    var stageStart = clock.now
                    if let timings = frame.matte?.timings {
                        report.timings.preprocess += timings.preprocess
                        report.timings.inference += timings.inference
                        report.timings.postprocess += timings.postprocess
                    }
                    let matte: Matte
                    let alpha: Image
                    if frame.reuse, let previous {
                        matte = previous.matte
                        alpha = previous.output
                        report.reused += 1
                    } else {
                        guard let fresh = frame.matte else { preconditionFailure("a frame to matte came back without a matte") }
                        matte = fresh
                        alpha = self.options.stabilise ? smoothing.smooth(fresh.alpha) : fresh.alpha
                    }
                    if var flicker = report.flicker, let previous, let perFrame = frame.matte?.alpha, let previousPerFrame = previous.perFrame {
                        flicker.add(frame: frame.image, previousFrame: previous.frame, perFrame: perFrame,
                                    previousPerFrame: previousPerFrame, output: alpha, previousOutput: previous.output)
                        report.flicker = flicker
                    }
                    previous = (frame.image, frame.matte?.alpha, alpha, matte)
                    report.timings.stabilise += clock.now - stageStart

                    stageStart = clock.now
                    let picture: Image
                    switch self.options.output {
                    case .alpha:
                        picture = alpha
                    case .cutout:
                        picture = Cutout.make(photo: frame.reuse ? frame.image : matte.cutout, alpha: alpha)
                    case .composite where blurRadius != nil:
                        // The blurred room of this frame, or of the last matted one for a reused frame.
                        if let blurred = frame.blurredBackground { lastBlurredBackground = blurred }
                        guard let background = lastBlurredBackground else { preconditionFailure("no blurred background") }
                        // Colours and alpha laid over the blur in one pass (no cut-out, no full-size blur made).
                        picture = background.composite(colours: frame.reuse ? frame.image : matte.cutout, alpha: alpha,
                                                       threads: max(1, self.options.workers))
                    case .composite:
                        let cutout = Cutout.make(photo: frame.reuse ? frame.image : matte.cutout, alpha: alpha)
                        let estimate = matte.backgroundEstimate.flatMap { $0.width == cutout.width && $0.height == cutout.height ? $0 : nil }
                        picture = Composite.make(cutout: cutout, backgroundEstimate: estimate, over: self.coveringBackdrop(cutout),
                                                 threads: max(1, self.options.workers))
                    }
                    report.timings.composite += clock.now - stageStart

                    stageStart = clock.now
                    try sink.write(picture)
                    report.timings.encode += clock.now - stageStart
                    report.frames += 1
                    progress(report.frames)
                })
            if report.frames == 0 { throw VideoError(subject: "input", reason: "no frames") }
            try sink.finish()
        } catch {
            source.abandon()
            sink.abandon()
            throw error
        }
        report.elapsed = clock.now - start
        report.timings.decode = decodeTime
        return report
    }

    /// The backdrop for a frame of `cutout`'s size: an image is scaled to cover it once, then reused.
    private func coveringBackdrop(_ cutout: Image) -> Backdrop {
        if case .image(let image) = backdrop, image.width != cutout.width || image.height != cutout.height || image.channels != 3 {
            backdrop = .image(Composite.cover(image, width: cutout.width, height: cutout.height, threads: matter.threads))
        }
        return backdrop
    }
}
