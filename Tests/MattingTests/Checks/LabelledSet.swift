import Foundation
import Imaging
@testable import Matting

/// The labelled set the checks' thresholds are chosen and tested on, made from the sample photos
/// (scripts/fetch-assets; nothing else is downloaded): each sample portrait as is (expected: no
/// warning), put small into a large canvas, cropped through the head, blurred by Gaussians of known
/// radii, darkened, brightened, darkened in front of a bright backdrop (backlit), side by side with
/// another portrait, scaled above 2000 x 2000 and below 256 a side; and the photos without people.
struct LabelledSet {
    struct Case {
        var name: String
        var image: Image
        /// The warnings the case should raise; empty for a clean photo.
        var expected: Set<CheckWarning.Code>
    }

    static let portraits = ["astronaut": "astronaut.png", "grace_hopper": "grace_hopper.jpg", "camera": "extra/camera.png"]
    static let withoutPeople = ["coffee": "extra/coffee.png", "chelsea": "extra/chelsea.png", "rocket": "extra/rocket.jpg"]
    /// Gaussian standard deviations, in pixels of the 512-pixel-wide portraits. A blur counts as
    /// blurry from `blurryShareOfFace` of the face's width: 2 pixels on a face 100 wide, where
    /// eyelashes and single hairs are gone (the faces are 85 to 194 pixels wide).
    static let sigmas: [Double] = [1, 2, 3, 6]
    static let blurryShareOfFace = 0.02

