import Foundation
import Testing
import Inference

/// Speed of `PackedConvolution` on layers of the target models. Not a timed test: it only prints.
/// Run by hand, on an otherwise idle machine:
///
///     MATTE_BENCHMARK=1 swift test -c release --filter ConvolutionBenchmark
///
/// Prints the median wall time of several runs and GFLOP/s (2 flops per multiply-add) for 1 and
/// 2 threads. On a busy machine wall time says little, so it also prints the rate per unit of CPU
/// time, which ignores time spent descheduled (median, best): for 1 thread the thread's own CPU
/// time, for 2 threads the CPU time of the whole process, so that on idle cores a layer split
/// evenly in two would run at twice that rate. The suite runs its tests one at a time.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["MATTE_BENCHMARK"] != nil), .serialized)
struct ConvolutionBenchmarkTests {
    struct Layer: Sendable {
        var name: String
        var geometry: ConvolutionGeometry
        var activation: Activation = .relu
    }

    static func pads(_ size: Int, _ channels: (Int, Int), dilation: Int = 1) -> ConvolutionGeometry {
        ConvolutionGeometry(inputHeight: size, inputWidth: size, inputChannels: channels.0, outputChannels: channels.1,
                            kernelHeight: 3, kernelWidth: 3, dilations: (dilation, dilation),
                            padding: .explicit(top: dilation, left: dilation, bottom: dilation, right: dilation))
    }

    static let allLayers: [Layer] = [
        Layer(name: "3x3 64->16 320x320", geometry: pads(320, (64, 16))),
        Layer(name: "3x3 16->16 160x160 dilation 2", geometry: pads(160, (16, 16), dilation: 2)),
        Layer(name: "3x3 3->64 320x320", geometry: pads(320, (3, 64))),
        Layer(name: "1x1 128->128 64x64", geometry: ConvolutionGeometry(
            inputHeight: 64, inputWidth: 64, inputChannels: 128, outputChannels: 128,
            kernelHeight: 1, kernelWidth: 1, padding: .same)),
        Layer(name: "depthwise 3x3 128x128x16", geometry: ConvolutionGeometry(
            inputHeight: 128, inputWidth: 128, inputChannels: 16, outputChannels: 16,
            kernelHeight: 3, kernelWidth: 3, padding: .same, groups: 16)),
        Layer(name: "depthwise 5x5 64x64x32", geometry: ConvolutionGeometry(
            inputHeight: 64, inputWidth: 64, inputChannels: 32, outputChannels: 32,
            kernelHeight: 5, kernelWidth: 5, padding: .same, groups: 32)),
        Layer(name: "depthwise 5x5 s2 64x64x32", geometry: ConvolutionGeometry(
            inputHeight: 64, inputWidth: 64, inputChannels: 32, outputChannels: 32,
            kernelHeight: 5, kernelWidth: 5, strides: (2, 2), padding: .same, groups: 32)),
        Layer(name: "3x3 32->64 320x320", geometry: pads(320, (32, 64))),
        Layer(name: "3x3 128->64 320x320", geometry: pads(320, (128, 64))),
        Layer(name: "3x3 32->16 20x20 dilation 4", geometry: pads(20, (32, 16), dilation: 4)),
        Layer(name: "3x3 16->16 320x320", geometry: pads(320, (16, 16))),
        Layer(name: "3x3 64->1 320x320", geometry: pads(320, (64, 1)), activation: .identity),
        Layer(name: "3x3 64->1 80x80", geometry: pads(80, (64, 1)), activation: .identity),
        Layer(name: "3x3 s2 3->16 256x256 SAME", geometry: ConvolutionGeometry(
            inputHeight: 256, inputWidth: 256, inputChannels: 3, outputChannels: 16,
            kernelHeight: 3, kernelWidth: 3, strides: (2, 2), padding: .same), activation: .hardSwish),
    ]

    /// `MATTE_BENCHMARK_LAYER=depthwise` keeps the layers whose name contains that text.
    static var layers: [Layer] {
        guard let filter = ProcessInfo.processInfo.environment["MATTE_BENCHMARK_LAYER"] else { return allLayers }
        return allLayers.filter { $0.name.contains(filter) }
    }

