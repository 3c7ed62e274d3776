import Foundation
import Imaging
@testable import Matting

/// A stand-in matter: the left half of the photo is the person. `delay` seconds per photo make it slow
/// enough to be caught running.
struct HalfMatter: PortraitMatting {
    var delay: Double = 0

    func matte(_ image: Image, options: MattingOptions) throws -> Matte {
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        var alpha = Plane(width: image.width, height: image.height)
        for y in 0..<image.height {
            for x in 0..<image.width / 2 { alpha[x, y] = 1 }
        }
        return Matte(alpha: alpha.greyImage(), cutout: Cutout.make(photo: image, alpha: alpha), timings: StageTimings())
    }
}

enum Photos {
    /// A `width` x `height` PNG whose pixels depend on `seed`, so that every job's photo differs.
    static func png(width: Int = 32, height: Int = 24, seed: Int = 0) throws -> [UInt8] {
        var image = Image(width: width, height: height, channels: 3)
        for index in image.pixels.indices { image.pixels[index] = UInt8(truncatingIfNeeded: index * 7 + seed * 13) }
        return try ImageEncoder.png(image)
    }
}
