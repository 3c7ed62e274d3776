/// Register-blocked inner kernels shared by the convolution strategies of `PackedConvolution`.
///
/// A *tile* computes a few output pixels of one output row (or of the flattened pixel list of a
/// 1x1 convolution) times 16 or 32 output channels, keeping every sum in an AVX-512 register:
/// each step broadcasts one input value per pixel and multiplies it into one or two 16-lane weight
/// vectors (the outer-product formulation of a GEMM micro-kernel, with the input read where it
/// lies, not packed). Sums run over `rowCount` kernel rows, each made of `segmentCount` runs of
/// `segmentLength` consecutive input floats; the packed weights follow the same order. Pixels
/// missing from a partial tile recompute its last pixel and are not stored, so every output is
/// summed in the same order whatever tile it falls in (results do not depend on the thread count).
///
/// Measured on Zen 4 (AVX-512 on 256-bit units, one 16-lane FMA per cycle, ~117 GFLOP/s per core
/// at 3.65 GHz), the 12x16 and 8x32 tiles run at the FMA peak when their operands are in L1.
enum ConvolutionTiles {
    typealias Vector = SIMD16<Float>

    /// Where a tile reads its input.
    struct Source {
        /// One pointer per kernel row taking part, each to the start of an input row.
        var rows: UnsafePointer<UnsafePointer<Float>>
        var rowCount: Int
        /// Floats from a row's start to the first float the tile's first pixel reads.
        var offset: Int
        /// Floats between the inputs of two neighbouring output pixels of the tile.
        var pixelStride: Int
        var segmentCount: Int
        /// Floats between the starts of two segments of one kernel row.
        var segmentStride: Int
        var segmentLength: Int
    }