    static func threadSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    static func processSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    static func wallSeconds() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds) * 1e-9
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }

    @Test func layersOfTheTargetModels() {
        var report = ["layer | threads | median ms | GFLOP/s (median wall) | GFLOP/s per CPU second (median, best)"]
        for layer in Self.layers {
            let g = layer.geometry
            var values = SeededValues(seed: 1)
            let input = values.array(g.inputCount)
            let convolution = PackedConvolution(weights: values.array(g.weightCount), bias: values.array(g.outputChannels),
                                                geometry: g, activation: layer.activation)
            var output = [Float](repeating: 0, count: g.outputCount)
            let flops = 2 * Double(g.multiplyAdds)
            // About a second per thread count, at least 7 runs.
            let runs = max(7, min(200, Int(2e11 / flops)))
            input.withUnsafeBufferPointer { input in
                output.withUnsafeMutableBufferPointer { output in
                    for threads in [1, 2] {
                        var wall: [Double] = [], cpu: [Double] = []
                        let cpuSeconds = threads == 1 ? Self.threadSeconds : Self.processSeconds
                        for run in 0...runs {
                            let wallStart = Self.wallSeconds(), cpuStart = cpuSeconds()
                            convolution.run(input: input.baseAddress!, output: output.baseAddress!, threads: threads)
                            let cpuEnd = cpuSeconds(), wallEnd = Self.wallSeconds()
                            if run > 0 {  // The first run warms caches and pages.
                                wall.append(wallEnd - wallStart)
                                cpu.append(cpuEnd - cpuStart)
                            }
                        }
                        let wallMedian = Self.median(wall)
                        let cpuColumn = String(format: "%.1f, %.1f", flops / Self.median(cpu) / 1e9, flops / cpu.min()! / 1e9)
                        report.append(String(format: "%@ | %d | %.3f | %.1f | %@", layer.name, threads,
                                             wallMedian * 1e3, flops / wallMedian / 1e9, cpuColumn))
                    }
                }
            }
        }
        print(report.joined(separator: "\n"))
    }

    /// The 119 convolutions of U-2-Net-p at 320x320 (Qin et al. 2020, "U2-Net: Going deeper with
    /// nested U-structure for salient object detection", the small `U2NETP` configuration):
    /// residual U-blocks RSU-7 ... RSU-4 and RSU-4F, all 3x3 with pads = dilation, then six 64 -> 1
    /// side outputs and a 1x1 6 -> 1 fusion. Max pools use ceil mode, so 10 -> 5 -> 3 -> 2 -> 1.
    static func u2netpConvolutions() -> [ConvolutionGeometry] {
        var layers: [ConvolutionGeometry] = []
        func convolution(_ size: Int, _ input: Int, _ output: Int, dilation: Int = 1) {
            layers.append(pads(size, (input, output), dilation: dilation))
        }
        func halve(_ size: Int) -> Int { (size + 1) / 2 }
        /// RSU-L: `height` levels of encoder, a dilated bottom, and a decoder back up.
        func residualU(_ height: Int, _ size: Int, _ input: Int, _ middle: Int, _ output: Int) {
            convolution(size, input, output)
            convolution(size, output, middle)
            var sizes = [size]
            for _ in 2..<height {
                sizes.append(halve(sizes[sizes.count - 1]))
                convolution(sizes[sizes.count - 1], middle, middle)
            }
            convolution(sizes[sizes.count - 1], middle, middle, dilation: 2)
            for level in stride(from: sizes.count - 1, through: 1, by: -1) {
                convolution(sizes[level], 2 * middle, middle)
            }
            convolution(size, 2 * middle, output)
        }
        /// RSU-4F: no pooling, dilations 1, 2, 4, 8 instead.
        func residualUDilated(_ size: Int, _ input: Int, _ middle: Int, _ output: Int) {
            convolution(size, input, output)
            convolution(size, output, middle)
            convolution(size, middle, middle, dilation: 2)
            convolution(size, middle, middle, dilation: 4)
            convolution(size, middle, middle, dilation: 8)
            convolution(size, 2 * middle, middle, dilation: 4)
            convolution(size, 2 * middle, middle, dilation: 2)
            convolution(size, 2 * middle, output)
        }
        residualU(7, 320, 3, 16, 64)
        residualU(6, 160, 64, 16, 64)
        residualU(5, 80, 64, 16, 64)
        residualU(4, 40, 64, 16, 64)
        residualUDilated(20, 64, 16, 64)
        residualUDilated(10, 64, 16, 64)
        residualUDilated(20, 128, 16, 64)
        residualU(4, 40, 128, 16, 64)
        residualU(5, 80, 128, 16, 64)
        residualU(6, 160, 128, 16, 64)
        residualU(7, 320, 128, 16, 64)
        for size in [320, 160, 80, 40, 20, 10] { convolution(size, 64, 1) }
        layers.append(ConvolutionGeometry(inputHeight: 320, inputWidth: 320, inputChannels: 6, outputChannels: 1,
                                          kernelHeight: 1, kernelWidth: 1, padding: .valid))
        return layers
    }

    /// Every convolution of U-2-Net-p in turn, each with fresh buffers as a network would use
    /// them: the total is the network's convolution time, the rest of its operators excluded.
    @Test func u2netp() {
        let layers = Self.u2netpConvolutions()
        let multiplyAdds = layers.reduce(0) { $0 + $1.multiplyAdds }
        var values = SeededValues(seed: 3)
        let convolutions = layers.map {
            PackedConvolution(weights: values.array($0.weightCount), bias: values.array($0.outputChannels),
                              geometry: $0, activation: .relu)
        }
        let inputs = layers.map { values.array($0.inputCount) }
        var outputs = layers.map { [Float](repeating: 0, count: $0.outputCount) }
        var report = ["U-2-Net-p: \(layers.count) convolutions, \(multiplyAdds) multiply-adds"]
        // MATTE_BENCHMARK_DETAIL=1 also prints each layer's 1-thread CPU time.
        let detail = ProcessInfo.processInfo.environment["MATTE_BENCHMARK_DETAIL"] != nil
        for threads in [1, 2] {
            var wall: [Double] = [], cpu: [Double] = []
            let cpuSeconds = threads == 1 ? Self.threadSeconds : Self.processSeconds
            for run in 0...5 {
                var wallTotal = 0.0, cpuTotal = 0.0
                for index in layers.indices {
                    inputs[index].withUnsafeBufferPointer { input in
                        outputs[index].withUnsafeMutableBufferPointer { output in
                            let wallStart = Self.wallSeconds(), cpuStart = cpuSeconds()
                            convolutions[index].run(input: input.baseAddress!, output: output.baseAddress!, threads: threads)
                            let elapsed = cpuSeconds() - cpuStart
                            cpuTotal += elapsed
                            if run == 1 && threads == 1 && detail {
                                let g = layers[index]
                                print(String(format: "%3d %4d %3d->%3d d%d %8.3f ms %6.1f GFLOP/s", index, g.inputHeight,
                                             g.inputChannels, g.outputChannels, g.dilationHeight, elapsed * 1e3,
                                             2 * Double(g.multiplyAdds) / elapsed / 1e9))
                            }
                            wallTotal += Self.wallSeconds() - wallStart
                        }
                    }
                }
                if run > 0 { wall.append(wallTotal); cpu.append(cpuTotal) }
            }
            let flops = 2 * Double(multiplyAdds)
            report.append(String(format: "%d thread(s): median %.1f ms wall (%.1f GFLOP/s), %.1f ms of CPU time (%.1f GFLOP/s per CPU second)",
                                 threads, Self.median(wall) * 1e3, flops / Self.median(wall) / 1e9,
                                 Self.median(cpu) * 1e3, flops / Self.median(cpu) / 1e9))
        }
        print(report.joined(separator: "\n"))
    }
}
