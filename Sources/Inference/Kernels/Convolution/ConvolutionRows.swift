/// Input rows of a convolution with their horizontal zero padding in place, so the inner kernels
/// never test for borders. Rows are copied on first use into a small ring of `slots` rows (the
/// vertical reach of the kernel, `(kernelHeight - 1) * dilationHeight + 1`), so walking down the
/// output copies each input row once; it is never a whole-image buffer.
///
/// A buffered row holds `paddedWidth` pixels of `channelStride` floats: padded column `c` is input
/// column `c - padLeft`, and every float outside the input (left, right, or channels past
/// `channels`) is 0. Rows are copied even where no padding is needed: measured on Zen 4, tiles
/// reading the 64-byte aligned, cache-resident copy beat tiles reading a large input in place
/// (3x3 64 -> 16 at 320x320: 97 against 87 GFLOP/s), the copy costing a streaming read.
///
/// The input may come in parts, NHWC tensors of the same batch, height and width whose channels,
/// one after the other, make the input's channels (a concatenation along channels): each buffered
/// pixel then gathers its channels from every part, and the concatenated tensor is never formed.
/// A part may also be the resize or pooling of another tensor, computed as its rows are buffered.
///
/// With `bfloat16`, each buffered row is also kept rounded to bfloat16 (`bfloat16Row`), in a ring of
/// its own, for the bfloat16 kernels: rounded once per row buffered, not at every read (an input in
/// one plain part straight from the input, others from the float32 row).
///
/// One instance belongs to one thread; it is not `Sendable`.
final class ConvolutionRows {
    /// One part of the input: NHWC `[batch, height, width, channels]`, or, with `through`, the
    /// resize or pooling of `input` to that size, computed row by row as rows are buffered.
    struct Part {
        var input: UnsafePointer<Float>
        var channels: Int
        var through: RowProducer? = nil
    }

    /// An operator whose output rows a convolution computes as it buffers them.
    enum RowProducer: Sendable {
        case resize(ResizeRows)
        case pool(PoolRows)

        @inline(__always)
        func write(row: Int, from source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>,
                   pixelStride: Int, columns: Int) {
            switch self {
            case .resize(let rows):
                rows.write(row: row, from: source, to: destination, pixelStride: pixelStride, columns: columns)
            case .pool(let rows):
                rows.write(row: row, from: source, to: destination, pixelStride: pixelStride, columns: columns)
            }
        }
    }

    private let parts: [Part]
    private let height: Int, width: Int, channels: Int
    let channelStride: Int
    let padLeft: Int
    let paddedWidth: Int
    private let slots: Int
    /// The float32 ring, made on the first `row` call: a bfloat16 convolution of one plain input
    /// converts its rows straight from the input and never needs it (allocating and zeroing it
    /// anyway cost each thread up to 247 KB of writes per layer in U-2-Net-p, 3 rows of 322 pixels of
    /// 64 floats).
    private var storage: UnsafeMutablePointer<Float>?
    /// Which `image * height + y` each slot holds, or -1.
    private let held: UnsafeMutablePointer<Int>
    /// The bfloat16 ring (`slots` rows laid out as `storage`'s) and what each slot holds, or nil.
    private let bfloat16Storage: UnsafeMutablePointer<UInt16>?
    private let bfloat16Held: UnsafeMutablePointer<Int>?

    /// - Parameters:
    ///   - input: NHWC `[batch, height, width, channels]`.
    ///   - paddedWidth: padded pixels needed per row (`padLeft` + width + right padding, or less
    ///     when the convolution never reaches the last input columns).
    ///   - channelStride: floats per buffered pixel, at least `channels`.
    ///   - slots: rows the ring holds.
    ///   - bfloat16: also keep the rows rounded to bfloat16 (only when `Precision.bfloat16Supported`).
    convenience init(input: UnsafePointer<Float>, height: Int, width: Int, channels: Int,
                     padLeft: Int, paddedWidth: Int, channelStride: Int, slots: Int) {
        self.init(parts: [Part(input: input, channels: channels)], height: height, width: width,
                  padLeft: padLeft, paddedWidth: paddedWidth, channelStride: channelStride, slots: slots)
    }

