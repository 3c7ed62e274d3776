import Dispatch

/// Runs `body(index)` for every index in `0..<count`, spread over up to `threads` cores in
/// contiguous chunks (one chunk per thread: items should be large, ~0.1 ms or more each chunk).
/// With `threads <= 1` or `count <= 1` it runs inline, in order.
@inlinable
public func parallelFor(_ count: Int, threads: Int, _ body: (Range<Int>) -> Void) {
    let workers = min(max(threads, 1), count)
    if workers <= 1 {
        if count > 0 { body(0..<count) }
        return
    }
    // concurrentPerform returns only after every iteration has finished, so `body` outlives them all.
    nonisolated(unsafe) let body = body
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
        let start = count * worker / workers
        let end = count * (worker + 1) / workers
        if start < end { body(start..<end) }
    }
}
