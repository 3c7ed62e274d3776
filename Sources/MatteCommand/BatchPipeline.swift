import Foundation

/// Runs a batch's inputs on several workers at once, each taking the next input in turn and carrying it
/// through every stage (read, decode, matte, encode, write) with its share of the cores; what each input
/// reports is delivered in input order.
///
/// Why workers rather than one photo at a time on all cores: a photo on two cores leaves one idle through
/// its serial parts (decoding, the selfie network, the solve's iterations, encoding, the write's flush),
/// and overlapping only decoding and encoding with the next photo's networks gained nothing measurable
/// (3.24 against 3.26 photos/s on twenty 1080p JPEGs, both at 178% CPU). Two photos on a core each keep
/// both busy: `scripts/batch-benchmark` measures the gain.
///
/// Bounded: each worker holds one photo, so memory is that of `workers` photos; an input that finished
/// early waits only as its report (a line of text), never as images.
enum BatchPipeline {
    /// Calls `process(index)` for every index on `workers` threads (the caller's among them), then
    /// `report(index, result)` for each in index order, one at a time.
    static func run<Outcome: Sendable>(_ count: Int, workers: Int,
                                       process: @escaping @Sendable (Int) -> Outcome,
                                       report: @escaping @Sendable (Int, Outcome) -> Void) {
        let state = NSCondition()
        nonisolated(unsafe) var next = 0
        nonisolated(unsafe) var reported = 0
        nonisolated(unsafe) var finished: [Int: Outcome] = [:]
        @Sendable func work() {
            while true {
                state.lock()
                let index = next
                next += 1
                state.unlock()
                guard index < count else { return }
                let outcome = process(index)
                state.lock()
                finished[index] = outcome
                // Deliver every report that is now due, in order; other workers wait for the lock meanwhile.
                while let due = finished.removeValue(forKey: reported) {
                    report(reported, due)
                    reported += 1
                }
                state.broadcast()
                state.unlock()
            }
        }
        for number in 1..<max(1, min(workers, count)) {
            let thread = Thread { work() }
            thread.name = "matte-batch-\(number)"
            thread.start()
        }
        work()
        // The caller's worker is out of inputs; the others may still be finishing theirs.
        state.lock()
        while reported < count { state.wait() }
        state.unlock()
    }
}
