import Foundation
import Imaging
import Matting

/// One portrait through one method: whole-image errors, and the sum of absolute errors split by what
/// the true alpha says a pixel is.
struct PortraitRow: Codable {
    var portrait: String
    var method: TrimapFreeMethod
    var sad: Double
    var mse: Double
    var gradient: Double
    var connectivity: Double
    /// SAD / 1000 over pixels whose true alpha is 0: background taken for person.
    var sadBackground: Double
    /// SAD / 1000 over pixels whose true alpha is 1: person taken for background (holes).
    var sadForeground: Double
    /// SAD / 1000 over pixels of partial true alpha: hair and edges.
    var sadPartial: Double
    var seconds: Double
}

/// The portraits of a folder of `<name>_image.png` (RGB) and `<name>_alpha.png` (8-bit grey, the true
/// alpha), by name.
func portraitNames(in directory: String) -> [String] {
    let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    let names = files.filter { $0.hasSuffix("_image.png") }.map { String($0.dropLast("_image.png".count)) }
        .filter { files.contains("\($0)_alpha.png") }.sorted()
    guard !names.isEmpty else { fail("\(directory) holds no <name>_image.png with its <name>_alpha.png") }
    return names
}

/// Portraits: real photos of people with their true alpha, through our pipeline in person mode (best,
/// fast and fine; best with `detailMatter`'s detail network too, when given), rembg's u2netp mask, rembg
/// with alpha matting and the upsampled selfie mask. Prints, per portrait
/// and method, SAD and its split into true background, true foreground and partial pixels; then per
/// method the mean of each error and time. rembg's results are in `references/rembg` under the
/// portrait's `<name>_image` (scripts/quality-benchmark runs it on the folder).
func runPortraits(_ options: Options, directory: String, matter: PortraitMatter, detailMatter: PortraitMatter?,
                  references: String) -> [PortraitRow] {
    let rembgDirectory = references + "/rembg"
    let rembgTimes = readJSON([String: RembgTimes].self, from: rembgDirectory + "/times.json")
    let names = portraitNames(in: directory)
    let baseline = options.baseline.map {
        Baseline.run($0, photos: names.map { "\(directory)/\($0)_image.png" }, subject: .person, threads: options.solver.threads)
    }
    defer { baseline?.remove() }
    let methods = TrimapFreeMethod.compared(baseline: baseline, detailMatter: detailMatter, fine: true)
    warmUp(matter)
    if let detailMatter { warmUp(detailMatter) }
    print("\nPortraits: real photos with hand-drawn mattes (\(directory)), person mode, whole image. "
          + "SAD / 1000 (on true background / foreground / partial pixels):")
    print(padRight("portrait", 26) + padRight("method", 26) + ["SAD", "bg", "fg", "partial", "MSE", "Grad", "Conn", "time"]
        .map { pad($0, 10) }.joined())
    var rows: [PortraitRow] = []
    for name in names {
        let image = readImage("\(directory)/\(name)_image.png")
        let truth = readAlpha("\(directory)/\(name)_alpha.png")
        guard truth.width == image.width, truth.height == image.height else {
            fail("\(name): the photo is \(image.width)x\(image.height), its alpha \(truth.width)x\(truth.height)")
        }
        guard let times = rembgTimes["\(name)_image"] else { fail("\(rembgDirectory)/times.json has no \(name)_image") }
        for method in methods {
            let (prediction, seconds) = predict(method, image: image, name: "\(name)_image", subject: .person,
                                                matter: matter, detailMatter: detailMatter, rembg: rembgDirectory,
                                                times: times, baseline: baseline)
            guard prediction.width == truth.width, prediction.height == truth.height else {
                fail("\(name), \(method.rawValue): alpha is \(prediction.width)x\(prediction.height), not \(truth.width)x\(truth.height)")
            }
            let errors = MatteErrors.measure(prediction: prediction, truth: truth)
            var split = (background: 0.0, foreground: 0.0, partial: 0.0)
            for (predicted, actual) in zip(prediction.values, truth.values) {
                let difference = Double(abs(predicted - actual))
                switch actual {
                case 0: split.background += difference
                case 1: split.foreground += difference
                default: split.partial += difference
                }
            }
            let row = PortraitRow(portrait: name, method: method, sad: errors.sad, mse: errors.mse, gradient: errors.gradient,
                                  connectivity: errors.connectivity, sadBackground: split.background / 1000,
                                  sadForeground: split.foreground / 1000, sadPartial: split.partial / 1000, seconds: seconds)
            rows.append(row)
            print(padRight(name, 26) + padRight(method.rawValue, 26)
                  + [format(row.sad, 2), format(row.sadBackground, 2), format(row.sadForeground, 2), format(row.sadPartial, 2),
                     format(row.mse, 5), format(row.gradient, 2), format(row.connectivity, 2), format(row.seconds, 3)]
                .map { pad($0, 10) }.joined())
        }
    }
    print("\nPortraits, mean over \(Set(rows.map(\.portrait)).count):")
    for method in methods {
        let chosen = rows.filter { $0.method == method }
        let columns: [(KeyPath<PortraitRow, Double>, Int)] = [
            (\.sad, 2), (\.sadBackground, 2), (\.sadForeground, 2), (\.sadPartial, 2), (\.mse, 5), (\.gradient, 2),
            (\.connectivity, 2), (\.seconds, 3),
        ]
        print(padRight("", 26) + padRight(method.rawValue, 26)
              + columns.map { column, digits in pad(format(mean(chosen.map { $0[keyPath: column] }), digits), 10) }.joined())
    }
    if baseline != nil {
        for method in [TrimapFreeMethod.matteBest, .matteFine] {
            print("\n\(method.rawValue) against the baseline (matte best), SAD / 1000 (change):")
            printChange(rows, names: names, from: .baseline, to: method)
        }
    }
    if detailMatter != nil {
        print("\nmatte best with the detail model against U-2-Net-p, SAD / 1000 (change):")
        printChange(rows, names: names, from: .matteBest, to: .detailModel)
    }
    return rows
}

/// Per portrait, then over all of them, the mean SAD of `before` and `after` and the relative change.
func printChange(_ rows: [PortraitRow], names: [String], from before: TrimapFreeMethod, to after: TrimapFreeMethod) {
    let sad = { (portrait: String?, method: TrimapFreeMethod) in
        mean(rows.filter { ($0.portrait == portrait || portrait == nil) && $0.method == method }.map(\.sad))
    }
    for portrait in names + [nil] {
        let was = sad(portrait, before), now = sad(portrait, after)
        print(padRight(portrait ?? "mean", 26) + pad(format(was, 2), 10) + " -> " + pad(format(now, 2), 8)
              + pad(signedPercent(now / was - 1), 10))
    }
}
