import Foundation
import Imaging
import Matting

/// The contact sheet: one row per photo, seven cells of the same height, left to right:
/// the photo | our alpha | our cut-out over a checkerboard | our cut-out over a colour |
/// rembg's alpha | rembg's cut-out over the checkerboard | over the colour. rembg is rembg with alpha
/// matting (references: `rembg/<name>_alpha_matting.png`). The sample portraits are matted in person
/// mode, the composites in any-subject mode, both best.
enum ContactSheet {
    struct Entry {
        var label: String
        var photoPath: String
        /// The photo's name in the references' rembg folder.
        var rembgName: String
        var options: MattingOptions
    }

    static let rowHeight = 360
    static let gap = 6
    static let sheetColour: UInt8 = 96
    static let backdropColour = (red: UInt8(36), green: UInt8(96), blue: UInt8(212))
    static let checkerColours: (UInt8, UInt8) = (204, 255)

    /// The sample portraits that are present (astronaut, grace_hopper, camera), then the first
    /// composite of each of `compositeImages` that the references hold.
    static func entries(samples: String, references: String, compositeImages: [String]) -> [Entry] {
        var entries: [Entry] = []
        for (file, rembgName) in [("astronaut.png", "astronaut"), ("grace_hopper.jpg", "grace_hopper_jpg"),
                                  ("extra/camera.png", "camera")] {
            let path = "\(samples)/\(file)"
            if FileManager.default.fileExists(atPath: path) {
                entries.append(Entry(label: rembgName, photoPath: path, rembgName: rembgName, options: MattingOptions()))
            } else {
                note("\(path) is missing: left out of the contact sheet")
            }
        }
        for composite in compositeImages.compactMap({ image in
            composites(in: references, images: [image]).first
        }) {
            entries.append(Entry(label: composite.name, photoPath: "\(references)/composites/\(composite.name).png",
                                 rembgName: composite.name, options: MattingOptions(mode: .best, subject: .any)))
        }
        return entries
    }

    /// Writes the sheet of `entries` to `path` as PNG.
    static func write(_ entries: [Entry], matter: PortraitMatter, references: String, to path: String) {
        var rows: [[Image]] = []
        for entry in entries {
            let photo = readImage(entry.photoPath)
            let matte = mustMatte(matter, photo, entry.options, name: entry.label)
            let rembgPath = "\(references)/rembg/\(entry.rembgName)_alpha_matting.png"
            let theirs = readImage(rembgPath)
            guard theirs.channels == 4, theirs.width == photo.width, theirs.height == photo.height else {
                fail("\(rembgPath) is not an RGBA cut-out of \(photo.width)x\(photo.height)")
            }
            let theirAlpha = Image(width: theirs.width, height: theirs.height, channels: 1, pixels: stride(
                from: 3, to: theirs.pixels.count, by: 4).map { theirs.pixels[$0] })
            let checker = checkerboard(width: photo.width, height: photo.height)
            let colour = Backdrop.colour(red: backdropColour.red, green: backdropColour.green, blue: backdropColour.blue)
            let cells = [
                photo, matte.alpha,
                Composite.make(cutout: matte.cutout, over: .image(checker)), Composite.make(cutout: matte.cutout, over: colour),
                theirAlpha,
                Composite.make(cutout: theirs, over: .image(checker)), Composite.make(cutout: theirs, over: colour),
            ]
            rows.append(cells.map { thumbnail($0) })
        }
        let sheet = assemble(rows)
        do {
            writeFile(try ImageEncoder.png(sheet), to: path)
        } catch {
            fail("\(path): \(error)")
        }
    }

    /// `image` scaled to `rowHeight` high, aspect ratio kept, RGB.
    static func thumbnail(_ image: Image) -> Image {
        let width = max(1, Int((Double(image.width) * Double(rowHeight) / Double(image.height)).rounded()))
        return Composite.cover(image, width: width, height: rowHeight)
    }

    /// Two-tone squares about 12 pixels wide once the photo is scaled to `rowHeight`.
    static func checkerboard(width: Int, height: Int) -> Image {
        let square = max(4, 12 * height / rowHeight)
        var image = Image(width: width, height: height, channels: 3)
        for y in 0..<height {
            for x in 0..<width {
                let value = (x / square + y / square) % 2 == 0 ? checkerColours.0 : checkerColours.1
                for channel in 0..<3 { image.pixels[(y * width + x) * 3 + channel] = value }
            }
        }
        return image
    }

    /// Rows of RGB cells laid out left to right, top to bottom, `gap` pixels apart and around.
    static func assemble(_ rows: [[Image]], rowHeight: Int = rowHeight) -> Image {
        let width = rows.map { row in row.reduce(gap) { $0 + $1.width + gap } }.max() ?? gap
        let height = gap + rows.count * (rowHeight + gap)
        var sheet = Image(width: width, height: height, channels: 3, filling: sheetColour)
        for (rowIndex, row) in rows.enumerated() {
            var left = gap
            let top = gap + rowIndex * (rowHeight + gap)
            for cell in row {
                for y in 0..<cell.height {
                    let source = y * cell.width * 3, target = ((top + y) * width + left) * 3
                    sheet.pixels.replaceSubrange(target..<target + cell.width * 3,
                                                 with: cell.pixels[source..<source + cell.width * 3])
                }
                left += cell.width + gap
            }
        }
        return sheet
    }
}
