import Parallelism

extension Image {
    /// An RGB image with straight alpha composited over a solid `background` colour:
    /// `out = (colour * alpha + background * (255 - alpha)) / 255`, rounded to nearest. Grey is repeated
    /// into RGB; RGB is returned unchanged. Rows are split over `threads`.
    public func flattened(over background: (red: UInt8, green: UInt8, blue: UInt8) = (255, 255, 255),
                          threads: Int = 1) -> Image {
        guard channels == 4 else { return rgb() }
        let backdrop = SIMD3(Int(background.red), Int(background.green), Int(background.blue))
        var output = Image.unfilled(width: width, height: height, channels: 3)
        pixels.withUnsafeBufferPointer { source in
            output.pixels.withUnsafeMutableBufferPointer { target in
                nonisolated(unsafe) let target = target
                let width = width
                parallelFor(height, threads: threads) { rows in
                    for pixel in rows.lowerBound * width..<rows.upperBound * width {
                        let alpha = Int(source[pixel * 4 + 3])
                        for channel in 0..<3 {
                            let colour = Int(source[pixel * 4 + channel])
                            // At most (255 * 255 + 127) / 255 = 255: fits a UInt8.
                            target[pixel * 3 + channel] = UInt8((colour * alpha + backdrop[channel] * (255 - alpha) + 127) / 255)
                        }
                    }
                }
            }
        }
        return output
    }
}
