import Foundation
import Parallelism

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
