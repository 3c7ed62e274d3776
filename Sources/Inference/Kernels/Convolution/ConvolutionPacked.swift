/// A 2-D convolution with its weights repacked once, when the execution plan is built, for the
/// fastest inner loop its geometry allows. `run` keeps no state between calls and writes only its
/// output, so one instance serves concurrent callers.
///
/// Input and output are NHWC float32, weights OHWI (see `ConvolutionGeometry`). The strategy is
/// chosen from the geometry:
/// - *pointwise* (1x1, stride 1, no padding, one group): a GEMM `[pixels x inputChannels] x
///   [inputChannels x outputChannels]` over the flattened pixels, reading the input in place;
/// - *depthwise* (`groups == inputChannels == outputChannels`): vectorised over channels, 16 at a
///   time, in tiles of 8 pixels that slide along the row for 3- and 5-wide kernels at stride 1;
/// - *general* (any other kernel size, stride, dilation, padding or grouping): implicit GEMM, each
///   output row summed straight from the few input rows it reads, held with their zero padding in
///   a small ring (`ConvolutionRows`); no im2col buffer.
/// Pointwise and general sums run in register tiles (`ConvolutionTiles`) of 12 pixels x 16
/// channels or 8 pixels x 32 channels against weights packed `[kernelRow][kernelColumn][input][tileWidth]`,
/// zero-padded past the last output channel; layers with very few output channels and long
/// input runs (a 64 -> 1 side output) use 8 pixels x 1 channel tiles vectorised along the input.
/// Bias, activation and an optional residual (`output = activation(sum + bias) + residual`) are
/// applied as each tile is stored. With `Precision.bf16` (on a CPU that has AVX512_BF16), pointwise
/// and general layers that fill 16- or 32-channel tiles and whose kernel-row runs hold an even number
/// of inputs keep their weights as bfloat16 instead and multiply in bfloat16, summing in float32
/// (`ConvolutionBFloat16`); the tiles, the blocks and what is done with the sums are the same.
/// The general strategy can also read an input that is never
/// stored whole: channel parts to concatenate, each possibly computed row by row by a resize or a
/// pooling (`run(parts:...)`, `ConvolutionRows`); the execution plan uses this to drop U-2-Net's
/// Concat, Resize, MaxPool and Add steps.
public final class PackedConvolution: Sendable {
    public let geometry: ConvolutionGeometry
    public let activation: Activation
    let strategy: Strategy
    /// The output channel blocks of the pointwise and general strategies, in output order.
    let blocks: [ColumnBlock]
    /// Pointwise and general: each block's weights at its `weightOffset`. Depthwise:
    /// `[channels / 16 rounded up][kernelHeight][kernelWidth][16]`.
    let packedWeights: [Float]
    /// Pointwise and general in bfloat16: each block's weights at its `weightOffset`, rounded to
    /// bfloat16, `[kernelRow][kernelColumn][input / 2][tileWidth][2]`: two consecutive inputs of a
    /// column side by side, as `vdpbf16ps` multiplies them. `packedWeights` is then empty; this is
    /// empty otherwise.
    let bfloat16Weights: [UInt16]
    /// Pointwise and general: each block's biases at its `biasOffset`, one per tile column.
    /// Depthwise: one per channel, padded to a multiple of 16. Zeros when the layer has no bias.
    let packedBias: [Float]

    enum Strategy: Sendable, Equatable {
        case pointwise, depthwise, general
    }

    /// Output channels computed by one tile shape, all within one group.
    struct ColumnBlock: Sendable {
        var shape: TileShape
        /// First input channel of the block's group.
        var inputChannel: Int
        /// First output channel the block writes.
        var outputChannel: Int
        /// Output channels it writes, at most `shape.width`.
        var channels: Int
        var weightOffset: Int
        var biasOffset: Int
    }

    enum TileShape: Sendable {
        case pixels12x16, pixels8x32, pixels8x1