    static func photo(_ relativePath: String) throws -> Image {
        let path = ModelFiles.samplesDirectory + "/" + relativePath
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MattingError.modelMissing(path: path, fetchCommand: ModelFiles.fetchCommand)
        }
        return try ImageDecoder.decode([UInt8](data)).rgb()
    }

    /// Every case. `face` gives each portrait's face (the cut-off case is cropped through its middle;
    /// its width says which blurs are blurry); `person` each portrait's person mask at its size, in [0, 1].
    static func make(face: (String, Image) throws -> Face.Box, person: (Image) throws -> Plane) throws -> [Case] {
        var cases: [Case] = []
        let names = portraits.keys.sorted()
        for (index, name) in names.enumerated() {
            let portrait = try photo(portraits[name]!)
            cases.append(Case(name: "\(name)", image: portrait, expected: []))
            cases.append(Case(name: "\(name) small in a canvas", image: smallInCanvas(portrait, scale: 0.4),
                              expected: [.subjectTooSmall]))
            let box = try face(name, portrait)
            cases.append(Case(name: "\(name) cropped through the head", image: cropped(portrait, top: Int(box.y + box.height / 2)),
                              expected: [.subjectCutOff]))
            for sigma in sigmas {
                let blurry = sigma >= blurryShareOfFace * Double(box.width)
                cases.append(Case(name: "\(name) blurred sigma \(Int(sigma))", image: gaussianBlurred(portrait, sigma: sigma),
                                  expected: blurry ? [.blurry] : []))
            }
            cases.append(Case(name: "\(name) darkened", image: mapped(portrait) { $0 * 0.2 }, expected: [.underexposed]))
            cases.append(Case(name: "\(name) brightened", image: mapped(portrait) { 255 - (255 - $0) * 0.15 },
                              expected: [.overexposed]))
            cases.append(Case(name: "\(name) backlit", image: backlit(portrait, person: try person(portrait)),
                              expected: [.backlit]))
            let other = try photo(portraits[names[(index + 1) % names.count]]!)
            cases.append(Case(name: "\(name) beside \(names[(index + 1) % names.count])",
                              image: sideBySide(portrait, other), expected: [.severalPeople]))
        }
        let astronaut = try photo(portraits["astronaut"]!)
        cases.append(Case(name: "astronaut 2200x2200", image: astronaut.lanczosResized(width: 2200, height: 2200),
                          expected: [.resolutionTooLarge]))
        cases.append(Case(name: "astronaut 200x200", image: astronaut.areaDownsampled(width: 200, height: 200),
                          expected: [.resolutionTooSmall]))
        for name in withoutPeople.keys.sorted() {
            cases.append(Case(name: name, image: try photo(withoutPeople[name]!), expected: [.noPerson]))
        }
        return cases
    }

    /// `image` scaled by `scale` and centred on a mid-grey canvas of its own size.
    static func smallInCanvas(_ image: Image, scale: Double) -> Image {
        let width = Int(Double(image.width) * scale), height = Int(Double(image.height) * scale)
        let small = image.areaDownsampled(width: width, height: height)
        var canvas = Image(width: image.width, height: image.height, channels: 3, filling: 128)
        let left = (image.width - width) / 2, top = (image.height - height) / 2
        for y in 0..<height {
            for x in 0..<width {
                for channel in 0..<3 {
                    canvas.pixels[((top + y) * image.width + left + x) * 3 + channel] = small.pixels[(y * width + x) * 3 + channel]
                }
            }
        }
        return canvas
    }

    /// The rows of `image` from `top` down.
    static func cropped(_ image: Image, top: Int) -> Image {
        Image(width: image.width, height: image.height - top, channels: 3,
              pixels: Array(image.pixels[(top * image.width * 3)...]))
    }

    /// Every sample through `transform` (on 0...255), rounded and clamped.
    static func mapped(_ image: Image, _ transform: (Float) -> Float) -> Image {
        Image(width: image.width, height: image.height, channels: 3,
              pixels: image.pixels.map { UInt8(min(max(transform(Float($0)).rounded(), 0), 255)) })
    }

    /// The person darkened to 35% in front of a near-white backdrop (luma 240), blended by `person`.
    static func backlit(_ image: Image, person: Plane) -> Image {
        var result = image
        for index in 0..<image.pixelCount {
            let alpha = person.values[index]
            for channel in 0..<3 {
                let value = Float(image.pixels[index * 3 + channel]) * 0.35 * alpha + 240 * (1 - alpha)
                result.pixels[index * 3 + channel] = UInt8(min(max(value.rounded(), 0), 255))
            }
        }
        return result
    }

    /// `left` and `right` side by side, `right` scaled to `left`'s height.
    static func sideBySide(_ left: Image, _ right: Image) -> Image {
        let rightWidth = right.width * left.height / right.height
        let scaled = right.height == left.height ? right : right.lanczosResized(width: rightWidth, height: left.height)
        let width = left.width + rightWidth
        var pixels = [UInt8](repeating: 0, count: width * left.height * 3)
        for y in 0..<left.height {
            pixels.replaceSubrange((y * width * 3)..<((y * width + left.width) * 3),
                                   with: left.pixels[(y * left.width * 3)..<((y + 1) * left.width * 3)])
            pixels.replaceSubrange(((y * width + left.width) * 3)..<((y + 1) * width * 3),
                                   with: scaled.pixels[(y * rightWidth * 3)..<((y + 1) * rightWidth * 3)])
        }
        return Image(width: width, height: left.height, channels: 3, pixels: pixels)
    }

    /// A Gaussian blur of standard deviation `sigma` pixels (taps to 3 sigma, edges clamped), separable.
    static func gaussianBlurred(_ image: Image, sigma: Double) -> Image {
        let radius = Int((3 * sigma).rounded(.up))
        var weights = (-radius...radius).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let total = weights.reduce(0, +)
        weights = weights.map { $0 / total }
        let width = image.width, height = image.height
        var horizontal = [Double](repeating: 0, count: image.pixels.count)
        for y in 0..<height {
            for x in 0..<width {
                for channel in 0..<3 {
                    var sum = 0.0
                    for tap in -radius...radius {
                        let source = min(max(x + tap, 0), width - 1)
                        sum += weights[tap + radius] * Double(image.pixels[(y * width + source) * 3 + channel])
                    }
                    horizontal[(y * width + x) * 3 + channel] = sum
                }
            }
        }
        var result = image
        for y in 0..<height {
            for x in 0..<width {
                for channel in 0..<3 {
                    var sum = 0.0
                    for tap in -radius...radius {
                        let source = min(max(y + tap, 0), height - 1)
                        sum += weights[tap + radius] * horizontal[(source * width + x) * 3 + channel]
                    }
                    result.pixels[(y * width + x) * 3 + channel] = UInt8(min(max(sum.rounded(), 0), 255))
                }
            }
        }
        return result
    }
}
