// Matte quality on the alphamatting.com training set, the measuring side of scripts/quality-benchmark.
// Every alpha, ours and the peers' (written by the scripts in scripts/references), is measured by the
// same metric code (Matting's `MatteErrors`). Parts, in order:
//   trimap-based  our closed-form solver and PyMatting's on each image's trimaps (errors over the unknown
//                 region; a table per trimap)
//   trimap-free   composites of the set over photos through our whole pipeline (any subject; best and
//                 fast), rembg's u2netp mask, rembg with alpha matting and the upsampled selfie mask
//                 (whole-image errors; per method mean and median); with --detail-model, best mode
//                 with that network as the detail branch too
//   portraits     real portraits with true alphas (--portraits DIR) through our pipeline in person mode
//                 (best and fast) and the same peers; errors split into true background, foreground and
//                 partial pixels (see Portraits.swift)
//   photo         a 1920x1080 photo decoded, matted and encoded by us, beside rembg's times on it
//   sheet         the contact sheet OUTPUT_DIR/contact-sheet.png (see ContactSheet)
//   precision     bf16 networks beside fp32 on the composites, the real portraits (--portraits) and the
//                 sample portraits, best and fast mode (see PrecisionComparison)
//
// DATA_DIR holds GTnn_image.png, GTnn_alpha.png, GTnn_trimap1.png and GTnn_trimap2.png. The references
// folder holds PyMatting's alphas (GTnn_trimapK.f32: raw little-endian float32, row-major, the image's
// size; times.json: {"GTnn_trimapK": seconds}), composites/ (quality_inputs.py) and rembg/
// (quality_rembg.py). Without references only the trimap-based part runs, ours alone. Results go to
// OUTPUT_DIR: quality.json (every row of every part) and contact-sheet.png.
import ArgumentParser
import Foundation
import Imaging
import Matting

