// Times our inference of a model file on a fixed input: warm-up, then repeated runs of the
// execution plan alone (pre- and post-processing excluded), printing one JSON line per thread count:
// {"model", "runtime", "threads", "median_ms", "min_ms", "runs", "gflops", "peak_rss_mb", "samples_ms"}.
//
// Usage: matte-benchmark MODEL_FILE [--runs N] [--threads 1,2] [--warmup N] [--profile] [--layers]
// --profile also prints, per thread count, the time of each kind of operator (medians over runs);
// --layers the time of each step (median) with its GFLOP/s, slowest first.
import Foundation
import Inference

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("matte-benchmark: \(message)\n".utf8))
    exit(1)
}

var arguments = Array(CommandLine.arguments.dropFirst())
var runs = 50
var warmup = 5
var threadCounts = [1, 2]
var modelPath: String?
var profiling = false
var layers = false
while !arguments.isEmpty {
    let argument = arguments.removeFirst()
    switch argument {
    case "--runs":
        guard let value = arguments.first.flatMap(Int.init), value > 0 else { fail("--runs needs a positive number") }
        runs = value
        arguments.removeFirst()
    case "--warmup":
        guard let value = arguments.first.flatMap(Int.init), value >= 0 else { fail("--warmup needs a number") }
        warmup = value
        arguments.removeFirst()
    case "--profile":
        profiling = true
    case "--layers":
        layers = true
    case "--threads":
        guard let value = arguments.first else { fail("--threads needs a list like 1,2") }
        threadCounts = value.split(separator: ",").compactMap { Int($0) }
        arguments.removeFirst()
    default:
        modelPath = argument
    }
}
guard let modelPath else { fail("usage: matte-benchmark MODEL_FILE [--runs N] [--threads 1,2]") }

/// The plan alone outlives this: the file's bytes and the graph are freed once it is built, as in
/// `matte`, so the peak memory reported below counts each weight once (see `ExecutionPlan`).
func loadPlan(_ path: String) -> ExecutionPlan {
    guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
    do {
        return try ExecutionPlan(graph: ModelReader.read([UInt8](data), name: path))
    } catch {
        fail("\(path): \(error)")
    }
}
let plan = loadPlan(modelPath)

// A deterministic input in [0, 1].
var generator = UInt32(12345)
let inputs = plan.inputShapes.map { shape in
    Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in
        generator = generator &* 1_664_525 &+ 1_013_904_223
        return Float(generator >> 8) / Float(1 << 24)
    })
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

let name = URL(fileURLWithPath: modelPath).lastPathComponent
for threads in threadCounts {
    for _ in 0..<warmup { _ = try plan.run(inputs, threads: threads) }
    var times: [Double] = []
    let clock = ContinuousClock()
    for _ in 0..<runs {
        let start = clock.now
        _ = try plan.run(inputs, threads: threads)
        let elapsed = clock.now - start
        times.append(Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) * 1e-15)
    }
    if profiling || layers {
        var totals: [String: [Double]] = [:]
        var steps = [[Double]](repeating: [], count: plan.stepDescriptions.count)
        for _ in 0..<runs {
            var run: [String: Double] = [:]
            var step = 0
            _ = try plan.run(inputs, threads: threads) { kind, duration in
                let milliseconds = Double(duration.components.attoseconds) * 1e-15 + Double(duration.components.seconds) * 1e3
                run[kind, default: 0] += milliseconds
                steps[step].append(milliseconds)
                step += 1
            }
            for (kind, milliseconds) in run { totals[kind, default: []].append(milliseconds) }
        }
        func median(_ samples: [Double]) -> Double { samples.sorted()[samples.count / 2] }
        if profiling {
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
    print(String(format: "{\"model\": \"%@\", \"runtime\": \"matte\", \"threads\": %d, \"median_ms\": %.3f, \"min_ms\": %.3f, \"runs\": %d, \"gflops\": %.1f, \"peak_rss_mb\": %.1f, ",
                 name, threads, median, times[0], runs, gflops, peakResidentMegabytes()) + "\"samples_ms\": [\(samples)]}")
}
