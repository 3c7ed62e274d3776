// Trimap-based matte quality on the alphamatting.com training set: our closed-form solver, and
// optionally another solver's alphas (PyMatting's, written by scripts/references/quality_pymatting.py),
// measured by the same metric code (Matting's `MatteErrors`). Prints a table per trimap: per image
// SAD, MSE, gradient and connectivity errors and solve time, then totals.
//
// Usage: matte-quality DATA_DIR [--references DIR] [--trimaps trimap1,trimap2] [--images GT01,GT02]
//                      [--threads 2] [--epsilon 1e-8] [--tolerance 1e-4] [--iterations 300]
//                      [--preconditioner aggregation|multigrid|jacobi] [--json FILE]
//
// DATA_DIR holds GTnn_image.png, GTnn_alpha.png, GTnn_trimap1.png and GTnn_trimap2.png. A references
// folder holds GTnn_trimapK.f32 (raw little-endian float32 alpha, row-major, the image's size) and
// times.json ({"GTnn_trimapK": seconds}).
import Foundation
import Imaging
import Matting

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("matte-quality: \(message)\n".utf8))
    exit(1)
}

struct Options {
    var dataDirectory = ""
    var referenceDirectory: String?
    var trimaps = ["trimap1", "trimap2"]
    var images = (1...20).map { String(format: "GT%02d", $0) }
    var solver = ClosedFormMatting(threads: 2)
    var jsonPath: String?
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
    var positional: [String] = []
    while !arguments.isEmpty {
        let argument = arguments.removeFirst()
        switch argument {
        case "--references": options.referenceDirectory = value(argument)
        case "--trimaps": options.trimaps = value(argument).split(separator: ",").map(String.init)
        case "--images": options.images = value(argument).split(separator: ",").map(String.init)
        case "--threads":
            guard let threads = Int(value(argument)), threads > 0 else { fail("--threads needs a positive number") }
            options.solver.threads = threads
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
        case "--json": options.jsonPath = value(argument)
        case "--verbose": options.verbose = true
        case "--coarse-to-fine": options.solver.coarseToFine = true
        case "--scale":
            guard let scale = Double(value(argument)), scale > 0 else { fail("--scale needs a positive number") }
            options.scale = scale
        case "-h", "--help":
            print("usage: matte-quality DATA_DIR [--references DIR] [--trimaps trimap1,trimap2] [--images GT01,...]")
            print("       [--threads 2] [--epsilon 1e-8] [--tolerance 1e-4] [--iterations 300]")
            print("       [--preconditioner aggregation|multigrid|jacobi] [--json FILE] [--scale F] [--coarse-to-fine]")
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

func readImage(_ path: String) -> Image {
    guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
    do {
        return try ImageDecoder.decode([UInt8](data))
    } catch {
        fail("\(path): \(error)")
    }
}

/// The first channel of an 8-bit image (grey, or the red of a grey RGB image) as bytes.
func firstChannel(_ image: Image) -> [UInt8] {
    stride(from: 0, to: image.pixels.count, by: image.channels).map { image.pixels[$0] }
}

/// `image` resized to `width` x `height`: bilinear per channel, or nearest (for trimaps).
func resized(_ image: Image, width: Int, height: Int, nearest: Bool) -> Image {
    if nearest {
        var pixels = [UInt8](repeating: 0, count: width * height * image.channels)
        for y in 0..<height {
            let sourceY = min(image.height - 1, y * image.height / height)
            for x in 0..<width {
                let sourceX = min(image.width - 1, x * image.width / width)
                for channel in 0..<image.channels {
                    pixels[(y * width + x) * image.channels + channel] =
                        image.pixels[(sourceY * image.width + sourceX) * image.channels + channel]
                }
            }
        }
        return Image(width: width, height: height, channels: image.channels, pixels: pixels)
    }
    var pixels = [UInt8](repeating: 0, count: width * height * image.channels)
    for channel in 0..<image.channels {
        let plane = Plane(width: image.width, height: image.height, values: stride(
            from: channel, to: image.pixels.count, by: image.channels).map { Float(image.pixels[$0]) / 255 })
        let resizedPlane = plane.resized(width: width, height: height)
        for index in 0..<width * height { pixels[index * image.channels + channel] = UInt8(min(max(resizedPlane.values[index], 0), 1) * 255 + 0.5) }
    }
    return Image(width: width, height: height, channels: image.channels, pixels: pixels)
}

func readReferenceAlpha(_ path: String, width: Int, height: Int) -> Plane? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    guard data.count == width * height * 4 else {
        fail("\(path) holds \(data.count) bytes, not \(width)x\(height) float32 values")
    }
    let values = data.withUnsafeBytes { raw in
        (0..<width * height).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
    }
    return Plane(width: width, height: height, values: values.map { min(max($0, 0), 1) })
}

struct Row: Codable {
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

let options = parseOptions()
var referenceTimes: [String: Double] = [:]
if let directory = options.referenceDirectory {
    let path = directory + "/times.json"
    guard let data = FileManager.default.contents(atPath: path),
          let times = try? JSONDecoder().decode([String: Double].self, from: data) else {
        fail("cannot read \(path)")
    }
    referenceTimes = times
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
}

func format(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

var rows: [Row] = []
let clock = ContinuousClock()
// Warm-up on a small crop so that first-call costs do not land on the first image.
do {
    let image = Image(width: 32, height: 32, channels: 3, pixels: (0..<3072).map { UInt8(($0 * 37) % 256) })
    let trimap = Trimap(width: 32, height: 32, values: (0..<1024).map { $0 % 32 < 10 ? 0 : $0 % 32 > 20 ? 255 : 128 })
    _ = options.solver.alpha(image: image, trimap: trimap)
}

for trimapName in options.trimaps {
    print("\n\(trimapName): SAD and gradient and connectivity errors / 1000, MSE per unknown pixel, time in seconds")
    let headers = ["image", "unknown", "SAD", "MSE", "Grad", "Conn", "time", "iters"]
    var line = pad(headers[0], 6) + pad(headers[1], 9)
    line += headers[2...].map { pad($0, 9) }.joined()
    if options.referenceDirectory != nil {
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
        let truth = Plane(width: image.width, height: image.height,
                          values: firstChannel(truthImage).map { Float($0) / 255 })
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
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        if options.verbose {
            FileHandle.standardError.write(Data(("\(name): laplacian \(solution.laplacianTime), preconditioner "
                + "\(solution.preconditionerTime), iterations \(solution.iterationTime), residual "
                + "\(solution.relativeResidual)\n").utf8))
        }
        let ours = MatteErrors.measure(prediction: solution.alpha, truth: truth, trimap: trimap)
        rows.append(Row(image: name, trimap: trimapName, width: image.width, height: image.height,
                        unknown: solution.unknownCount, solver: "matte", sad: ours.sad, mse: ours.mse,
                        gradient: ours.gradient, connectivity: ours.connectivity, seconds: seconds,
                        iterations: solution.iterations))
        var text = pad(name, 6) + pad(String(solution.unknownCount), 9)
        text += [format(ours.sad, 3), format(ours.mse, 5), format(ours.gradient, 3), format(ours.connectivity, 3),
                 format(seconds, 3), String(solution.iterations)].map { pad($0, 9) }.joined()
        totals[0] += ours.sad; totals[1] += ours.mse; totals[2] += ours.gradient; totals[3] += ours.connectivity
        totals[4] += seconds
        if let directory = options.referenceDirectory, options.scale == 1,
           let theirs = readReferenceAlpha("\(directory)/\(name)_\(trimapName).f32",
                                           width: image.width, height: image.height) {
            let errors = MatteErrors.measure(prediction: theirs, truth: truth, trimap: trimap)
            let time = referenceTimes["\(name)_\(trimapName)"] ?? .nan
            rows.append(Row(image: name, trimap: trimapName, width: image.width, height: image.height,
                            unknown: solution.unknownCount, solver: "pymatting", sad: errors.sad, mse: errors.mse,
                            gradient: errors.gradient, connectivity: errors.connectivity, seconds: time,
                            iterations: nil))
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

if let path = options.jsonPath {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    guard let data = try? encoder.encode(rows), FileManager.default.createFile(atPath: path, contents: data) else {
        fail("cannot write \(path)")
    }
}