struct QualityBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matte-quality",
        abstract: "Matte quality on the alphamatting.com training set (the measuring side of scripts/quality-benchmark).",
        discussion: """
            Without --references only the trimap-based part runs (ours alone); scripts/quality-benchmark \
            builds the references and runs every part. Lists are comma-separated.
            """)

    @Argument(help: ArgumentHelp("Folder of GTnn_image.png, GTnn_alpha.png, GTnn_trimap1.png and GTnn_trimap2.png.",
                                 valueName: "data-dir"))
    var dataDirectory: String

    @Option(help: ArgumentHelp("Folder of real portraits, <name>_image.png with its true <name>_alpha.png, for the portraits "
                               + "and precision parts (default: portraits beside data-dir, when there).", valueName: "dir"))
    var portraits: String?

    @Option(name: .customLong("references"),
            help: ArgumentHelp("Folder of the peers' results (scripts/quality-benchmark writes it).", valueName: "dir"))
    var referenceDirectory: String?

    @Option(help: ArgumentHelp("Parts to run, in this order: \(Part.allCases.map(\.rawValue).joined(separator: ",")) "
                               + "(default: all of them with --references, else trimap-based).", valueName: "list"))
    var parts: String?

    @Option(help: ArgumentHelp("Images of the set (default: GT01 to GT20).", valueName: "list"))
    var images: String?

    @Option(help: ArgumentHelp("Trimaps of each image for the trimap-based part (or generated: the true alpha thresholded and banded).", valueName: "list"))
    var trimaps = "trimap1,trimap2"

    @Option(help: ArgumentHelp("Images whose first composite goes on the contact sheet: hair, long hair, fur.",
                               valueName: "list"))
    var sheetImages = "GT04,GT08,GT16"

    @Option(help: ArgumentHelp("Another build of matte (say, the previous commit's) run in best mode on the composites and "
                               + "portraits and scored beside ours as 'matte best, baseline'.", valueName: "path"))
    var baseline: String?

    @Option(help: ArgumentHelp("Another detail network in place of U-2-Net-p (an ONNX file of its input and outputs, such as "
                               + "the full U-2-Net's u2net.onnx): best mode with it on the composites and portraits, scored "
                               + "beside ours as 'matte best, detail model'.", valueName: "path"))
    var detailModel: String?

    @Option(help: "Cores for the solver and the pipeline.")
    var threads = 2

    @Option(help: "Runs of the 1920x1080 photo.")
    var runs = 5

    @Option(name: .customLong("output"), help: ArgumentHelp("Folder for quality.json and contact-sheet.png.", valueName: "dir"))
    var outputDirectory = "results/quality"

    @Option(name: .customLong("models"), help: ArgumentHelp("Folder of the model files.", valueName: "dir"))
    var modelDirectory = ModelFiles.defaultDirectory

    @Option(name: .customLong("samples"), help: ArgumentHelp("Folder of the sample portraits.", valueName: "dir"))
    var samplesDirectory = ModelFiles.samplesDirectory

    @Option(help: "Regularisation of the matting Laplacian.")
    var epsilon = ClosedFormMatting().epsilon

    @Option(help: "Relative residual at which conjugate gradients stop.")
    var tolerance = ClosedFormMatting().relativeTolerance

    @Option(help: "Most conjugate-gradient iterations.")
    var iterations = ClosedFormMatting().maximumIterations

    @Option(help: ArgumentHelp("Preconditioner of the solver.", valueName: "name"))
    var preconditioner = ClosedFormMatting().preconditioner

    @Flag(help: "Solve at half size first, then refine at full size (about 40% faster, errors 1 to 3% higher).")
    var coarseToFine = false

    @Option(help: ArgumentHelp("Scale the trimap-based part's images, alphas and trimaps by this factor (no PyMatting beside ours then).", valueName: "factor"))
    var scale: Double = 1

    @Flag(help: "Print the solver's times and residual for each image.")
    var verbose = false

    /// A comma-separated list.
    static func list(_ text: String) -> [String] {
        text.split(separator: ",").map(String.init)
    }

    /// `--parts`, checked, or nil when not given.
    func chosenParts() throws(ValidationError) -> [Part]? {
        guard let parts else { return nil }
        return try Self.list(parts).map { name throws(ValidationError) in
            guard let part = Part(rawValue: name) else {
                throw ValidationError("unknown part \(name) (\(Part.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return part
        }
    }

    func validate() throws {
        _ = try chosenParts()
        guard threads > 0 else { throw ValidationError("--threads needs a positive number") }
        guard runs > 0 else { throw ValidationError("--runs needs a positive number") }
        guard epsilon > 0 else { throw ValidationError("--epsilon needs a positive number") }
        guard tolerance > 0 else { throw ValidationError("--tolerance needs a positive number") }
        guard iterations > 0 else { throw ValidationError("--iterations needs a positive number") }
        guard scale > 0 else { throw ValidationError("--scale needs a positive number") }
    }

    /// The options the parts read.
    func options() throws -> Options {
        var options = Options()
        options.dataDirectory = dataDirectory
        options.referenceDirectory = referenceDirectory
        let besideData = dataDirectory + "/../portraits"
        options.portraitDirectory = portraits ?? (FileManager.default.fileExists(atPath: besideData) ? besideData : nil)
        options.parts = try chosenParts()
        options.trimaps = Self.list(trimaps)
        if let images { options.images = Self.list(images) }
        options.sheetImages = Self.list(sheetImages)
        options.solver = ClosedFormMatting(epsilon: epsilon, relativeTolerance: tolerance, maximumIterations: iterations,
                                           preconditioner: preconditioner, threads: threads, coarseToFine: coarseToFine)
        options.runs = runs
        options.outputDirectory = outputDirectory
        options.modelDirectory = modelDirectory
        options.samplesDirectory = samplesDirectory
        options.verbose = verbose
        options.baseline = baseline
        options.detailModel = detailModel
        options.scale = scale
        return options
    }

    func run() throws {
        let options = try options()
        let parts = options.parts ?? (options.referenceDirectory == nil ? [.trimapBased]
            : Part.allCases.filter { $0 != .portraits || options.portraitDirectory != nil })
        do {
            try FileManager.default.createDirectory(atPath: options.outputDirectory, withIntermediateDirectories: true)
        } catch {
            fail("cannot create \(options.outputDirectory): \(error)")
        }

        var results = Results()
        // The networks load once, and only for the parts that run them.
        let sharedMatter: PortraitMatter? = parts.allSatisfy { $0 == .trimapBased || $0 == .precision } ? nil : {
            do {
                return try PortraitMatter(modelDirectory: options.modelDirectory, threads: options.solver.threads)
            } catch {
                fail("\(error)")
            }
        }()
        func matter() -> PortraitMatter { sharedMatter! }
        // The same pipeline with the other detail network, for the parts that score it.
        let detailMatter: PortraitMatter? = options.detailModel.flatMap { path in
            guard parts.contains(.trimapFree) || parts.contains(.portraits) else { return nil }
            do {
                return try PortraitMatter(modelDirectory: options.modelDirectory, threads: options.solver.threads,
                                          detailModel: path)
            } catch {
                fail("--detail-model: \(error)")
            }
        }
        func references(for part: Part) -> String {
            guard let directory = options.referenceDirectory else {
                fail("the \(part.rawValue) part needs --references (scripts/quality-benchmark builds them)")
            }
            return directory
        }

        for part in parts {
            switch part {
            case .trimapBased:
                results.trimapBased = runTrimapBased(options)
            case .trimapFree:
                results.trimapFree = runTrimapFree(options, matter: matter(), detailMatter: detailMatter,
                                                   references: references(for: part))
            case .portraits:
                guard let directory = options.portraitDirectory else { fail("the portraits part needs --portraits DIR") }
                results.portraits = runPortraits(options, directory: directory, matter: matter(),
                                                 detailMatter: detailMatter, references: references(for: part))
            case .photo:
                results.photo = runPhotoTiming(options, matter: matter(), references: references(for: part))
            case .sheet:
                let directory = references(for: part)
                let path = options.outputDirectory + "/contact-sheet.png"
                let entries = ContactSheet.entries(samples: options.samplesDirectory, references: directory,
                                                   compositeImages: options.sheetImages)
                ContactSheet.write(entries, matter: matter(), references: directory, to: path)
                print("\nContact sheet: \(path). Per row: photo | ours: alpha, over a checkerboard, over a colour | "
                      + "rembg with alpha matting: the same. Rows: \(entries.map(\.label).joined(separator: ", ")) "
                      + "(portraits in person mode, composites in any-subject mode).")
                if let portraits = options.portraitDirectory {
                    let names = portraitNames(in: portraits)
                    let baseline = options.baseline.map {
                        Baseline.run($0, photos: names.map { "\(portraits)/\($0)_image.png" }, subject: .person,
                                     threads: options.solver.threads)
                    }
                    defer { baseline?.remove() }
                    let cropsPath = options.outputDirectory + "/portrait-crops.png"
                    let rows = PortraitCrops.write(names: names, directory: portraits, matter: matter(),
                                                   references: directory, baseline: baseline, to: cropsPath)
                    print("\nPortrait crops: \(cropsPath), each \(PortraitCrops.side) pixels square at \(PortraitCrops.magnification)x. "
                          + "Per row: photo | true alpha | \(baseline == nil ? "" : "baseline's alpha | ")ours (best) | ours (fine) | fine over a colour | "
                          + "rembg with alpha matting | rembg's mask | the selfie mask. Rows: \(rows.joined(separator: ", ")).")
                }
            case .precision:
                results.precision = runPrecisionComparison(options)
            }
        }
        writeJSON(results, to: options.outputDirectory + "/quality.json")
    }
}

enum Part: String, CaseIterable {
    case trimapBased = "trimap-based"
    case trimapFree = "trimap-free"
    case portraits
    case photo
    case sheet
    case precision
}

/// The settings every part reads.
struct Options {
    var dataDirectory = ""
    var referenceDirectory: String?
    var portraitDirectory: String?
    var parts: [Part]?
    var trimaps = ["trimap1", "trimap2"]
    var images = (1...20).map { String(format: "GT%02d", $0) }
    /// Images of the data set whose first composite goes on the contact sheet: hair, long hair, fur.
    var sheetImages = ["GT04", "GT08", "GT16"]
    var solver = ClosedFormMatting(threads: 2)
    var runs = 5
    var outputDirectory = "results/quality"
    var modelDirectory = ModelFiles.defaultDirectory
    var samplesDirectory = ModelFiles.samplesDirectory
    var verbose = false
    var scale: Double = 1
    /// Path of another `matte` build scored beside ours (`Baseline`).
    var baseline: String?
    /// Path of another detail network (`--detail-model`) scored beside U-2-Net-p in best mode.
    var detailModel: String?
}

/// Every row of every part that ran, as OUTPUT_DIR/quality.json holds them.
struct Results: Codable {
    var trimapBased: [TrimapBasedRow] = []
    var trimapFree: [TrimapFreeRow] = []
    var portraits: [PortraitRow] = []
    var photo: [PhotoTimingRow] = []
    var precision: [PrecisionRow] = []
}

extension ClosedFormMatting.Preconditioner: ExpressibleByArgument {}

QualityBenchmark.main()
