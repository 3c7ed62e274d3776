extension Image {
    /// This image as 3-channel RGB: grey is repeated into each channel, RGB is returned unchanged, and RGBA
    /// loses its alpha (colours kept as stored, not composited: see `flattened(over:)` for that).
    public func rgb() -> Image {
        switch channels {
        case 3:
            return self
        case 1:
            var output = [UInt8](repeating: 0, count: pixelCount * 3)
            for pixel in 0..<pixelCount {
                let grey = pixels[pixel]
                output[pixel * 3] = grey
                output[pixel * 3 + 1] = grey
                output[pixel * 3 + 2] = grey
            }
            return Image(width: width, height: height, channels: 3, pixels: output)
        default:
            var output = [UInt8](repeating: 0, count: pixelCount * 3)
            for pixel in 0..<pixelCount {
                for channel in 0..<3 { output[pixel * 3 + channel] = pixels[pixel * 4 + channel] }
            }
            return Image(width: width, height: height, channels: 3, pixels: output)
        }
    }
}
