import Foundation
import Imaging
import Matting

/// One composite as the references describe it (`composites/composites.json`, written by
/// scripts/references/quality_inputs.py): `<image>` of the data set over `<background>`.
struct CompositeEntry: Codable {
    var name: String
    var image: String
    var background: String
}

/// The methods of the trimap-free comparison, in the order of the tables.
enum TrimapFreeMethod: String, Codable, CaseIterable {
    /// Our whole pipeline, best mode (any subject on composites, person on portraits).
    case matteBest = "matte best"
    /// Our whole pipeline, fast mode (any subject: U-2-Net-p and the guided filter; person: the selfie
    /// network and the guided filter).
    case matteFast = "matte fast"
    /// rembg's u2netp mask (references: `<name>_mask.png`).
    case rembg = "rembg u2netp"
    /// rembg with alpha matting, its defaults (references: `<name>_alpha_matting.png`).
    case rembgAlphaMatting = "rembg + alpha matting"
    /// The selfie network's 256x256 person probability, bilinearly upsampled to the photo.
    case selfie = "selfie mask"
    /// Another build of `matte` in best mode (`--baseline`; see `Baseline`).
    case baseline = "matte best, baseline"
    /// Our pipeline in best mode with another detail network in place of U-2-Net-p (`--detail-model`).
    case detailModel = "matte best, detail model"
    /// Our whole pipeline, fine mode (best, and the band solved again at the photo's resolution): on the
    /// real portraits only, where photos exceed the working grid.
    case matteFine = "matte fine"

    /// The methods of a run: ours and the peers, then fine mode when asked for, the baseline and the
    /// other detail network when given.
    static func compared(baseline: Baseline?, detailMatter: PortraitMatter?, fine: Bool = false) -> [TrimapFreeMethod] {
        allCases.filter { ![.baseline, .detailModel, .matteFine].contains($0) } + (fine ? [.matteFine] : [])
            + (baseline == nil ? [] : [.baseline]) + (detailMatter == nil ? [] : [.detailModel])
    }
}

struct TrimapFreeRow: Codable {
    var composite: String
    var image: String
    var background: String
    var method: TrimapFreeMethod
    var sad: Double
    var mse: Double
    var gradient: Double
    var connectivity: Double
    var seconds: Double
}

/// Seconds per photo in the references' `rembg/times.json`.
struct RembgTimes: Codable {
    var mask: Double
    var alphaMatting: Double

    enum CodingKeys: String, CodingKey {
        case mask
        case alphaMatting = "alpha_matting"
    }
}

/// The composites of the references that belong to `images`, in the data set's order.
func composites(in references: String, images: [String]) -> [CompositeEntry] {
    let path = references + "/composites/composites.json"
    guard FileManager.default.fileExists(atPath: path) else {
        fail("\(path) is missing: scripts/quality-benchmark builds the composites (scripts/references/quality_inputs.py)")
    }
    let entries = readJSON([CompositeEntry].self, from: path)
    return images.flatMap { image in entries.filter { $0.image == image } }
}

/// Trimap-free: every composite through each method, whole-image errors against the true alpha, and the
/// time per image. Prints SAD per composite, then per method the mean and median of each error and time.
func runTrimapFree(_ options: Options, matter: PortraitMatter, detailMatter: PortraitMatter?,
                   references: String) -> [TrimapFreeRow] {
    let entries = composites(in: references, images: options.images)
    guard !entries.isEmpty else { fail("no composites of \(options.images.joined(separator: ",")) in \(references)") }
    let rembgDirectory = references + "/rembg"
    let rembgTimes = readJSON([String: RembgTimes].self, from: rembgDirectory + "/times.json")
    let baseline = options.baseline.map {
        Baseline.run($0, photos: entries.map { "\(references)/composites/\($0.name).png" }, subject: .any,
                     threads: options.solver.threads)
    }
    defer { baseline?.remove() }
    warmUp(matter)
    if let detailMatter { warmUp(detailMatter) }

    print("\nTrimap-free: composites of the data set over photos, whole image. SAD / 1000 per composite:")
    let methods = TrimapFreeMethod.compared(baseline: baseline, detailMatter: detailMatter)
    print(padRight("composite", 22) + methods.map { pad($0.rawValue, 25) }.joined())
    var rows: [TrimapFreeRow] = []
    for entry in entries {
        let image = readImage("\(references)/composites/\(entry.name).png")
        let truth = readAlpha("\(options.dataDirectory)/\(entry.image)_alpha.png")
        guard truth.width == image.width, truth.height == image.height else {
            fail("\(entry.name): the composite is \(image.width)x\(image.height), its alpha \(truth.width)x\(truth.height)")
        }
        guard let times = rembgTimes[entry.name] else { fail("\(rembgDirectory)/times.json has no \(entry.name)") }
        var line = padRight(entry.name, 22)
        for method in methods {
            let (prediction, seconds) = predict(method, image: image, name: entry.name, subject: .any, matter: matter,
                                                detailMatter: detailMatter, rembg: rembgDirectory, times: times,
                                                baseline: baseline)
            guard prediction.width == truth.width, prediction.height == truth.height else {
                fail("\(entry.name), \(method.rawValue): alpha is \(prediction.width)x\(prediction.height), not \(truth.width)x\(truth.height)")
            }
            let errors = MatteErrors.measure(prediction: prediction, truth: truth)
            rows.append(TrimapFreeRow(composite: entry.name, image: entry.image, background: entry.background,
                                      method: method, sad: errors.sad, mse: errors.mse, gradient: errors.gradient,
                                      connectivity: errors.connectivity, seconds: seconds))
            line += pad(format(errors.sad, 2), 25)
        }
        print(line)
    }
    printTrimapFreeSummary(rows, compositeCount: entries.count, methods: methods)
    return rows
}

