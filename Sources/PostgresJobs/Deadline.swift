import NIOConcurrencyHelpers

/// A database call that did not answer within its deadline.
public struct DeadlineExceeded: Error, CustomStringConvertible {
    public var seconds: Double
    public var description: String { "the database did not answer within \(seconds) s" }
}

/// Runs `operation` in a task of its own and waits for it at most `seconds`.
///
/// A query on a connection whose network went away without a reset (a cut link, a machine gone) waits for
/// TCP to give up, which takes minutes, and a worker's slot waiting on it would claim nothing all that
/// time. Past the deadline the caller gets `DeadlineExceeded` and carries on (a new call takes another
/// connection from the pool); the stranded task is cancelled and left to end by itself. A write that
/// did land after all is harmless: every write names its lease, and a job whose claim went unanswered
/// goes back to the queue when that lease runs out. Cancelling the caller cancels the operation and
/// throws `CancellationError` at once, so a worker that stops does not wait out a deadline.
func withDeadline<Value: Sendable>(seconds: Double,
                                   _ operation: @escaping @Sendable () async throws -> Value) async throws -> Value {
    let state = NIOLockedValueBox(DeadlineState<Value>())
    @Sendable func finish(_ result: Result<Value, any Error>) {
        let tasks = state.withLockedValue { state in
            state.continuation?.resume(with: result)
            state.continuation = nil
            state.finished = true
            return state.tasks
        }
        for task in tasks { task.cancel() }
    }
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
            let alreadyFinished = state.withLockedValue { state in
                if !state.finished { state.continuation = continuation }
                return state.finished
            }
            if alreadyFinished {
                continuation.resume(throwing: CancellationError())
                return
            }
            let work = Task { do { finish(.success(try await operation())) } catch { finish(.failure(error)) } }
            let timer = Task {
                do { try await Task.sleep(for: .seconds(seconds)) } catch { return }
                finish(.failure(DeadlineExceeded(seconds: seconds)))
            }
            let finishedMeanwhile = state.withLockedValue { state in
                state.tasks = [work, timer]
                return state.finished
            }
            if finishedMeanwhile { work.cancel(); timer.cancel() }
        }
    } onCancel: {
        finish(.failure(CancellationError()))
    }
}

/// What `withDeadline`'s operation, timer and cancellation share: the caller waiting (until the first of
/// them finishes it), and the two tasks to cancel once it is finished.
private struct DeadlineState<Value: Sendable>: Sendable {
    var continuation: CheckedContinuation<Value, any Error>?
    var finished = false
    var tasks: [Task<Void, Never>] = []
}
