import Foundation
import Imaging
import Matting

struct PhotoTimingRow: Codable {
    var photo: String
    var width: Int
    var height: Int
    var method: String
    var medianSeconds: Double
    /// Ours only: the fastest run and the number of runs.
    var minimumSeconds: Double?
    var runs: Int?
}

/// One 1920x1080 photo (references: `composites/photo_1080p.png` and `.jpg`, from the sample portrait
/// grace_hopper.jpg), as PNG and as JPEG: ours decode to encode (decode, best mode, person subject,
/// both PNG outputs encoded), median and minimum of `options.runs` runs, beside rembg's time for the
/// same file with and without alpha matting (from the references: medians of quality_rembg.py --runs).
func runPhotoTiming(_ options: Options, matter: PortraitMatter, references: String) -> [PhotoTimingRow] {
    let rembgTimes = readJSON([String: RembgTimes].self, from: references + "/rembg/times.json")
    let clock = ContinuousClock()
    warmUp(matter)
    print("\nA 1920x1080 photo, seconds: ours decode to encode (best mode, median / minimum of \(options.runs)), rembg (median of its script's runs)")
    print(padRight("photo", 18) + ["matte best", "rembg u2netp", "rembg + alpha matting"].map { pad($0, 24) }.joined())
    var rows: [PhotoTimingRow] = []
    for (file, key) in [("photo_1080p.png", "photo_1080p"), ("photo_1080p.jpg", "photo_1080p_jpg")] {
        let bytes = readBytes("\(references)/composites/\(file)")
        var times: [Double] = []
        var size = (width: 0, height: 0)
        for _ in 0..<options.runs {
            let start = clock.now
            do {
                let image = try ImageDecoder.decode(bytes)
                let matte = try matter.matte(image, options: MattingOptions())
                _ = try ImageEncoder.png(matte.alpha)
                _ = try ImageEncoder.png(matte.cutout)
                size = (image.width, image.height)
            } catch {
                fail("\(file): \(error)")
            }
            times.append((clock.now - start).seconds)
        }
        rows.append(PhotoTimingRow(photo: file, width: size.width, height: size.height, method: "matte best",
                                   medianSeconds: median(times), minimumSeconds: times.min() ?? .nan, runs: times.count))
        var line = padRight(file, 18) + pad(format(median(times), 3) + " / " + format(times.min() ?? .nan, 3), 24)
        if let theirs = rembgTimes[key] {
            for (method, seconds) in [("rembg u2netp", theirs.mask), ("rembg + alpha matting", theirs.alphaMatting)] {
                rows.append(PhotoTimingRow(photo: file, width: size.width, height: size.height, method: method,
                                           medianSeconds: seconds, minimumSeconds: nil, runs: nil))
                line += pad(format(seconds, 3), 24)
            }
        } else {
            note("\(references)/rembg/times.json has no \(key): rembg's columns are left out")
        }
        print(line)
    }
    return rows
}