    /// Where a tile writes its results.
    struct Target {
        /// The tile's first pixel, first channel.
        var output: UnsafeMutablePointer<Float>
        /// Floats between two neighbouring output pixels (the output channel count).
        var pixelStride: Int
        /// Pixels to write, 1 up to the tile's height; missing pixels recompute the last one.
        var pixels: Int
        /// Channels to write, 1 up to the tile's width; the packing zero-fills the rest.
        var channels: Int
        /// One bias per tile column.
        var bias: UnsafePointer<Float>
        var activation: Activation
        /// Room for 16 vectors owned by the calling thread, where a tile leaves its sums for
        /// `finishTile`. (A closure capturing the accumulators would keep them in memory inside
        /// the tile loop, and the optimiser does not reliably inline per-pixel stores.)
        var sums: UnsafeMutablePointer<Vector>
        /// A tensor laid out as the output, added to it after the activation (a residual
        /// connection), or nil.
        var residual: UnsafePointer<Float>? = nil
    }

    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(pointer).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    static func store(_ vector: Vector, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: vector, as: Vector.self)
    }

    // Activations on every lane, as compare-and-select (the standard library's
    // `pointwiseMin`/`pointwiseMax` run lane by lane); the sigmoid is `Vector16.sigmoid`.

    @inline(__always)
    static func relu(_ x: Vector) -> Vector {
        x.replacing(with: 0, where: x .< 0)
    }

    @inline(__always)
    static func relu6(_ x: Vector) -> Vector {
        x.replacing(with: 0, where: x .< 0).replacing(with: 6, where: x .> 6)
    }

    /// `x * relu6(x + 3) / 6`, in the order `Activation.apply` computes it.
    @inline(__always)
    static func hardSwish(_ x: Vector) -> Vector {
        x * relu6(x + 3) / 6
    }

    /// Adds the biases, applies the activation, adds the residual if any and stores the sums a
    /// tile left in `target.sums`: pixel `p`'s channels 0 ..< 16 in `sums[p]`, and for 32-channel
    /// tiles channels 16 ..< 32 in `sums[8 + p]`.
    @inline(never)
    static func finishTile(_ target: Target) {
        // One switch per tile, not per vector.
        switch target.activation {
        case .identity: finishTile(target) { $0 }
        case .relu: finishTile(target) { relu($0) }
        case .relu6: finishTile(target) { relu6($0) }
        case .hardSwish: finishTile(target) { hardSwish($0) }
        case .sigmoid: finishTile(target) { Vector16.sigmoid($0) }
        }
    }

    @inline(__always)
    static func finishTile(_ target: Target, _ activate: (Vector) -> Vector) {
        let vectors = target.channels > 16 ? 2 : 1
        for pixel in 0..<target.pixels {
            for vector in 0..<vectors {
                var value = activate(target.sums[vector * 8 + pixel] + load(target.bias + vector * 16))
                let output = target.output + pixel * target.pixelStride + vector * 16
                let channels = target.channels - vector * 16
                if let residual = target.residual {
                    let start = residual + pixel * target.pixelStride + vector * 16
                    value += channels >= Vector.scalarCount ? load(start) : Vector16.load(start, count: channels)
                }
                if channels >= Vector.scalarCount {
                    store(value, output)
                } else {
                    for lane in 0..<channels { output[lane] = value[lane] }
                }
            }
        }
    }

    /// Sum of the 16 lanes as a fixed pairwise tree (the same order for every pixel).
    @inline(__always)
    static func horizontalSum(_ x: Vector) -> Float {
        let eight = x.lowHalf + x.highHalf
        let four = eight.lowHalf + eight.highHalf
        let two = four.lowHalf + four.highHalf
        return two[0] + two[1]
    }

    // MARK: 12 pixels x 16 channels

    /// 12 pixels x 16 channels. `weights`: `[row][segment][k][16]`.
    @inline(never)
    static func tile12x16(_ source: Source, weights: UnsafePointer<Float>, _ target: Target) {
        let last = target.pixels - 1
        let s = source.pixelStride
        let o1 = min(1, last) * s, o2 = min(2, last) * s, o3 = min(3, last) * s
        let o4 = min(4, last) * s, o5 = min(5, last) * s, o6 = min(6, last) * s, o7 = min(7, last) * s
        let o8 = min(8, last) * s, o9 = min(9, last) * s, o10 = min(10, last) * s, o11 = min(11, last) * s
        var c0 = Vector(), c1 = Vector(), c2 = Vector(), c3 = Vector(), c4 = Vector(), c5 = Vector()
        var c6 = Vector(), c7 = Vector(), c8 = Vector(), c9 = Vector(), c10 = Vector(), c11 = Vector()
        var w = weights
        for row in 0..<source.rowCount {
            var a = source.rows[row] + source.offset
            for _ in 0..<source.segmentCount {
                let a0 = a, a1 = a + o1, a2 = a + o2, a3 = a + o3, a4 = a + o4, a5 = a + o5
                let a6 = a + o6, a7 = a + o7, a8 = a + o8, a9 = a + o9, a10 = a + o10, a11 = a + o11
                for k in 0..<source.segmentLength {
                    let b = load(w)
                    w += 16
                    c0.addProduct(Vector(repeating: a0[k]), b)
                    c1.addProduct(Vector(repeating: a1[k]), b)
                    c2.addProduct(Vector(repeating: a2[k]), b)
                    c3.addProduct(Vector(repeating: a3[k]), b)
                    c4.addProduct(Vector(repeating: a4[k]), b)
                    c5.addProduct(Vector(repeating: a5[k]), b)
                    c6.addProduct(Vector(repeating: a6[k]), b)
                    c7.addProduct(Vector(repeating: a7[k]), b)
                    c8.addProduct(Vector(repeating: a8[k]), b)
                    c9.addProduct(Vector(repeating: a9[k]), b)
                    c10.addProduct(Vector(repeating: a10[k]), b)
                    c11.addProduct(Vector(repeating: a11[k]), b)
                }
                a += source.segmentStride
            }
        }
        let sums = target.sums
        sums[0] = c0; sums[1] = c1; sums[2] = c2; sums[3] = c3; sums[4] = c4; sums[5] = c5
        sums[6] = c6; sums[7] = c7; sums[8] = c8; sums[9] = c9; sums[10] = c10; sums[11] = c11
        finishTile(target)
    }

    // MARK: 8 pixels x 32 channels

    /// 8 pixels x 32 channels. `weights`: `[row][segment][k][32]`.
    @inline(never)
    static func tile8x32(_ source: Source, weights: UnsafePointer<Float>, _ target: Target) {
        let last = target.pixels - 1
        let s = source.pixelStride
        let o1 = min(1, last) * s, o2 = min(2, last) * s, o3 = min(3, last) * s
        let o4 = min(4, last) * s, o5 = min(5, last) * s, o6 = min(6, last) * s, o7 = min(7, last) * s
        var c0 = Vector(), c1 = Vector(), c2 = Vector(), c3 = Vector()
        var c4 = Vector(), c5 = Vector(), c6 = Vector(), c7 = Vector()
        var d0 = Vector(), d1 = Vector(), d2 = Vector(), d3 = Vector()
        var d4 = Vector(), d5 = Vector(), d6 = Vector(), d7 = Vector()
        var w = weights
        for row in 0..<source.rowCount {
            var a = source.rows[row] + source.offset
            for _ in 0..<source.segmentCount {
                let a0 = a, a1 = a + o1, a2 = a + o2, a3 = a + o3
                let a4 = a + o4, a5 = a + o5, a6 = a + o6, a7 = a + o7
                for k in 0..<source.segmentLength {
                    let b = load(w), e = load(w + 16)
                    w += 32
                    var x = Vector(repeating: a0[k]); c0.addProduct(x, b); d0.addProduct(x, e)
                    x = Vector(repeating: a1[k]); c1.addProduct(x, b); d1.addProduct(x, e)
                    x = Vector(repeating: a2[k]); c2.addProduct(x, b); d2.addProduct(x, e)
                    x = Vector(repeating: a3[k]); c3.addProduct(x, b); d3.addProduct(x, e)
                    x = Vector(repeating: a4[k]); c4.addProduct(x, b); d4.addProduct(x, e)
                    x = Vector(repeating: a5[k]); c5.addProduct(x, b); d5.addProduct(x, e)
                    x = Vector(repeating: a6[k]); c6.addProduct(x, b); d6.addProduct(x, e)
                    x = Vector(repeating: a7[k]); c7.addProduct(x, b); d7.addProduct(x, e)
                }
                a += source.segmentStride
            }
        }
        let sums = target.sums
        sums[0] = c0; sums[1] = c1; sums[2] = c2; sums[3] = c3; sums[4] = c4; sums[5] = c5; sums[6] = c6; sums[7] = c7
        sums[8] = d0; sums[9] = d1; sums[10] = d2; sums[11] = d3; sums[12] = d4; sums[13] = d5; sums[14] = d6
        sums[15] = d7
        finishTile(target)
    }

    // MARK: 8 pixels x 1 channel

    /// 8 pixels x 1 output channel, vectorised along the input segments instead of the channels:
    /// for layers with very few output channels and long input runs (a 64 -> 1 side output), where
    /// a 16-channel tile would waste most lanes. `weights`: `[row][segment][k]` (the OHWI order of
    /// one output channel). `target.channels` must be 1.
    @inline(never)
    static func tile8x1(_ source: Source, weights: UnsafePointer<Float>, _ target: Target) {
        let last = target.pixels - 1
        let s = source.pixelStride
        let o1 = min(1, last) * s, o2 = min(2, last) * s, o3 = min(3, last) * s
        let o4 = min(4, last) * s, o5 = min(5, last) * s, o6 = min(6, last) * s, o7 = min(7, last) * s
        let length = source.segmentLength
        let vectorLength = length & ~15
        var c0 = Vector(), c1 = Vector(), c2 = Vector(), c3 = Vector()
        var c4 = Vector(), c5 = Vector(), c6 = Vector(), c7 = Vector()
        // Segment tails (lengths not a multiple of 16), one lane per pixel.
        var tails = SIMD8<Float>()
        var w = weights
        for row in 0..<source.rowCount {
            var a = source.rows[row] + source.offset
            for _ in 0..<source.segmentCount {
                let a0 = a, a1 = a + o1, a2 = a + o2, a3 = a + o3, a4 = a + o4, a5 = a + o5, a6 = a + o6, a7 = a + o7
                var k = 0
                while k < vectorLength {
                    let b = load(w + k)
                    c0.addProduct(load(a0 + k), b)
                    c1.addProduct(load(a1 + k), b)
                    c2.addProduct(load(a2 + k), b)
                    c3.addProduct(load(a3 + k), b)
                    c4.addProduct(load(a4 + k), b)
                    c5.addProduct(load(a5 + k), b)
                    c6.addProduct(load(a6 + k), b)
                    c7.addProduct(load(a7 + k), b)
                    k += 16
                }
                while k < length {
                    let inputs = SIMD8<Float>(a0[k], a1[k], a2[k], a3[k], a4[k], a5[k], a6[k], a7[k])
                    tails.addProduct(inputs, SIMD8<Float>(repeating: w[k]))
                    k += 1
                }
                w += length
                a += source.segmentStride
            }
        }
        let sums = SIMD8<Float>(horizontalSum(c0), horizontalSum(c1), horizontalSum(c2), horizontalSum(c3),
                                horizontalSum(c4), horizontalSum(c5), horizontalSum(c6), horizontalSum(c7))
            + tails + SIMD8<Float>(repeating: target.bias[0])
        for pixel in 0..<target.pixels {
            var value = target.activation.apply(sums[pixel])
            if let residual = target.residual { value += residual[pixel * target.pixelStride] }
            target.output[pixel * target.pixelStride] = value
        }
    }
}