func printTrimapFreeSummary(_ rows: [TrimapFreeRow], compositeCount: Int, methods: [TrimapFreeMethod]) {
    print("\nTrimap-free summary over \(compositeCount) composites: mean / median; SAD, Grad, Conn / 1000, MSE per pixel, time in seconds per image")
    print(padRight("method", 26) + ["SAD", "MSE", "Grad", "Conn", "time"].map { pad($0, 20) }.joined())
    var means: [TrimapFreeMethod: Double] = [:], medians: [TrimapFreeMethod: Double] = [:]
    for method in methods {
        let chosen = rows.filter { $0.method == method }
        let columns: [(KeyPath<TrimapFreeRow, Double>, Int)] = [(\.sad, 2), (\.mse, 5), (\.gradient, 2), (\.connectivity, 2), (\.seconds, 3)]
        var line = padRight(method.rawValue, 26)
        for (column, digits) in columns {
            let values = chosen.map { $0[keyPath: column] }
            line += pad(format(mean(values), digits) + " / " + format(median(values), digits), 20)
        }
        means[method] = mean(chosen.map(\.sad))
        medians[method] = median(chosen.map(\.sad))
        print(line)
    }
    func lowest(_ values: [TrimapFreeMethod: Double]) -> TrimapFreeMethod? {
        methods.filter { $0 != .baseline && $0 != .detailModel }.min { values[$0, default: .infinity] < values[$1, default: .infinity] }
    }
    if let ours = means[.matteBest], let peer = means[.rembgAlphaMatting], peer > 0 {
        let reduction = 100 * (1 - ours / peer)
        print("matte best's mean SAD is \(format(abs(reduction), 1))% \(reduction >= 0 ? "below" : "above") rembg + alpha matting's "
              + "(target: at least 15% below); lowest mean SAD: \(lowest(means)?.rawValue ?? "-"), "
              + "lowest median SAD: \(lowest(medians)?.rawValue ?? "-")")
    }
    if let ours = means[.matteBest], let before = means[.baseline], before > 0 {
        print("matte best's mean SAD against the baseline's: \(format(ours, 2)) against \(format(before, 2)) "
              + "(\(signedPercent(ours / before - 1)))")
    }
    if let ours = means[.matteBest], let other = means[.detailModel], ours > 0 {
        let sad = { (method: TrimapFreeMethod) in
            Dictionary(uniqueKeysWithValues: rows.filter { $0.method == method }.map { ($0.composite, $0.sad) })
        }
        let (before, after) = (sad(.matteBest), sad(.detailModel))
        let lower = after.filter { $0.value < before[$0.key, default: .infinity] }.count
        print("matte best with the detail model against U-2-Net-p: mean SAD \(format(other, 2)) against \(format(ours, 2)) "
              + "(\(signedPercent(other / ours - 1))), median \(format(medians[.detailModel] ?? 0, 2)) against "
              + "\(format(medians[.matteBest] ?? 0, 2)); lower on \(lower) of \(after.count) composites")
    }
}

/// A relative change as "+4.2%" or "-17.0%".
func signedPercent(_ change: Double) -> String {
    (change >= 0 ? "+" : "-") + format(abs(change) * 100, 1) + "%"
}

/// One method's alpha of `image` (named `name` in the references' rembg folder), and its time in
/// seconds: ours and the selfie mask timed here, rembg's from its times.json.
func predict(_ method: TrimapFreeMethod, image: Image, name: String, subject: BranchFusion.Subject,
             matter: PortraitMatter, detailMatter: PortraitMatter?, rembg: String, times: RembgTimes,
             baseline: Baseline?) -> (Plane, Double) {
    let clock = ContinuousClock()
    let start = clock.now
    switch method {
    case .matteBest, .matteFast, .matteFine:
        let mode: MattingOptions.Mode = method == .matteBest ? .best : method == .matteFine ? .fine : .fast
        let matte = mustMatte(matter, image, MattingOptions(mode: mode, subject: subject), name: name)
        return (alphaPlane(matte.alpha), (clock.now - start).seconds)
    case .detailModel:
        guard let detailMatter else { fail("\(name): no --detail-model given") }
        let matte = mustMatte(detailMatter, image, MattingOptions(mode: .best, subject: subject), name: name)
        return (alphaPlane(matte.alpha), (clock.now - start).seconds)
    case .selfie:
        do {
            let mask = try matter.segmenter.probabilities(for: image, threads: matter.threads)
                .resized(width: image.width, height: image.height)
            return (mask, (clock.now - start).seconds)
        } catch {
            fail("\(name): \(error)")
        }
    case .rembg:
        return (readAlpha("\(rembg)/\(name)_mask.png"), times.mask)
    case .rembgAlphaMatting:
        return (readAlpha("\(rembg)/\(name)_alpha_matting.png"), times.alphaMatting)
    case .baseline:
        guard let baseline else { fail("\(name): no baseline given") }
        return (baseline.alpha(named: name), baseline.secondsPerPhoto)
    }
}

/// First-call costs (plan set-up, page faults) kept out of the first timed photo.
func warmUp(_ matter: PortraitMatter) {
    let image = Image(width: 64, height: 48, channels: 3, pixels: (0..<64 * 48 * 3).map { UInt8(($0 * 37) % 256) })
    for options in [MattingOptions(mode: .best, subject: .any), MattingOptions(mode: .fast, subject: .any), MattingOptions()] {
        _ = mustMatte(matter, image, options, name: "warm-up")
    }
}

func mustMatte(_ matter: PortraitMatter, _ image: Image, _ options: MattingOptions, name: String) -> Matte {
    do {
        return try matter.matte(image, options: options)
    } catch {
        fail("\(name): \(error)")
    }
}
