import Foundation

/// A fixed set of dedicated threads that run blocking jobs in arrival order.
///
/// Blocking work (inference, downloads) must not run on Swift's cooperative threads, nor on Dispatch's
/// global queues: on Linux both draw from one small pool sized to the core count, and a few blocked
/// workers there stall every async task (health checks, refusals, time-outs) until the pool notices and
/// grows. Threads of our own keep that pool free.
final class WorkerThreads: Sendable {
    /// The jobs and the stop flag, shared with the threads (which must not keep the owner alive).
    private final class Queue: @unchecked Sendable {
        let condition = NSCondition()
        var jobs: [@Sendable () -> Void] = []
        var stopped = false

        func work() {
            while true {
                condition.lock()
                while jobs.isEmpty && !stopped { condition.wait() }
                if jobs.isEmpty {  // stopped, nothing left
                    condition.unlock()
                    return
                }
                let job = jobs.removeFirst()
                condition.unlock()
                job()
            }
        }
    }

    private let queue = Queue()

    /// Starts `count` threads named `name-1`, `name-2`, ...; they finish the queued jobs and end when this
    /// object is released.
    init(count: Int, name: String) {
        for index in 1...max(1, count) {
            let thread = Thread { [queue] in queue.work() }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    deinit {
        queue.condition.lock()
        queue.stopped = true
        queue.condition.broadcast()
        queue.condition.unlock()
    }

    /// Queues `job` for the next free thread.
    func submit(_ job: @escaping @Sendable () -> Void) {
        queue.condition.lock()
        queue.jobs.append(job)
        queue.condition.signal()
        queue.condition.unlock()
    }

    /// Runs `work` on a new thread of its own and returns its result: for rare blocking calls
    /// (a download) that should not wait behind inference.
    static func detached<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }
}
