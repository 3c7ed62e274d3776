import Imaging
import Parallelism

/// Cut-outs: the photo's colours under an alpha matte.
public enum Cutout {
    /// RGBA image of `photo`'s colours (grey replicated) with `alpha` as straight alpha.
    /// `alpha` must have the photo's size.
    public static func make(photo: Image, alpha: Plane) -> Image {
        precondition(photo.width == alpha.width && photo.height == alpha.height, "alpha and photo sizes differ")
        return make(photo: photo, alpha: alpha.greyImage())
    }

    /// RGBA image of `photo`'s colours (grey replicated; an RGBA photo's own alpha left out) with `alpha`
    /// (8-bit grey, the photo's size) as straight alpha.
    public static func make(photo: Image, alpha: Image) -> Image {
        precondition(photo.width == alpha.width && photo.height == alpha.height && alpha.channels == 1,
                     "alpha is not a grey image of the photo's size")
        var cutout = Image.unfilled(width: photo.width, height: photo.height, channels: 4)
        let channels = photo.channels
        let (green, blue) = channels >= 3 ? (1, 2) : (0, 0)
        photo.pixels.withUnsafeBufferPointer { source in
            alpha.pixels.withUnsafeBufferPointer { alpha in
                cutout.pixels.withUnsafeMutableBufferPointer { target in
                    for index in 0..<alpha.count {
                        let base = index * channels
                        target[index * 4] = source[base]
                        target[index * 4 + 1] = source[base + green]
                        target[index * 4 + 2] = source[base + blue]
                        target[index * 4 + 3] = alpha[index]
                    }
                }
            }
        }
        return cutout
    }

    /// Sets the colour of every fully transparent pixel of `cutout` (RGBA, straight alpha) to black, so
    /// it reads (0, 0, 0, 0). Under alpha 0 a cut-out's colours carry nothing a viewer or a composite
    /// uses, and stored as zeros they cost next to nothing (in a PNG, runs of zero bytes after the Paeth
    /// filter); rembg's cut-outs store the same. Pixels are split over `threads` threads.
    public static func clearHiddenColours(_ cutout: inout Image, threads: Int = 1) {
        precondition(cutout.channels == 4, "a cut-out is RGBA")
        let count = cutout.pixelCount
        cutout.pixels.withUnsafeMutableBufferPointer { pixels in
            nonisolated(unsafe) let pixels = pixels
            parallelFor(count, threads: count >= 65_536 ? threads : 1) { range in
                for index in range where pixels[index * 4 + 3] == 0 {
                    pixels[index * 4] = 0
                    pixels[index * 4 + 1] = 0
                    pixels[index * 4 + 2] = 0
                }
            }
        }
    }
}
