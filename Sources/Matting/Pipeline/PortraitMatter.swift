import Foundation
import Imaging
import Inference
import Parallelism

/// How a photo is matted.
public struct MattingOptions: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable {
        /// Selfie segmentation only (any-subject: U-2-Net-p only), brought to full resolution by the
        /// guided filter.
        case fast
        /// Both branches fused, then refined at full resolution.
        case best
        /// Best, then alpha solved again at the photo's own resolution on the band where it is
        /// uncertain, wider around faces (`BandRefinement`): strands finer than the working grid.
        case fine
    }

    public var mode: Mode = .best
    public var subject: BranchFusion.Subject = .person
    /// Whether best and fine modes also estimate what lies behind the person at full resolution
    /// (`Matte.backgroundEstimate`), which only a blurred backdrop uses.
    public var estimatesBackground = false

    public init(mode: Mode = .best, subject: BranchFusion.Subject = .person, estimatesBackground: Bool = false) {
        self.mode = mode
        self.subject = subject
        self.estimatesBackground = estimatesBackground
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
///
/// The two networks load on threads of their own, side by side (`loading`), so a caller can read and
/// decode its first photo meanwhile; `init` waits for them.
public final class PortraitMatter: PortraitMatting {
    /// Photos whose longer side is more than this many times the shorter are refused
    /// (`ImageError.tooElongated`). Both networks squeeze the whole photo into a square (256 and 320
    /// samples a side): past 20:1 a subject as wide as the short side gets fewer than 16 of the long
    /// side's samples, too few for a matte worth having. Bounding the shape also bounds every stage's
    /// memory and time by a multiple of the pixel count.
    public static let maximumAspectRatio = 20

    public let threads: Int
    private let segmenterLoad: BackgroundLoad<SelfieSegmenter>
    private let detectorLoad: BackgroundLoad<SalientObjectDetector>
    /// Cores for U-2-Net-p when its runs take turns (`detailTurnThreads`), else nil.
    public let detailTurnThreads: Int?
    /// Held through each U-2-Net-p run when they take turns.
    private let detailTurn = NSLock()
    /// The photo checks, loaded on first use (`check`): a matter that is never asked to check does
    /// not read the face model.
    private let checker: LoadedOnce<PhotoChecker>

    /// The semantic branch's network; waits for it while it loads.
    /// - Throws: `MattingError.model` when its file could not be read as a model.
    public var segmenter: SelfieSegmenter { get throws { try segmenterLoad.value() } }
    /// The detail branch's network; waits for it while it loads.
    /// - Throws: `MattingError.model` when its file could not be read as a model.
    public var detector: SalientObjectDetector { get throws { try detectorLoad.value() } }

    /// Loads the networks and returns once both are ready.
    ///
    /// - Parameters:
    ///   - modelDirectory: folder holding the model files (see `ModelFiles`).
    ///   - threads: cores each `matte` call may use.
    ///   - detailTurnThreads: when given, U-2-Net-p runs one call at a time, on this many cores, while the
    ///     other calls' other stages go on: concurrent calls take turns with the one arena its plan keeps
    ///     (15.29 M floats, 61 MB) instead of each holding one. For a batch's workers, one core each
    ///     (`threads` 1), whose networks then run on all cores in turn: a busy thread more than the
    ///     workers for part of the time, in exchange for one arena.
    ///   - detailModel: path of the detail branch's ONNX file; nil for `u2netp.onnx` in `modelDirectory`.
    ///     Another U-2-Net of the same input and outputs, such as the full U-2-Net, for evaluation (the
    ///     quality benchmark's `--detail-model`).
    /// - Throws: `MattingError.modelMissing` or `MattingError.model`.
    public convenience init(modelDirectory: String = ModelFiles.defaultDirectory, threads: Int = 2,
                            detailTurnThreads: Int? = nil, detailModel: String? = nil) throws {
        try self.init(loading: modelDirectory, threads: threads, detailTurnThreads: detailTurnThreads,
                      detailModel: detailModel)
        try waitUntilLoaded()
    }

    /// A matter whose networks are still loading, each on a thread of its own, when it is returned: the
    /// first `matte` (or `waitUntilLoaded`) waits for them. For a caller with a photo to read and decode
    /// first: a single photo's whole run is shorter by the overlap (see `PortraitMatter.matte`).
    /// The parameters are `init`'s.
    ///
    /// - Throws: `MattingError.modelMissing` at once when a network's file is missing; a file that cannot
    ///   be read as a model fails the first `matte` (and every later one) with `MattingError.model`.
    public static func loading(modelDirectory: String = ModelFiles.defaultDirectory, threads: Int = 2,
                               detailTurnThreads: Int? = nil, detailModel: String? = nil) throws -> PortraitMatter {
        try PortraitMatter(loading: modelDirectory, threads: threads, detailTurnThreads: detailTurnThreads,
                           detailModel: detailModel)
    }

    private init(loading modelDirectory: String, threads: Int, detailTurnThreads: Int?, detailModel: String?) throws {
        let threads = max(1, threads)
        self.threads = threads
        self.detailTurnThreads = detailTurnThreads.map { max(1, $0) }
        let detailPath = detailModel ?? modelDirectory + "/" + ModelFiles.u2netp
        try ModelFiles.requireFile(atPath: detailPath)
        try ModelFiles.requireFile(atPath: modelDirectory + "/" + SelfieSegmenter.Variant.general.fileName)
        // U-2-Net-p's arena (61 MB) is mapped before the detector is handed out, on the cores a run may
        // use (by then the photo is decoded and resized), instead of page by page during its first run.
        let arenaThreads = self.detailTurnThreads ?? threads
        detectorLoad = BackgroundLoad(name: "matte-load-u2netp") {
            let detector = try SalientObjectDetector(path: detailPath)
            detector.plan.prepareArena(threads: arenaThreads)
            return detector
        }
        let segmenterLoad = BackgroundLoad(name: "matte-load-selfie") { try SelfieSegmenter(directory: modelDirectory) }
        self.segmenterLoad = segmenterLoad
        checker = LoadedOnce {
            PhotoChecker(faceDetector: try FaceDetector(directory: modelDirectory), segmenter: try segmenterLoad.value())
        }
    }

    /// Waits until both networks are loaded.
    /// - Throws: `MattingError.model` when a file could not be read as a model.
    public func waitUntilLoaded() throws {
        _ = try detectorLoad.value()
        _ = try segmenterLoad.value()
    }

    public func check(_ image: Image, person: Plane?) throws -> PhotoCheck? {
        try checker.value().check(image, person: person, threads: threads)
    }

    /// Mattes one photo (any channel count; RGBA is flattened over white for the networks, and the
    /// cut-out takes the photo's own colours).
    ///
    /// With both branches and two cores or more, the semantic branch (its input and its network, a few
    /// ms on one core) runs beside the detail branch's resize (on another), so in `timings` the selfie
    /// network's time is part of `preprocess`, as is any wait for networks still loading; `inference`
    /// is U-2-Net-p's run. Each side uses one core: at most `threads` busy at once, as everywhere.
    ///
    /// - Throws: `ImageError.tooElongated` beyond `maximumAspectRatio`, `ModelError` from the networks,
    ///   `MattingError.model` when a network could not be loaded.
    public func matte(_ image: Image, options: MattingOptions = MattingOptions()) throws -> Matte {
        guard image.width > 0, image.height > 0 else { throw ImageError.empty }
        try checkAspectRatio(width: image.width, height: image.height, maximumRatio: Self.maximumAspectRatio)
        var timings = StageTimings()
        let clock = ContinuousClock()
        var start = clock.now
        let opaque = image.channels == 4 ? image.flattened(over: (255, 255, 255)) : image
        let usesPerson = options.subject == .person
        let usesDetail = options.mode != .fast || options.subject == .any
        var person: Plane?
        var detailInput: Tensor?
        if usesPerson && usesDetail && threads >= 2 {
            var personResult: Result<Plane, any Error>?
            var detailResult: Result<Tensor, any Error>?
            // Each side sets only its own result; both have when `parallelFor` returns.
            parallelFor(2, threads: 2) { sides in
                for side in sides {
                    if side == 0 {
                        detailResult = Result { try self.detectorInput(for: opaque, threads: 1) }
                    } else {
                        personResult = Result { try self.segmenter.probabilities(for: opaque, threads: 1) }
                    }
                }
            }
            person = try personResult!.get()
            detailInput = try detailResult!.get()
        } else {
            person = usesPerson ? try segmenter.probabilities(for: opaque, threads: threads) : nil
            detailInput = usesDetail ? try detectorInput(for: opaque, threads: threads) : nil
        }
        timings.preprocess = clock.now - start

        start = clock.now
        var detail: Plane?
        if let detailInput {
            let output = try runDetail(detailInput)
            detail = SalientObjectDetector.normalised(Plane(width: output.shape[2], height: output.shape[1], values: output.scalars))
        }
        timings.inference = clock.now - start

        start = clock.now
        let coarse: Plane
        var zones: [HairZone] = []
        switch (person, detail) {
        case (let person?, let detail?):
            zones = try hairZones(opaque, person: person)
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
            let grey = alpha.greyImage()
            matte = Matte(alpha: grey, cutout: Cutout.make(photo: image, alpha: grey), timings: timings)
        case .best, .fine:
            var refinement = MatteRefinement(threads: threads)
            refinement.estimatesBackground = options.estimatesBackground
            if options.mode == .fine { refinement.band = BandRefinement(threads: threads) }
            let refined = refinement.refine(photo: opaque, coarse: coarse, hairZones: zones)
            timings.stages += refined.stages
            matte = Matte(alpha: refined.alpha, cutout: refined.cutout, backgroundEstimate: refined.background,
                          timings: timings)
        }
        matte.timings.postprocess = clock.now - start
        matte.person = person
        return matte
    }

    /// U-2-Net-p's input for `opaque`, once its network is loaded (the resize does not wait for it).
    private func detectorInput(for opaque: Image, threads: Int) throws -> Tensor {
        let input = SalientObjectDetector.inputTensor(for: opaque, threads: threads)
        _ = try detector
        return input
    }

    /// U-2-Net-p on `input`: at once on `threads` cores, or in its turn on `detailTurnThreads`.
    private func runDetail(_ input: Tensor) throws -> Tensor {
        guard let detailTurnThreads else { return try detector.plan.run([input], threads: threads)[0] }
        detailTurn.lock()
        defer { detailTurn.unlock() }
        return try detector.plan.run([input], threads: detailTurnThreads)[0]
    }

    /// Hair zones around the faces in `image` (found as the photo checks find them: on the whole
    /// photo, and on the head of a small person located by `person`).
    func hairZones(_ image: Image, person: Plane) throws -> [HairZone] {
        let focus = PhotoChecker.headSquare(person: person, width: image.width, height: image.height)
        return try checker.value().faceDetector.faces(in: image, focus: focus, threads: threads)
            .map { HairZone(face: $0.box, width: image.width, height: image.height) }
    }
}
