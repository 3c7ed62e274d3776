import Foundation
import Imaging
import Inference

/// How a photo is matted.
public struct MattingOptions: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable {
        /// Selfie segmentation only (any-subject: U-2-Net-p only), brought to full resolution by the
        /// guided filter.
        case fast
        /// Both branches fused, then refined at full resolution.
        case best
    }

    public var mode: Mode = .best
    public var subject: BranchFusion.Subject = .person

    public init(mode: Mode = .best, subject: BranchFusion.Subject = .person) {
        self.mode = mode
        self.subject = subject
    }
}

/// Anything that mattes photos: `PortraitMatter`, or a stand-in in tests. Requests are carried out over
/// it (`run(_:photo:background:)`).
public protocol PortraitMatting: Sendable {
    /// Cores each call may use.
    var threads: Int { get }
    func matte(_ image: Image, options: MattingOptions) throws -> Matte
    /// The photo checks (`PhotoChecker`) on `image`, reusing `person` (`Matte.person`) when given;
    /// nil from a matter that has none.
    func check(_ image: Image, person: Plane?) throws -> PhotoCheck?
}

extension PortraitMatting {
    public var threads: Int { 1 }

    /// Matters without checks of their own (stand-ins in tests) have none.
    public func check(_ image: Image, person: Plane?) throws -> PhotoCheck? { nil }
}

/// Turns photos of people into alpha mattes and cut-outs. Loads its networks once; `matte` may be
/// called from several threads at once.
///
/// Stages (each its own type): the semantic branch (`SelfieSegmenter`) and the detail branch
/// (`SalientObjectDetector`) at network resolution, their fusion (`BranchFusion`), then refinement
/// at the photo's resolution: in fast mode the guided filter (`GuidedFilter`) and the photo's
/// colours (`Cutout`); in best mode trimap, closed-form alpha and foreground colours
/// (`MatteRefinement`), which also estimates the background.
public final class PortraitMatter: PortraitMatting {
    /// Photos whose longer side is more than this many times the shorter are refused
    /// (`ImageError.tooElongated`). Both networks squeeze the whole photo into a square (256 and 320
    /// samples a side): past 20:1 a subject as wide as the short side gets fewer than 16 of the long
    /// side's samples, too few for a matte worth having. Bounding the shape also bounds every stage's
    /// memory and time by a multiple of the pixel count.
    public static let maximumAspectRatio = 20

    public let threads: Int
    public let segmenter: SelfieSegmenter
    public let detector: SalientObjectDetector
    /// The photo checks, loaded on first use (`check`): a matter that is never asked to check does
    /// not read the face model.
    private let checker: LoadedOnce<PhotoChecker>

    /// - Parameters:
    ///   - modelDirectory: folder holding the model files (see `ModelFiles`).
    ///   - threads: cores each `matte` call may use.
    public init(modelDirectory: String = ModelFiles.defaultDirectory, threads: Int = 2) throws {
        self.threads = max(1, threads)
        let detector = try SalientObjectDetector(directory: modelDirectory)
        // U-2-Net-p's arena (tens of MB) made ready on a spare core while the selfie model loads and
        // the first photo is read and decoded, instead of page by page during the first run. A thread
        // of its own: on the global queue it would hold a worker that `parallelFor` waits for.
        Thread.detachNewThread { detector.plan.prepareArena() }
        self.detector = detector
        let segmenter = try SelfieSegmenter(directory: modelDirectory)
        self.segmenter = segmenter
        checker = LoadedOnce {
            PhotoChecker(faceDetector: try FaceDetector(directory: modelDirectory), segmenter: segmenter)
        }
    }

    public func check(_ image: Image, person: Plane?) throws -> PhotoCheck? {
        try checker.value().check(image, person: person, threads: threads)
    }

    /// Mattes one photo (any channel count; RGBA is flattened over white for the networks, and the
    /// cut-out takes the photo's own colours).
    ///
    /// - Throws: `ImageError.tooElongated` beyond `maximumAspectRatio`, `ModelError` from the networks.
    public func matte(_ image: Image, options: MattingOptions = MattingOptions()) throws -> Matte {
        guard image.width > 0, image.height > 0 else { throw ImageError.empty }
        try checkAspectRatio(width: image.width, height: image.height, maximumRatio: Self.maximumAspectRatio)
        var timings = StageTimings()
        let clock = ContinuousClock()
        var start = clock.now
        let opaque = image.channels == 4 ? image.flattened(over: (255, 255, 255)) : image
        let usesPerson = options.subject == .person
        let usesDetail = options.mode == .best || options.subject == .any
        let personInput = usesPerson ? segmenter.inputTensor(for: opaque) : nil
        let detailInput = usesDetail ? SalientObjectDetector.inputTensor(for: opaque, threads: threads) : nil
        timings.preprocess = clock.now - start

        start = clock.now
        var person: Plane?
        if let personInput {
            let output = try segmenter.plan.run([personInput], threads: threads)[0]
            person = Plane(width: output.shape[2], height: output.shape[1], values: output.scalars)
        }
        var detail: Plane?
        if let detailInput {
            let output = try detector.plan.run([detailInput], threads: threads)[0]
            detail = SalientObjectDetector.normalised(Plane(width: output.shape[2], height: output.shape[1], values: output.scalars))
        }
        timings.inference = clock.now - start

        start = clock.now
        let coarse: Plane
        switch (person, detail) {
        case (let person?, let detail?):
            let zones = try hairZones(opaque, person: person)
            coarse = BranchFusion(subject: options.subject)
                .fuse(person: person.resized(width: detail.width, height: detail.height), detail: detail, hairZones: zones)
        case (let person?, nil): coarse = person
        case (nil, let detail?): coarse = detail
        case (nil, nil): preconditionFailure("no branch ran")
        }
        timings.stages.append(("fusion", clock.now - start))
        var matte: Matte
        switch options.mode {
        case .fast:
            let alpha = GuidedFilter.forImage(width: image.width, height: image.height)
                .apply(input: coarse, guide: opaque, threads: threads)
            matte = Matte(alpha: alpha.greyImage(), cutout: Cutout.make(photo: image, alpha: alpha), timings: timings)
        case .best:
            let refined = MatteRefinement(threads: threads).refine(photo: opaque, coarse: coarse)
            timings.stages += refined.stages
            matte = Matte(alpha: refined.alpha, cutout: refined.cutout, backgroundEstimate: refined.background,
                          timings: timings)
        }
        matte.timings.postprocess = clock.now - start
        matte.person = person
        return matte
    }

    /// Hair zones around the faces in `image` (found as the photo checks find them: on the whole
    /// photo, and on the head of a small person located by `person`).
    func hairZones(_ image: Image, person: Plane) throws -> [HairZone] {
        let focus = PhotoChecker.headSquare(person: person, width: image.width, height: image.height)
        return try checker.value().faceDetector.faces(in: image, focus: focus, threads: threads)
            .map { HairZone(face: $0.box, width: image.width, height: image.height) }
    }
}
