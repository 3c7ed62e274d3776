import Parallelism

extension Image {
    /// Shrinks by area averaging (box filter): output pixel (X, Y) is the rounded mean of the source
    /// pixels (x, y) with `x * newWidth / width == X` and `y * newHeight / height == Y`, every source
    /// pixel counted once. Same channels as the source. `newWidth` and `newHeight` must be positive and
    /// at most the source's sides. Rows of the output are split over `threads` threads.
    public func areaDownsampled(width newWidth: Int, height newHeight: Int, threads: Int = 1) -> Image {
        precondition(newWidth > 0 && newHeight > 0 && newWidth <= width && newHeight <= height,
                     "area downsampling \(width)x\(height) to \(newWidth)x\(newHeight)")
        var result = Image(width: newWidth, height: newHeight, channels: channels)
        let channels = channels, width = width, height = height
        // Source columns and rows of each output cell: [start[i], start[i + 1]).
        let columnStarts = (0...newWidth).map { ($0 * width + newWidth - 1) / newWidth }
        let rowStarts = (0...newHeight).map { ($0 * height + newHeight - 1) / newHeight }
        pixels.withUnsafeBufferPointer { source in
            result.pixels.withUnsafeMutableBufferPointer { target in
                nonisolated(unsafe) let target = target
                nonisolated(unsafe) let source = source.baseAddress!
                parallelFor(newHeight, threads: threads) { rows in
                    // One output row's sums, summed a source row at a time, each cell's pixels in registers.
                    let sums = UnsafeMutablePointer<UInt32>.allocate(capacity: newWidth * channels)
                    defer { sums.deallocate() }
                    for outputRow in rows {
                        sums.initialize(repeating: 0, count: newWidth * channels)
                        for y in rowStarts[outputRow]..<rowStarts[outputRow + 1] {
                            var pixel = source + y * width * channels
                            var sum = sums
                            for cell in 0..<newWidth {
                                let count = columnStarts[cell + 1] - columnStarts[cell]
                                if channels == 3 {
                                    var red: UInt32 = 0, green: UInt32 = 0, blue: UInt32 = 0
                                    for _ in 0..<count {
                                        red += UInt32(pixel[0])
                                        green += UInt32(pixel[1])
                                        blue += UInt32(pixel[2])
                                        pixel += 3
                                    }
                                    sum[0] += red
                                    sum[1] += green
                                    sum[2] += blue
                                } else {
                                    for _ in 0..<count {
                                        for channel in 0..<channels { sum[channel] += UInt32(pixel[channel]) }
                                        pixel += channels
                                    }
                                }
                                sum += channels
                            }
                        }
                        let rowCount = rowStarts[outputRow + 1] - rowStarts[outputRow]
                        for cell in 0..<newWidth {
                            let count = UInt32(rowCount * (columnStarts[cell + 1] - columnStarts[cell]))
                            for channel in 0..<channels {
                                let sum = sums[cell * channels + channel]
                                target[(outputRow * newWidth + cell) * channels + channel] = UInt8((sum + count / 2) / count)
                            }
                        }
                    }
                }
            }
        }
        return result
    }
}
