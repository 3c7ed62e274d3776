import NIOConcurrencyHelpers

/// Back-pressure for CPU-heavy work: at most `slots` jobs run at once, at most `queueLimit` more wait
/// for a slot (first come, first served), and a job arriving when both are full is refused at once
/// (`ServiceError.busy`, sent as 503 with Retry-After) instead of piling up.
///
/// Jobs run on `slots` threads of their own (`WorkerThreads`), never on Swift's cooperative pool or
/// Dispatch's, so a full set of slots cannot starve the event loops or the async tasks that answer health
/// checks, refusals and time-outs. A waiting or
/// running job whose task is cancelled (request timeout, client gone) stops being awaited at once; a
/// running job keeps its slot until its work really ends, so the slot count always matches CPU use.
public final class InferenceSlots: Sendable {
    public let slots: Int
    public let queueLimit: Int

    private struct State {
        var running = 0
        var waiting: [(id: Int, continuation: CheckedContinuation<Void, any Error>)] = []
        var nextID = 0
        var rejected = 0
        var completed = 0
        /// Exponential moving average of job durations, in seconds, for Retry-After.
        var averageSeconds = 1.0
    }

    private let state = NIOLockedValueBox(State())
    private let threads: WorkerThreads

    public init(slots: Int, queueLimit: Int) {
        precondition(slots >= 1 && queueLimit >= 0)
        self.slots = slots
        self.queueLimit = queueLimit
        self.threads = WorkerThreads(count: slots, name: "matte-inference")
    }

    /// Jobs running now.
    public var running: Int { state.withLockedValue { $0.running } }
    /// Jobs waiting for a slot now.
    public var waiting: Int { state.withLockedValue { $0.waiting.count } }
    /// Jobs refused because slots and queue were full, since start.
    public var rejected: Int { state.withLockedValue { $0.rejected } }

    /// Seconds a refused client should wait: the expected time for the jobs ahead of it to finish.
    public var retryAfterSeconds: Int {
        state.withLockedValue { state in
            let ahead = Double(state.running + state.waiting.count) / Double(slots)
            return max(1, Int((state.averageSeconds * ahead).rounded(.up)))
        }
    }

    /// Runs `work` in a slot, waiting in the queue if needed.
    ///
    /// - Throws: `ServiceError.busy` when slots and queue are full; `CancellationError` when the task is
    ///   cancelled while waiting or running (the work itself still runs to its end); whatever `work` throws.
    public func run<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await acquire()
        let start = ContinuousClock.now
        let box = ResultBox<Result>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard box.install(continuation) else {
                    release(after: nil)  // cancelled before starting: the slot goes unused
                    return
                }
                threads.submit {
                    let result = Swift.Result { try work() }
                    self.release(after: ContinuousClock.now - start)
                    box.resume(with: result)
                }
            }
        } onCancel: {
            box.resume(with: .failure(CancellationError()))
        }
    }

    /// Takes a slot, or a queue place and waits for a slot.
    private func acquire() async throws {
        enum Decision { case run, wait, refuse(Int) }
        let decision: Decision = state.withLockedValue { state in
            if state.running < slots {
                state.running += 1
                return .run
            }
            if state.waiting.count < queueLimit { return .wait }
            state.rejected += 1
            let ahead = Double(state.running + state.waiting.count) / Double(slots)
            return .refuse(max(1, Int((state.averageSeconds * ahead).rounded(.up))))
        }
        switch decision {
        case .run: return
        case .refuse(let seconds): throw ServiceError.busy(retryAfterSeconds: seconds)
        case .wait: break
        }

        let id = state.withLockedValue { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: Decision? = state.withLockedValue { state in
                    // The queue may have filled or a slot freed since the first look.
                    if Task.isCancelled { return nil }
                    if state.running < slots {
                        state.running += 1
                        return .run
                    }
                    if state.waiting.count >= queueLimit {
                        state.rejected += 1
                        return .refuse(max(1, Int(state.averageSeconds.rounded(.up))))
                    }
                    state.waiting.append((id, continuation))
                    return .wait
                }
                switch outcome {
                case nil: continuation.resume(throwing: CancellationError())
                case .run: continuation.resume()
                case .refuse(let seconds): continuation.resume(throwing: ServiceError.busy(retryAfterSeconds: seconds))
                case .wait: break
                }
            }
        } onCancel: {
            let removed = state.withLockedValue { state in
                state.waiting.firstIndex { $0.id == id }.map { state.waiting.remove(at: $0).continuation }
            }
            removed?.resume(throwing: CancellationError())
        }
    }

    /// Frees a slot, or hands it straight to the first waiting job.
    /// `duration` is how long the job ran (nil when it never started), for Retry-After estimates.
    private func release(after duration: Duration?) {
        let next: CheckedContinuation<Void, any Error>? = state.withLockedValue { state in
            if let duration {
                let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
                state.averageSeconds = state.completed == 0 ? seconds : 0.8 * state.averageSeconds + 0.2 * seconds
                state.completed += 1
            }
            if state.waiting.isEmpty {
                state.running -= 1
                return nil
            }
            return state.waiting.removeFirst().continuation
        }
        next?.resume()
    }
}

/// A continuation resumed exactly once, by whichever comes first: the result or a cancellation.
private final class ResultBox<Value: Sendable>: Sendable {
    private enum State {
        case idle
        case installed(CheckedContinuation<Value, any Error>)
        /// Resumed (or cancelled before the continuation existed).
        case done
    }

    private let state = NIOLockedValueBox(State.idle)

    /// Stores the continuation; false (and the continuation resumed with `CancellationError`) when
    /// cancellation came first.
    func install(_ continuation: CheckedContinuation<Value, any Error>) -> Bool {
        let installed = state.withLockedValue { state in
            guard case .idle = state else { return false }
            state = .installed(continuation)
            return true
        }
        if !installed { continuation.resume(throwing: CancellationError()) }
        return installed
    }

    func resume(with result: Result<Value, any Error>) {
        let continuation: CheckedContinuation<Value, any Error>? = state.withLockedValue { state in
            switch state {
            case .idle:
                state = .done
                return nil
            case .installed(let continuation):
                state = .done
                return continuation
            case .done:
                return nil
            }
        }
        continuation?.resume(with: result)
    }
}