        var pixels: Int {
            switch self {
            case .pixels12x16: 12
            case .pixels8x32: 8
            case .pixels8x1: 8
            }
        }

        var width: Int {
            switch self {
            case .pixels12x16: 16
            case .pixels8x32: 32
            case .pixels8x1: 1
            }
        }

        @inline(__always)
        func run(_ source: ConvolutionTiles.Source, weights: UnsafePointer<Float>, _ target: ConvolutionTiles.Target) {
            switch self {
            case .pixels12x16: ConvolutionTiles.tile12x16(source, weights: weights, target)
            case .pixels8x32: ConvolutionTiles.tile8x32(source, weights: weights, target)
            case .pixels8x1: ConvolutionTiles.tile8x1(source, weights: weights, target)
            }
        }
    }

    /// - Parameters:
    ///   - weights: OHWI `[outputChannels, kernelHeight, kernelWidth, inputChannels / groups]`.
    ///   - bias: `[outputChannels]`, or nil for none.
    ///   - precision: `bf16` multiplies in bfloat16 where the layer and the CPU allow it (see the type).
    public init(weights: [Float], bias: [Float]?, geometry: ConvolutionGeometry, activation: Activation,
                precision: Precision = .fp32) {
        geometry.validate()
        precondition(weights.count == geometry.weightCount,
                     "convolution weights hold \(weights.count) floats, the geometry needs \(geometry.weightCount)")
        precondition(bias.map { $0.count == geometry.outputChannels } ?? true,
                     "convolution bias holds \(bias?.count ?? 0) floats, the geometry needs \(geometry.outputChannels)")
        self.geometry = geometry
        self.activation = activation
        let g = geometry
        if g.groups > 1 && g.groups == g.inputChannels && g.groups == g.outputChannels {
            strategy = .depthwise
            blocks = []
            bfloat16Weights = []
            let vectors = (g.outputChannels + 15) / 16
            let taps = g.kernelHeight * g.kernelWidth
            var packed = [Float](repeating: 0, count: vectors * taps * 16)
            for channel in 0..<g.outputChannels {
                for tap in 0..<taps {
                    packed[((channel / 16) * taps + tap) * 16 + channel % 16] = weights[channel * taps + tap]
                }
            }
            packedWeights = packed
            var paddedBias = [Float](repeating: 0, count: vectors * 16)
            if let bias { paddedBias.replaceSubrange(0..<bias.count, with: bias) }
            packedBias = paddedBias
            return
        }

        let pointwise = g.kernelHeight == 1 && g.kernelWidth == 1 && g.strideHeight == 1 && g.strideWidth == 1
            && g.padTop == 0 && g.padLeft == 0 && g.outputHeight == g.inputHeight && g.outputWidth == g.inputWidth
            && g.groups == 1
        strategy = pointwise ? .pointwise : .general
        let inputsPerGroup = g.inputChannelsPerGroup
        let outputsPerGroup = g.outputChannelsPerGroup
        let reduction = g.kernelHeight * g.kernelWidth * inputsPerGroup
        // Few output channels and long contiguous input runs: a 16-channel tile would waste most of
        // its lanes, while the 8x1 tile, summing along the input, pays one horizontal sum per
        // output, cheap only against a long sum (64 -> 1 3x3 on Zen 4: 30 against 6 GFLOP/s).
        let narrow = outputsPerGroup <= 8 && PackedConvolution.segments(g).length >= 16
            && reduction >= 32 * outputsPerGroup

        // The blocks first, then the packed arrays at their exact sizes: grown block by block they
        // were copied at each growth and kept up to twice the capacity they need for the plan's
        // lifetime.
        var blocks: [ColumnBlock] = []
        var weightCount = 0, biasCount = 0
        for group in 0..<g.groups {
            var column = 0
            while column < outputsPerGroup {
                let remaining = outputsPerGroup - column
                let shape: TileShape = narrow ? .pixels8x1 : remaining > 16 ? .pixels8x32 : .pixels12x16
                let block = ColumnBlock(shape: shape, inputChannel: group * inputsPerGroup,
                                        outputChannel: group * outputsPerGroup + column,
                                        channels: min(shape.width, remaining),
                                        weightOffset: weightCount, biasOffset: biasCount)
                blocks.append(block)
                weightCount += reduction * shape.width
                biasCount += shape.width
                column += block.channels
            }
        }
        // bfloat16 pairs two consecutive inputs of a run: every run must hold whole pairs.
        let bfloat16 = precision.effective == .bf16 && !narrow && PackedConvolution.segments(g).length % 2 == 0
        var packed = [Float](repeating: 0, count: bfloat16 ? 0 : weightCount)
        var packed16 = [UInt16](repeating: 0, count: bfloat16 ? weightCount : 0)
        var packedBias = [Float](repeating: 0, count: biasCount)
        // Column by column, through pointers: each output channel's weights are one run of the OHWI
        // array, scattered into its tile column (U-2-Net-p's 1.1 M weights are packed as it loads,
        // while the first photo waits). bfloat16 runs are rounded first by the vector conversion, the
        // twin of `BFloat16.round` (a bfloat16 plan runs only where the CPU has it).
        let rounded = UnsafeMutablePointer<UInt16>.allocate(capacity: bfloat16 ? reduction : 0)
        defer { rounded.deallocate() }
        weights.withUnsafeBufferPointer { source in
            packed.withUnsafeMutableBufferPointer { packed in
                packed16.withUnsafeMutableBufferPointer { packed16 in
                    for block in blocks {
                        let width = block.shape.width
                        for j in 0..<block.channels {
                            let output = block.outputChannel + j
                            let run = source.baseAddress! + output * reduction
                            if bfloat16 {
                                // `[k / 2][width][2]`: pair `k / 2` of column `j`, element `k % 2`.
                                let column = packed16.baseAddress! + block.weightOffset + 2 * j
                                BFloat16.convert(run, rounded, count: reduction)
                                for k in 0..<reduction { column[(k >> 1) * 2 * width + (k & 1)] = rounded[k] }
                            } else {
                                let column = packed.baseAddress! + block.weightOffset + j
                                for k in 0..<reduction { column[k * width] = run[k] }
                            }
                            packedBias[block.biasOffset + j] = bias?[output] ?? 0
                        }
                    }
                }
            }
        }
        self.blocks = blocks
        packedWeights = packed
        bfloat16Weights = packed16
        self.packedBias = packedBias
    }

