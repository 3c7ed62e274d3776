import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Online processors, at least 1.
public let processorCount = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))

/// Runs `body(worker)` for `worker` in `0..<workers` at once: worker 0 on the calling thread, the others on
/// the global dispatch queue; returns when all have finished.
public func inParallel(_ workers: Int, _ body: (Int) -> Void) {
    guard workers > 1 else {
        if workers == 1 { body(0) }
        return
    }
    // The group is waited on before returning, so `body` outlives every worker.
    withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let body = body
        let group = DispatchGroup()
        for worker in 1..<workers {
            DispatchQueue.global().async(group: group) { body(worker) }
        }
        body(0)
        group.wait()
    }
}

/// Runs `body` over `count` rows split into `threads` contiguous bands, one worker each (`inParallel`),
/// and returns when all are done.
///
/// Not `DispatchQueue.concurrentPerform`: on Linux it ran its iterations one after another here.
func splitRows(_ count: Int, threads: Int, _ body: (Range<Int>) -> Void) {
    let workers = min(max(threads, 1), count)
    inParallel(workers) { worker in
        body(count * worker / workers..<count * (worker + 1) / workers)
    }
}

/// Runs `body(worker, item)` once for every `item` in `0..<count` on up to `threads` workers
/// (`inParallel`), each taking the lowest item not yet taken whenever it is free, and returns when all
/// are done. For items of uneven cost: no worker sits idle while another has several items left, as a
/// fixed split would leave it. `worker` (0..<min(threads, count)) names the worker, for scratch memory
/// of its own.
func inTurns(_ count: Int, threads: Int, _ body: (_ worker: Int, _ item: Int) -> Void) {
    let workers = min(max(threads, 1), count)
    let lock = NSLock()
    // Read and advanced only under `lock`.
    nonisolated(unsafe) var next = 0
    inParallel(workers) { worker in
        while true {
            lock.lock()
            let item = next
            next += 1
            lock.unlock()
            guard item < count else { return }
            body(worker, item)
        }
    }
}
