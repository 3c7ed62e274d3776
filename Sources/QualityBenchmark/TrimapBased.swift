import Foundation
import Imaging
import Matting

/// One solver's errors on one image and trimap.
struct TrimapBasedRow: Codable {
    var image: String
    var trimap: String
    var width: Int
    var height: Int
    var unknown: Int
    var solver: String
    var sad: Double
    var mse: Double
    var gradient: Double
    var connectivity: Double
    var seconds: Double
    var iterations: Int?
}

/// Trimap-based: our closed-form solver, and PyMatting's alphas when the references hold them, given
/// each image's trimaps; errors over the trimap's unknown region. Prints a table per trimap.
func runTrimapBased(_ options: Options) -> [TrimapBasedRow] {
    var referenceTimes: [String: Double] = [:]
    if let directory = options.referenceDirectory {
        let path = directory + "/times.json"
        if FileManager.default.fileExists(atPath: path) {
            referenceTimes = readJSON([String: Double].self, from: path)
        } else {
            note("\(path) is missing: PyMatting's column is left out")
        }
    }
    let showsReference = !referenceTimes.isEmpty && options.scale == 1

    // Warm-up on a small crop so that first-call costs do not land on the first image.
    do {
        let image = Image(width: 32, height: 32, channels: 3, pixels: (0..<3072).map { UInt8(($0 * 37) % 256) })
        let trimap = Trimap(width: 32, height: 32, values: (0..<1024).map { $0 % 32 < 10 ? 0 : $0 % 32 > 20 ? 255 : 128 })
        _ = options.solver.alpha(image: image, trimap: trimap)
    }

    var rows: [TrimapBasedRow] = []
    let clock = ContinuousClock()
    for trimapName in options.trimaps {
        print("\nTrimap-based, \(trimapName): SAD and gradient and connectivity errors / 1000, MSE per unknown pixel, time in seconds")
        let headers = ["image", "unknown", "SAD", "MSE", "Grad", "Conn", "time", "iters"]
        var line = pad(headers[0], 6) + pad(headers[1], 9)
        line += headers[2...].map { pad($0, 9) }.joined()
        if showsReference {
            line += "  | PyMatting" + ["SAD", "MSE", "Grad", "Conn", "time"].map { pad($0, 9) }.joined()
        }
        print(line)
        var totals = [Double](repeating: 0, count: 10)
        var referenceCount = 0
        for name in options.images {
            let base = "\(options.dataDirectory)/\(name)"
            var image = readImage("\(base)_image.png")
            var truthImage = readImage("\(base)_alpha.png")
            var trimapImage = trimapName == "generated" ? truthImage : readImage("\(base)_\(trimapName).png")
            if options.scale != 1 {
                let width = Int((Double(image.width) * options.scale).rounded())
                let height = Int((Double(image.height) * options.scale).rounded())
                image = resized(image, width: width, height: height, nearest: false)
                truthImage = resized(truthImage, width: width, height: height, nearest: false)
                trimapImage = resized(trimapImage, width: width, height: height, nearest: true)
            }
            guard truthImage.width == image.width, truthImage.height == image.height,
                  trimapImage.width == image.width, trimapImage.height == image.height else {
                fail("\(name): image, alpha and trimap differ in size")
            }
            let truth = alphaPlane(truthImage)
            let trimap: Trimap
            if trimapName == "generated" {
                // A hard mask (true alpha >= 0.5), as a segmentation network's might be, banded.
                let mask = Plane(width: truth.width, height: truth.height, values: truth.values.map { $0 >= 0.5 ? 1 : 0 })
                trimap = Trimap.make(probability: mask, bandWidth: Trimap.suggestedBandWidth(probability: mask))
            } else {
                trimap = Trimap(width: image.width, height: image.height, values: firstChannel(trimapImage))
            }

            let start = clock.now
            let solution = options.solver.solve(image: image, trimap: trimap)
            let seconds = (clock.now - start).seconds
            if options.verbose {
                note("\(name): laplacian \(solution.laplacianTime), preconditioner \(solution.preconditionerTime), "
                     + "iterations \(solution.iterationTime), residual \(solution.relativeResidual)")
            }
            let ours = MatteErrors.measure(prediction: solution.alpha, truth: truth, trimap: trimap)
            rows.append(TrimapBasedRow(image: name, trimap: trimapName, width: image.width, height: image.height,
                                       unknown: solution.unknownCount, solver: "matte", sad: ours.sad, mse: ours.mse,
                                       gradient: ours.gradient, connectivity: ours.connectivity, seconds: seconds,
                                       iterations: solution.iterations))
            var text = pad(name, 6) + pad(String(solution.unknownCount), 9)
            text += [format(ours.sad, 3), format(ours.mse, 5), format(ours.gradient, 3), format(ours.connectivity, 3),
                     format(seconds, 3), String(solution.iterations)].map { pad($0, 9) }.joined()
            totals[0] += ours.sad; totals[1] += ours.mse; totals[2] += ours.gradient; totals[3] += ours.connectivity
            totals[4] += seconds
            if showsReference, let directory = options.referenceDirectory,
               let theirs = readReferenceAlpha("\(directory)/\(name)_\(trimapName).f32",
                                               width: image.width, height: image.height) {
                let errors = MatteErrors.measure(prediction: theirs, truth: truth, trimap: trimap)
                let time = referenceTimes["\(name)_\(trimapName)"] ?? .nan
                rows.append(TrimapBasedRow(image: name, trimap: trimapName, width: image.width, height: image.height,
                                           unknown: solution.unknownCount, solver: "pymatting", sad: errors.sad,
                                           mse: errors.mse, gradient: errors.gradient,
                                           connectivity: errors.connectivity, seconds: time, iterations: nil))
                text += "  |          " + [format(errors.sad, 3), format(errors.mse, 5), format(errors.gradient, 3),
                                            format(errors.connectivity, 3), format(time, 3)].map { pad($0, 9) }.joined()
                totals[5] += errors.sad; totals[6] += errors.mse; totals[7] += errors.gradient
                totals[8] += errors.connectivity; totals[9] += time
                referenceCount += 1
            }
            print(text)
        }
        var text = pad("total", 15) + [format(totals[0], 3), format(totals[1], 5), format(totals[2], 3),
                                       format(totals[3], 3), format(totals[4], 3), ""].map { pad($0, 9) }.joined()
        if referenceCount > 0 {
            text += "  |          " + [format(totals[5], 3), format(totals[6], 5), format(totals[7], 3),
                                        format(totals[8], 3), format(totals[9], 3)].map { pad($0, 9) }.joined()
        }
        print(text)
    }
    return rows
}