    /// As `init(input:...)` for an input made of `parts`, its channels the sum of theirs.
    init(parts: [Part], height: Int, width: Int, padLeft: Int, paddedWidth: Int, channelStride: Int, slots: Int,
         bfloat16: Bool = false) {
        let channels = parts.reduce(0) { $0 + $1.channels }
        precondition(!parts.isEmpty && padLeft >= 0 && paddedWidth > 0 && channelStride >= channels && slots > 0)
        self.parts = parts
        self.height = height; self.width = width; self.channels = channels
        self.padLeft = padLeft
        self.paddedWidth = paddedWidth
        self.channelStride = channelStride
        self.slots = slots
        let rowFloats = paddedWidth * channelStride
        held = UnsafeMutablePointer<Int>.allocate(capacity: slots)
        held.initialize(repeating: -1, count: slots)
        if bfloat16 {
            let bfloat16Storage = UnsafeMutableRawPointer.allocate(byteCount: slots * rowFloats * 2, alignment: 64)
                .bindMemory(to: UInt16.self, capacity: slots * rowFloats)
            bfloat16Storage.initialize(repeating: 0, count: slots * rowFloats)
            self.bfloat16Storage = bfloat16Storage
            let bfloat16Held = UnsafeMutablePointer<Int>.allocate(capacity: slots)
            bfloat16Held.initialize(repeating: -1, count: slots)
            self.bfloat16Held = bfloat16Held
        } else {
            bfloat16Storage = nil
            bfloat16Held = nil
        }
    }

    deinit {
        storage?.deallocate()
        held.deallocate()
        bfloat16Storage?.deallocate()
        bfloat16Held?.deallocate()
    }

    /// `row(image:y:)` rounded to bfloat16 (to nearest even), laid out alike. Only for an instance
    /// made with `bfloat16`.
    func bfloat16Row(image: Int, y: Int) -> UnsafePointer<UInt16> {
        let index = image * height + y
        let slot = y % slots
        let rowFloats = paddedWidth * channelStride
        let destination = bfloat16Storage! + slot * rowFloats
        if bfloat16Held![slot] != index {
            bfloat16Held![slot] = index
            let columns = min(width, paddedWidth - padLeft)
            if parts.count == 1 && channelStride == channels && parts[0].through == nil {
                // Straight from the input: the padding stays the zeros it was made with.
                if columns > 0 {
                    BFloat16.convert(parts[0].input + index * width * channels, destination + padLeft * channels,
                                     count: columns * channels)
                }
            } else {
                BFloat16.convert(row(image: image, y: y), destination, count: rowFloats)
            }
        }
        return UnsafePointer(destination)
    }

    /// Padded row `y` (0 ..< height) of image `image`: pixel `c` starts at `c * channelStride`.
    func row(image: Int, y: Int) -> UnsafePointer<Float> {
        let index = image * height + y
        let slot = y % slots
        let rowFloats = paddedWidth * channelStride
        let storage = self.storage ?? {
            let made = UnsafeMutableRawPointer.allocate(byteCount: slots * rowFloats * 4, alignment: 64)
                .bindMemory(to: Float.self, capacity: slots * rowFloats)
            made.initialize(repeating: 0, count: slots * rowFloats)
            self.storage = made
            return made
        }()
        let destination = storage + slot * rowFloats
        if held[slot] != index {
            held[slot] = index
            // Input columns that land inside the padded row; everything else stays 0.
            let columns = min(width, paddedWidth - padLeft)
            guard columns > 0 else { return UnsafePointer(destination) }
            if parts.count == 1 && channelStride == channels && parts[0].through == nil {
                (destination + padLeft * channels).update(from: parts[0].input + index * width * channels,
                                                          count: columns * channels)
            } else {
                var channel = 0
                for part in parts {
                    let target = destination + padLeft * channelStride + channel
                    if let producer = part.through {
                        producer.write(row: index, from: part.input, to: target, pixelStride: channelStride, columns: columns)
                    } else if part.channels == 1 {
                        let source = part.input + index * width
                        for x in 0..<columns { target[x * channelStride] = source[x] }
                    } else {
                        let source = part.input + index * width * part.channels
                        for x in 0..<columns {
                            Vector16.copy(source + x * part.channels, target + x * channelStride, count: part.channels)
                        }
                    }
                    channel += part.channels
                }
            }
        }
        return UnsafePointer(destination)
    }
}
