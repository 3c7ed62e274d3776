// Times our inference of a model file on a fixed input: warm-up, then repeated runs of the
// execution plan alone (pre- and post-processing excluded), printing one JSON line per thread count:
// {"model", "runtime", "precision", "threads", "median_ms", "min_ms", "runs", "gflops", "peak_rss_mb", "samples_ms"}.
import ArgumentParser
import Foundation
import Inference

struct InferenceBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matte-benchmark",
        abstract: "Time our inference of a model file (the timing side of scripts/benchmark).",
        discussion: """
            Prints one JSON line per thread count: model, runtime, precision, threads, median_ms, min_ms, runs, \
            gflops, peak_rss_mb, samples_ms. --profile also prints, per thread count, the time of each \
            kind of operator (medians over runs); --layers the time of each step (median) with its \
            GFLOP/s, slowest first.
            """)

    @Argument(help: ArgumentHelp("A TFLite or ONNX model file.", valueName: "model-file"))
    var modelPath: String

    @Option(help: "Timed runs per thread count.")
    var runs = 50

    @Option(help: "Untimed runs before them.")
    var warmup = 5

    @Option(help: ArgumentHelp("Thread counts, comma-separated.", valueName: "list"))
    var threads = "1,2"

    @Option(help: ArgumentHelp("What the convolutions multiply in: fp32 or bf16 (default: $MATTE_PRECISION, else bf16; fp32 on a CPU without AVX512_BF16).",
                               valueName: "precision"))
    var precision: Precision?

    @Flag(help: "Also print the median time of each kind of operator.")
    var profile = false

    @Flag(help: "Also print every step with its median time and GFLOP/s, slowest first.")
    var layers = false

    /// `--threads` as numbers.
    var threadCounts: [Int] {
        threads.split(separator: ",").compactMap { Int($0) }
    }

    func validate() throws {
        guard runs > 0 else { throw ValidationError("--runs needs a positive number") }
        guard warmup >= 0 else { throw ValidationError("--warmup needs 0 or more") }
        let counts = threads.split(separator: ",", omittingEmptySubsequences: false)
        guard !counts.isEmpty, counts.allSatisfy({ Int($0).map { $0 > 0 } ?? false }) else {
            throw ValidationError("--threads needs a list of positive numbers like 1,2")
        }
    }

    /// The plan alone outlives this: the file's bytes and the graph are freed once it is built, as in
    /// `matte`, so the peak memory reported counts each weight once (see `ExecutionPlan`).
    static func loadPlan(_ path: String, precision: Precision) -> ExecutionPlan {
        guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
        do {
            return try ExecutionPlan(graph: ModelReader.read([UInt8](data), name: path), precision: precision)
        } catch {
            fail("\(path): \(error)")
        }
    }

    func run() throws {
        let plan = Self.loadPlan(modelPath, precision: precision ?? .preferred)

        // A deterministic input in [0, 1].
        var generator = UInt32(12345)
        let inputs = plan.inputShapes.map { shape in
            Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in
                generator = generator &* 1_664_525 &+ 1_013_904_223
                return Float(generator >> 8) / Float(1 << 24)
            })
        }

        let name = URL(fileURLWithPath: modelPath).lastPathComponent
        for threadCount in threadCounts {
            for _ in 0..<warmup { _ = try plan.run(inputs, threads: threadCount) }
            var times: [Double] = []
            let clock = ContinuousClock()
            for _ in 0..<runs {
                let start = clock.now
                _ = try plan.run(inputs, threads: threadCount)
                let elapsed = clock.now - start
                times.append(Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) * 1e-15)
            }
            if profile || layers {
                var totals: [String: [Double]] = [:]
                var steps = [[Double]](repeating: [], count: plan.stepDescriptions.count)
                for _ in 0..<runs {
                    var run: [String: Double] = [:]
                    var step = 0
                    _ = try plan.run(inputs, threads: threadCount) { kind, duration in
                        let milliseconds = Double(duration.components.attoseconds) * 1e-15 + Double(duration.components.seconds) * 1e3
                        run[kind, default: 0] += milliseconds
                        steps[step].append(milliseconds)
                        step += 1
                    }
                    for (kind, milliseconds) in run { totals[kind, default: []].append(milliseconds) }
                }
                func median(_ samples: [Double]) -> Double { samples.sorted()[samples.count / 2] }
                if profile {
                    for (kind, samples) in totals.sorted(by: { median($0.value) > median($1.value) }) {
                        print("  " + kind.padding(toLength: 24, withPad: " ", startingAt: 0) + String(format: " %8.2f ms", median(samples)))
                    }
                }
                if layers {
                    let rows = zip(plan.stepDescriptions, zip(steps.map(median), plan.stepMultiplyAdds))
                    for (description, (milliseconds, multiplyAdds)) in rows.sorted(by: { $0.1.0 > $1.1.0 }) {
                        let rate = multiplyAdds > 0 ? String(format: "%6.1f GFLOP/s", Double(multiplyAdds) * 2 / milliseconds / 1e6) : ""
                        print(String(format: "  %8.3f ms %@  ", milliseconds, rate) + description)
                    }
                }
            }
            times.sort()
            let median = times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
            let gflops = Double(plan.multiplyAdds) * 2 / (median * 1e-3) / 1e9
            let samples = times.map { String(format: "%.4f", $0) }.joined(separator: ", ")
            print(String(format: "{\"model\": \"%@\", \"runtime\": \"matte\", \"precision\": \"%@\", \"threads\": %d, \"median_ms\": %.3f, \"min_ms\": %.3f, \"runs\": %d, \"gflops\": %.1f, \"peak_rss_mb\": %.1f, ",
                         name, plan.precision.rawValue, threadCount, median, times[0], runs, gflops, peakResidentMegabytes()) + "\"samples_ms\": [\(samples)]}")
        }
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("matte-benchmark: \(message)\n".utf8))
    exit(1)
}

/// Peak resident memory of this process, from /proc/self/status (VmHWM), in MB.
func peakResidentMegabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kilobytes = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
        return kilobytes / 1024
    }
    return 0
}

extension Precision: ExpressibleByArgument {}

InferenceBenchmark.main()
