import Foundation
import Imaging
import Inference
import Matting

/// One photo matted in one mode and precision, measured against its truth.
struct PrecisionRow: Codable {
    /// `composites` (the trimap-free composites, any subject), `portraits` (real portraits with drawn
    /// mattes, person) or `samples` (the sample portraits, person; their truth is the fp32 matte).
    var set: String
    var name: String
    var mode: String
    var precision: String
    var sad: Double
    var mse: Double
    /// Largest |alpha - truth|, alphas in [0, 1].
    var largest: Double
    var seconds: Double
}

/// bf16 beside fp32 (`Precision`): the same photos through two matters whose networks were planned in
/// each precision, in one run, best and fast mode. Whole-image errors against the true alpha for the
/// composites and the real portraits; for the sample portraits, which have no truth, bf16's distance
/// from fp32's matte. Prints per set and mode the mean SAD of each precision and bf16's change.
func runPrecisionComparison(_ options: Options) -> [PrecisionRow] {
    guard Precision.bfloat16Supported else {
        print("\nPrecision: this CPU has no AVX512_BF16, bf16 would run as fp32; nothing to compare.")
        return []
    }
    // A plan takes the preferred precision when it is built.
    let matters: [(Precision, PortraitMatter)] = [Precision.fp32, .bf16].map { precision in
        Precision.preferred = precision
        do {
            let matter = try PortraitMatter(modelDirectory: options.modelDirectory, threads: options.solver.threads)
            warmUp(matter)
            return (precision, matter)
        } catch {
            fail("\(error)")
        }
    }

    struct Photo {
        var set: String, name: String, image: String, truth: String?, subject: BranchFusion.Subject
    }
    var photos: [Photo] = []
    if let references = options.referenceDirectory {
        for entry in composites(in: references, images: options.images) {
            photos.append(Photo(set: "composites", name: entry.name, image: "\(references)/composites/\(entry.name).png",
                                truth: "\(options.dataDirectory)/\(entry.image)_alpha.png", subject: .any))
        }
    }
    if let directory = options.portraitDirectory {
        for name in portraitNames(in: directory) {
            photos.append(Photo(set: "portraits", name: name, image: "\(directory)/\(name)_image.png",
                                truth: "\(directory)/\(name)_alpha.png", subject: .person))
        }
    }
    for file in ["astronaut.png", "grace_hopper.jpg", "extra/camera.png"] {
        let path = "\(options.samplesDirectory)/\(file)"
        guard FileManager.default.fileExists(atPath: path) else { continue }
        photos.append(Photo(set: "samples", name: URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent,
                            image: path, truth: nil, subject: .person))
    }

    let clock = ContinuousClock()
    var rows: [PrecisionRow] = []
    for photo in photos {
        let image = readImage(photo.image)
        for mode in [MattingOptions.Mode.best, .fast] {
            var alphas: [Precision: Plane] = [:]
            for (precision, matter) in matters {
                let start = clock.now
                let matte = mustMatte(matter, image, MattingOptions(mode: mode, subject: photo.subject), name: photo.name)
                let seconds = (clock.now - start).seconds
                alphas[precision] = alphaPlane(matte.alpha)
                let truth = photo.truth.map(readAlpha) ?? alphas[.fp32]!
                let errors = MatteErrors.measure(prediction: alphas[precision]!, truth: truth)
                let largest = zip(alphas[precision]!.values, truth.values).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
                rows.append(PrecisionRow(set: photo.set, name: photo.name, mode: mode.rawValue, precision: precision.rawValue,
                                         sad: errors.sad, mse: errors.mse, largest: Double(largest), seconds: seconds))
            }
        }
    }

    print("\nPrecision: fp32 and bf16 networks on the same photos; mean over the set of whole-image SAD / 1000 "
          + "(samples: bf16 against fp32's matte), mean of the largest |diff| per photo, mean time in seconds")
    print(padRight("set", 12) + padRight("mode", 6) + ["photos", "fp32 SAD", "bf16 SAD", "change", "bf16 max|diff|",
                                                        "fp32 time", "bf16 time"].map { pad($0, 15) }.joined())
    for set in ["composites", "portraits", "samples"] {
        for mode in ["best", "fast"] {
            let chosen = rows.filter { $0.set == set && $0.mode == mode }
            let fp32 = chosen.filter { $0.precision == "fp32" }, bf16 = chosen.filter { $0.precision == "bf16" }
            guard !fp32.isEmpty else { continue }
            let fp32SAD = mean(fp32.map(\.sad)), bf16SAD = mean(bf16.map(\.sad))
            let change = set == "samples" ? "-" : format(100 * (bf16SAD - fp32SAD) / fp32SAD, 2) + "%"
            print(padRight(set, 12) + padRight(mode, 6) + [
                "\(fp32.count)", format(fp32SAD, 3), format(bf16SAD, 3), change, format(mean(bf16.map(\.largest)), 4),
                format(mean(fp32.map(\.seconds)), 3), format(mean(bf16.map(\.seconds)), 3),
            ].map { pad($0, 15) }.joined())
        }
    }
    return rows
}
