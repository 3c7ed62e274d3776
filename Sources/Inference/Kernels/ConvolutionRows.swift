/// How the general and depthwise strategies walk one output row: in spans of at most 24 output
/// pixels (a multiple of every tile height), each reading its input either in place, when all its
/// taps fall inside the input row, or from a padded copy of the row (`ConvolutionRows`) near the
/// left and right borders. Zones like these keep border tests out of the inner loops.
struct ConvolutionSpans {
    struct Span {
        var columns: Range<Int>
        /// Reads `ConvolutionRows` rows (padded coordinates) instead of input rows.
        var padded: Bool
    }

    let spans: [Span]
    /// Padded columns the padded spans read: what `ConvolutionRows` must fill.
    let paddedColumns: [Range<Int>]
    /// Padded pixels per row: up to the last column any output pixel reads.
    let paddedWidth: Int

    /// - Parameter inPlace: whether spans may read input rows in place (false when the rows need
    ///   reshaping anyway, such as channel padding).
    init(_ g: ConvolutionGeometry, inPlace: Bool) {
        let reach = (g.kernelWidth - 1) * g.dilationWidth + 1
        paddedWidth = (g.outputWidth - 1) * g.strideWidth + reach
        // Output columns whose taps all lie in [0, inputWidth).
        let firstInterior = (g.padLeft + g.strideWidth - 1) / g.strideWidth
        let lastInterior = g.inputWidth - reach + g.padLeft >= 0
            ? (g.inputWidth - reach + g.padLeft) / g.strideWidth : -1
        var interior = firstInterior..<max(firstInterior, min(lastInterior + 1, g.outputWidth))
        if !inPlace || interior.isEmpty { interior = 0..<0 }

        var spans: [Span] = []
        func split(_ columns: Range<Int>, padded: Bool) {
            var start = columns.lowerBound
            while start < columns.upperBound {
                let end = min(start + 24, columns.upperBound)
                spans.append(Span(columns: start..<end, padded: padded))
                start = end
            }
        }
        var paddedColumns: [Range<Int>] = []
        if interior.isEmpty {
            split(0..<g.outputWidth, padded: true)
            paddedColumns = [0..<paddedWidth]
        } else {
            if interior.lowerBound > 0 {
                split(0..<interior.lowerBound, padded: true)
                paddedColumns.append(0..<((interior.lowerBound - 1) * g.strideWidth + reach))
            }
            split(interior, padded: false)
            if interior.upperBound < g.outputWidth {
                split(interior.upperBound..<g.outputWidth, padded: true)
                paddedColumns.append((interior.upperBound * g.strideWidth)..<paddedWidth)
            }
        }
        self.spans = spans
        self.paddedColumns = paddedColumns
    }
}

/// Input rows of a convolution with their horizontal zero padding in place, so the inner kernels
/// never test for borders. Rows are copied on first use into a small ring of `slots` rows (the
/// vertical reach of the kernel, `(kernelHeight - 1) * dilationHeight + 1`), so walking down the
/// output copies each input row once; it is never a whole-image buffer, and only the columns
/// the padded spans read (`ConvolutionSpans.paddedColumns`) are copied.
///
/// A buffered row holds `paddedWidth` pixels of `channelStride` floats: padded column `c` is input
/// column `c - padLeft`, and every float outside the input (left, right, or channels past
/// `channels`) is 0.
///
/// One instance belongs to one thread; it is not `Sendable`.
final class ConvolutionRows {
    private let input: UnsafePointer<Float>
    private let height: Int, width: Int, channels: Int
    let channelStride: Int
    private let padLeft: Int
    private let paddedWidth: Int
    /// Input columns to copy, each range clipped to the input.
    private let inputColumns: [Range<Int>]
    private let slots: Int
    private let storage: UnsafeMutablePointer<Float>?
    /// Which `image * height + y` each slot holds, or -1.
    private let held: UnsafeMutablePointer<Int>?

    /// - Parameters:
    ///   - input: NHWC `[batch, height, width, channels]`.
    ///   - paddedColumns: the padded columns to fill (padded column `c` is input column `c - padLeft`).
    ///   - channelStride: floats per buffered pixel, at least `channels`.
    ///   - slots: rows the ring holds.
    init(input: UnsafePointer<Float>, height: Int, width: Int, channels: Int,
         padLeft: Int, paddedWidth: Int, paddedColumns: [Range<Int>], channelStride: Int, slots: Int) {
        precondition(padLeft >= 0 && paddedWidth > 0 && channelStride >= channels && slots > 0)
        self.input = input
        self.height = height; self.width = width; self.channels = channels
        self.padLeft = padLeft
        self.paddedWidth = paddedWidth
        self.channelStride = channelStride
        self.slots = slots
        inputColumns = paddedColumns.compactMap { columns in
            let first = max(columns.lowerBound - padLeft, 0)
            let end = min(columns.upperBound - padLeft, width)
            return first < end ? first..<end : nil
        }
        if paddedColumns.isEmpty {
            storage = nil
            held = nil
        } else {
            let rowFloats = paddedWidth * channelStride
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: slots * rowFloats * 4, alignment: 64)
                .bindMemory(to: Float.self, capacity: slots * rowFloats)
            buffer.initialize(repeating: 0, count: slots * rowFloats)
            storage = buffer
            let tags = UnsafeMutablePointer<Int>.allocate(capacity: slots)
            tags.initialize(repeating: -1, count: slots)
            held = tags
        }
    }

    deinit {
        storage?.deallocate()
        held?.deallocate()
    }

    /// Row `y` (0 ..< height) of image `image` as it is in the input: pixel `x` starts at `x * channels`.
    func inputRow(image: Int, y: Int) -> UnsafePointer<Float> {
        input + (image * height + y) * width * channels
    }

    /// Padded row `y` (0 ..< height) of image `image`: padded pixel `c` starts at `c * channelStride`.
    func paddedRow(image: Int, y: Int) -> UnsafePointer<Float> {
        guard let storage, let held else { preconditionFailure("no padded columns were requested") }
        let index = image * height + y
        let slot = y % slots
        let destination = storage + slot * paddedWidth * channelStride
        if held[slot] != index {
            held[slot] = index
            let source = inputRow(image: image, y: y)
            for columns in inputColumns {
                if channelStride == channels {
                    (destination + (columns.lowerBound + padLeft) * channels)
                        .update(from: source + columns.lowerBound * channels, count: columns.count * channels)
                } else {
                    for x in columns {
                        (destination + (x + padLeft) * channelStride).update(from: source + x * channels, count: channels)
                    }
                }
            }
        }
        return UnsafePointer(destination)
    }
}
