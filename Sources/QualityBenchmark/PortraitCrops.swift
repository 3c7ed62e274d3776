import Foundation
import Imaging
import Matting

/// A sheet of 100% crops of the real portraits where hair and edges are (`portrait-crops.png`): per
/// portrait, rows at the crown, at the left and right of the head and at a shoulder, each
/// `side` x `side` photo pixels shown at `magnification` (nearest neighbour, so a pixel is a
/// square and haze is not mistaken for detail). Cells, left to right: the photo | the true alpha |
/// the baseline's alpha (when given) | ours (best) | ours in fine mode | fine over a colour | rembg with alpha matting's alpha |
/// rembg's mask | the selfie mask.
///
/// The crops are placed from the true alpha's person (alpha >= 0.5): the crown at its top row,
/// centred on that row's person pixels; the sides at the outermost person pixels of the head's rows
/// (the top quarter of the person's height); the shoulder at the leftmost person pixel at 55% of the
/// person's height.
enum PortraitCrops {
    static let side = 112
    static let magnification = 2

    struct Crop {
        var label: String
        var x: Int
        var y: Int
    }

    /// Crop origins for a true alpha, clamped to the photo.
    static func crops(truth: Plane) -> [Crop] {
        let width = truth.width, height = truth.height
        var top = height, bottom = -1
        var leftmost = [Int](repeating: width, count: height), rightmost = [Int](repeating: -1, count: height)
        for y in 0..<height {
            for x in 0..<width where truth[x, y] >= 0.5 {
                leftmost[y] = min(leftmost[y], x)
                rightmost[y] = max(rightmost[y], x)
                top = min(top, y)
                bottom = max(bottom, y)
            }
        }
        guard bottom >= top else { return [] }
        let extent = bottom - top + 1
        let head = top..<min(bottom + 1, top + max(1, extent / 4))
        let crownX = (leftmost[top] + rightmost[top]) / 2
        let leftRow = head.min { leftmost[$0] < leftmost[$1] } ?? top
        let rightRow = head.max { rightmost[$0] < rightmost[$1] } ?? top
        var shoulderRow = min(bottom, top + extent * 55 / 100)
        while shoulderRow < bottom && leftmost[shoulderRow] == width { shoulderRow += 1 }
        func centred(_ label: String, _ x: Int, _ y: Int) -> Crop {
            Crop(label: label, x: min(max(x - side / 2, 0), max(0, width - side)),
                 y: min(max(y - side / 2, 0), max(0, height - side)))
        }
        return [
            centred("crown", crownX, top), centred("left of the head", leftmost[leftRow], leftRow),
            centred("right of the head", rightmost[rightRow], rightRow),
            centred("shoulder", leftmost[shoulderRow], shoulderRow),
        ]
    }

    /// `image` (grey, RGB or RGBA flattened over white) cut at `crop` and magnified, as RGB.
    static func cell(_ image: Image, _ crop: Crop) -> Image {
        let source = image.channels == 4 ? image.flattened(over: (255, 255, 255)) : image.rgb()
        let size = side * magnification
        var cell = Image(width: size, height: size, channels: 3, filling: ContactSheet.sheetColour)
        for y in 0..<size {
            let sourceY = crop.y + y / magnification
            guard sourceY < source.height else { break }
            for x in 0..<size {
                let sourceX = crop.x + x / magnification
                guard sourceX < source.width else { break }
                for channel in 0..<3 {
                    cell.pixels[(y * size + x) * 3 + channel] = source.pixels[(sourceY * source.width + sourceX) * 3 + channel]
                }
            }
        }
        return cell
    }

    /// Writes the sheet for the portraits `names` of `directory` to `path`; rembg's results come from
    /// `references/rembg`, the baseline's mattes from `baseline`.
    static func write(names: [String], directory: String, matter: PortraitMatter, references: String,
                      baseline: Baseline?, to path: String) -> [String] {
        var rows: [[Image]] = []
        var labels: [String] = []
        let colour = Backdrop.colour(red: ContactSheet.backdropColour.red, green: ContactSheet.backdropColour.green,
                                     blue: ContactSheet.backdropColour.blue)
        for name in names {
            let photoPath = "\(directory)/\(name)_image.png"
            let photo = readImage(photoPath)
            let truth = readAlpha("\(directory)/\(name)_alpha.png")
            let matte = mustMatte(matter, photo, MattingOptions(), name: name)
            let fine = mustMatte(matter, photo, MattingOptions(mode: .fine), name: name)
            let selfie: Plane
            do {
                selfie = try matter.segmenter.probabilities(for: photo, threads: matter.threads)
                    .resized(width: photo.width, height: photo.height)
            } catch {
                fail("\(name): \(error)")
            }
            var alphas = [truth.greyImage()]
            if let baseline { alphas.append(baseline.alpha(named: "\(name)_image").greyImage()) }
            alphas += [matte.alpha, fine.alpha]
            let peers = [readAlpha("\(references)/rembg/\(name)_image_alpha_matting.png").greyImage(),
                         readAlpha("\(references)/rembg/\(name)_image_mask.png").greyImage(), selfie.greyImage()]
            let over = Composite.make(fine, over: colour)
            for crop in crops(truth: truth) {
                rows.append(([photo] + alphas + [over] + peers).map { cell($0, crop) })
                labels.append("\(name) \(crop.label)")
            }
        }
        let sheet = ContactSheet.assemble(rows, rowHeight: side * magnification)
        do {
            writeFile(try ImageEncoder.png(sheet), to: path)
        } catch {
            fail("\(path): \(error)")
        }
        return labels
    }
}
