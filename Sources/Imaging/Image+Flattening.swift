extension Image {
    /// An RGB image with straight alpha composited over a solid `background` colour:
    /// `out = (colour * alpha + background * (255 - alpha)) / 255`, rounded to nearest. Grey is repeated
    /// into RGB; RGB is returned unchanged.
    public func flattened(over background: (red: UInt8, green: UInt8, blue: UInt8) = (255, 255, 255)) -> Image {
        guard channels == 4 else { return rgb() }
        let backdrop = [Int(background.red), Int(background.green), Int(background.blue)]
        var output = [UInt8](repeating: 0, count: pixelCount * 3)
        for pixel in 0..<pixelCount {
            let alpha = Int(pixels[pixel * 4 + 3])
            for channel in 0..<3 {
                let colour = Int(pixels[pixel * 4 + channel])
                // At most (255 * 255 + 127) / 255 = 255: fits a UInt8.
                output[pixel * 3 + channel] = UInt8((colour * alpha + backdrop[channel] * (255 - alpha) + 127) / 255)
            }
        }
        return Image(width: width, height: height, channels: 3, pixels: output)
    }
}
