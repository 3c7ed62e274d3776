import Imaging

/// Cut-outs: the photo's colours under an alpha matte.
public enum Cutout {
    /// RGBA image of `photo`'s colours (grey replicated) with `alpha` as straight alpha.
    /// `alpha` must have the photo's size.
    public static func make(photo: Image, alpha: Plane) -> Image {
        precondition(photo.width == alpha.width && photo.height == alpha.height, "alpha and photo sizes differ")
        var cutout = Image(width: photo.width, height: photo.height, channels: 4)
        let channels = photo.channels
        photo.pixels.withUnsafeBufferPointer { source in
            cutout.pixels.withUnsafeMutableBufferPointer { target in
                for index in 0..<photo.pixelCount {
                    let base = index * channels
                    target[index * 4] = source[base]
                    target[index * 4 + 1] = source[base + (channels >= 3 ? 1 : 0)]
                    target[index * 4 + 2] = source[base + (channels >= 3 ? 2 : 0)]
                    target[index * 4 + 3] = Plane.byte(alpha.values[index])
                }
            }
        }
        return cutout
    }
}
