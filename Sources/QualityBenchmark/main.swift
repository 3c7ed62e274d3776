// Matte quality on the alphamatting.com training set, the measuring side of scripts/quality-benchmark.
// Every alpha, ours and the peers' (written by the scripts in scripts/references), is measured by the
// same metric code (Matting's `MatteErrors`). Parts, in order:
//   trimap-based  our closed-form solver and PyMatting's on each image's trimaps (errors over the unknown
//                 region; a table per trimap)
//   trimap-free   composites of the set over photos through our whole pipeline (any subject; best and
//                 fast), rembg's u2netp mask, rembg with alpha matting and the upsampled selfie mask
//                 (whole-image errors; per method mean and median)
//   photo         a 1920x1080 photo decoded, matted and encoded by us, beside rembg's times on it
//   sheet         the contact sheet OUTPUT_DIR/contact-sheet.png (see ContactSheet)
//
// Usage: matte-quality DATA_DIR [--references DIR] [--parts trimap-based,trimap-free,photo,sheet]
//                      [--images GT01,GT02] [--trimaps trimap1,trimap2] [--threads 2] [--runs 5]
//                      [--output results/quality] [--models DIR] [--samples DIR]
//                      [--epsilon 1e-8] [--tolerance 1e-4] [--iterations 300]
//                      [--preconditioner aggregation|multigrid|jacobi] [--coarse-to-fine] [--scale F] [--verbose]
//
// DATA_DIR holds GTnn_image.png, GTnn_alpha.png, GTnn_trimap1.png and GTnn_trimap2.png. The references
// folder holds PyMatting's alphas (GTnn_trimapK.f32: raw little-endian float32, row-major, the image's
// size; times.json: {"GTnn_trimapK": seconds}), composites/ (quality_inputs.py) and rembg/
// (quality_rembg.py). Without references only the trimap-based part runs, ours alone. Results go to
// OUTPUT_DIR: quality.json (every row of every part) and contact-sheet.png.
import Foundation
import Imaging
import Matting

enum Part: String, CaseIterable {
    case trimapBased = "trimap-based"
    case trimapFree = "trimap-free"
    case photo
    case sheet
}

struct Options {
    var dataDirectory = ""
    var referenceDirectory: String?
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
}

func parseOptions() -> Options {
    var options = Options()
    var arguments = Array(CommandLine.arguments.dropFirst())
    func value(_ name: String) -> String {
        guard !arguments.isEmpty else { fail("\(name) needs a value") }
        return arguments.removeFirst()
    }
    func list(_ name: String) -> [String] { value(name).split(separator: ",").map(String.init) }
    var positional: [String] = []
    while !arguments.isEmpty {
        let argument = arguments.removeFirst()
        switch argument {
        case "--references": options.referenceDirectory = value(argument)
        case "--parts":
            options.parts = list(argument).map { name in
                guard let part = Part(rawValue: name) else {
                    fail("unknown part \(name) (\(Part.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                return part
            }
        case "--trimaps": options.trimaps = list(argument)
        case "--images": options.images = list(argument)
        case "--sheet-images": options.sheetImages = list(argument)
        case "--threads":
            guard let threads = Int(value(argument)), threads > 0 else { fail("--threads needs a positive number") }
            options.solver.threads = threads
        case "--runs":
            guard let runs = Int(value(argument)), runs > 0 else { fail("--runs needs a positive number") }
            options.runs = runs
        case "--output": options.outputDirectory = value(argument)
        case "--models": options.modelDirectory = value(argument)
        case "--samples": options.samplesDirectory = value(argument)
        case "--epsilon":
            guard let epsilon = Double(value(argument)), epsilon > 0 else { fail("--epsilon needs a positive number") }
            options.solver.epsilon = epsilon
        case "--tolerance":
            guard let tolerance = Double(value(argument)), tolerance > 0 else { fail("--tolerance needs a positive number") }
            options.solver.relativeTolerance = tolerance
        case "--iterations":
            guard let iterations = Int(value(argument)), iterations > 0 else { fail("--iterations needs a positive number") }
            options.solver.maximumIterations = iterations
        case "--preconditioner":
            let name = value(argument)
            guard let preconditioner = ClosedFormMatting.Preconditioner(rawValue: name) else {
                fail("unknown preconditioner \(name) (aggregation, multigrid, jacobi)")
            }
            options.solver.preconditioner = preconditioner
        case "--verbose": options.verbose = true
        case "--coarse-to-fine": options.solver.coarseToFine = true
        case "--scale":
            guard let scale = Double(value(argument)), scale > 0 else { fail("--scale needs a positive number") }
            options.scale = scale
        case "-h", "--help":
            print("""
                usage: matte-quality DATA_DIR [--references DIR] [--parts trimap-based,trimap-free,photo,sheet]
                       [--images GT01,...] [--trimaps trimap1,trimap2] [--sheet-images GT04,GT08,GT16]
                       [--threads 2] [--runs 5] [--output results/quality] [--models DIR] [--samples DIR]
                       [--epsilon 1e-8] [--tolerance 1e-4] [--iterations 300]
                       [--preconditioner aggregation|multigrid|jacobi] [--coarse-to-fine] [--scale F] [--verbose]
                Without --references only the trimap-based part runs (ours alone); scripts/quality-benchmark
                builds the references and runs every part.
                """)
            exit(0)
        default:
            if argument.hasPrefix("-") { fail("unknown option \(argument)") }
            positional.append(argument)
        }
    }
    guard positional.count == 1 else { fail("usage: matte-quality DATA_DIR [options] (--help)") }
    options.dataDirectory = positional[0]
    return options
}

/// Every row of every part that ran, as OUTPUT_DIR/quality.json holds them.
struct Results: Codable {
    var trimapBased: [TrimapBasedRow] = []
    var trimapFree: [TrimapFreeRow] = []
    var photo: [PhotoTimingRow] = []
}

let options = parseOptions()
let parts = options.parts ?? (options.referenceDirectory == nil ? [.trimapBased] : Part.allCases)
do {
    try FileManager.default.createDirectory(atPath: options.outputDirectory, withIntermediateDirectories: true)
} catch {
    fail("cannot create \(options.outputDirectory): \(error)")
}

var results = Results()
// The networks load once, and only for the parts that run them.
let sharedMatter: PortraitMatter? = parts.allSatisfy { $0 == .trimapBased } ? nil : {
    do {
        return try PortraitMatter(modelDirectory: options.modelDirectory, threads: options.solver.threads)
    } catch {
        fail("\(error)")
    }
}()
func matter() -> PortraitMatter { sharedMatter! }
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
        results.trimapFree = runTrimapFree(options, matter: matter(), references: references(for: part))
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
    }
}
writeJSON(results, to: options.outputDirectory + "/quality.json")