    /// Whether this convolution multiplies in bfloat16 (see the type).
    public var usesBFloat16: Bool { !bfloat16Weights.isEmpty }

    /// Values of the packed weights and biases (float32 or bfloat16), zero padding included: what this
    /// convolution keeps of its constants.
    public var packedCount: Int { packedWeights.count + bfloat16Weights.count + packedBias.count }

    /// How one kernel row of the general strategy splits into runs of consecutive input floats:
    /// all kernel columns at once when they touch (dilation 1, one group), else one run per column.
    static func segments(_ g: ConvolutionGeometry) -> (count: Int, length: Int, stride: Int) {
        if g.kernelWidth == 1 || (g.dilationWidth == 1 && g.groups == 1) {
            return (1, g.kernelWidth * g.inputChannelsPerGroup, 0)
        }
        return (g.kernelWidth, g.inputChannelsPerGroup, g.dilationWidth * g.inputChannels)
    }

    /// Computes the convolution.
    /// - Parameters:
    ///   - input: `geometry.inputCount` floats, NHWC.
    ///   - output: `geometry.outputCount` floats, NHWC; must not overlap `input`.
    ///   - threads: cores to use at most (work is split by output rows, or pixel ranges when
    ///     pointwise; small layers use fewer).
    public func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, threads: Int) {
        // 100 k multiply-adds take a few microseconds, against about one to hand work to the
        // `HelperThread`: the selfie network on two cores took 1.74 ms at 1 M a thread, 1.37 at 250 k,
        // 1.31 at 100 k (bf16, Zen 4, medians of 300 runs).
        run(input: input, output: output, threads: threads, multiplyAddsPerThread: 100_000)
    }

    /// Computes the convolution of the concatenation of `parts` along channels without forming it,
    /// optionally adding a residual:
    /// - Parameters:
    ///   - parts: NHWC `[batch, inputHeight, inputWidth, channels]` each, their channels summing to
    ///     `geometry.inputChannels`, in order; more than one only for an ungrouped convolution.
    ///   - residual: nil, or `geometry.outputCount` floats laid out as the output, added to it
    ///     after the activation (`output = activation(convolution) + residual`); not for a
    ///     depthwise convolution.
    /// Results are those of `run(input:output:threads:)` on the concatenated input (plus the
    /// residual), bit for bit.
    public func run(concatenating parts: [(input: UnsafePointer<Float>, channels: Int)], residual: UnsafePointer<Float>?,
                    output: UnsafeMutablePointer<Float>, threads: Int) {
        run(parts: parts.map { ConvolutionRows.Part(input: $0.input, channels: $0.channels) }, residual: residual,
            output: output, threads: threads, multiplyAddsPerThread: 100_000)
    }

    /// `run(concatenating:residual:...)` with parts that may be resizes or poolings of other tensors
    /// (`ConvolutionRows.Part.through`), computed as the rows are buffered.
    func run(parts: [ConvolutionRows.Part], residual: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
             threads: Int) {
        run(parts: parts, residual: residual, output: output, threads: threads, multiplyAddsPerThread: 100_000)
    }

    /// `run`, giving each thread at least `multiplyAddsPerThread` of work.
    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, threads: Int,
             multiplyAddsPerThread: Int) {
        run(parts: [ConvolutionRows.Part(input: input, channels: geometry.inputChannels)], residual: nil,
            output: output, threads: threads, multiplyAddsPerThread: multiplyAddsPerThread)
    }

    /// `run(concatenating:residual:...)`, each thread given at least `multiplyAddsPerThread` of
    /// work. An input in several parts is gathered row by row by `ConvolutionRows`, so a pointwise
    /// layer then takes the general path (same packing, same sums).
    func run(parts: [ConvolutionRows.Part], residual: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
             threads: Int, multiplyAddsPerThread: Int) {
        precondition(parts.reduce(0) { $0 + $1.channels } == geometry.inputChannels,
                     "input parts hold \(parts.map(\.channels)) channels, the geometry needs \(geometry.inputChannels)")
        precondition(parts.count == 1 || strategy != .depthwise, "a depthwise convolution reads one input")
        precondition(residual == nil || strategy != .depthwise, "a depthwise convolution adds no residual")
        let workers = max(1, min(threads, geometry.multiplyAdds / max(multiplyAddsPerThread, 1)))
        if usesBFloat16 {
            runBFloat16(parts: parts, residual: residual, output: output, threads: workers)
            return
        }
        packedWeights.withUnsafeBufferPointer { weights in
            packedBias.withUnsafeBufferPointer { bias in
                guard let weights = weights.baseAddress, let bias = bias.baseAddress else { return }
                switch strategy {
                case .pointwise where parts.count == 1 && parts[0].through == nil:
                    runPointwise(input: parts[0].input, residual: residual, output: output, weights: weights, bias: bias,
                                 threads: workers)
                case .pointwise, .general:
                    runGeneral(parts: parts, residual: residual, output: output, weights: weights, bias: bias,
                               threads: workers)
                case .depthwise:
                    runDepthwise(input: parts[0].input, output: output, weights: weights, bias: bias, threads: workers)
                }
            }
        }
    }
}
