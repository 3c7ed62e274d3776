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
/// goes back to the queue when that lease runs out.
func withDeadline<Value: Sendable>(seconds: Double,
                                   _ operation: @escaping @Sendable () async throws -> Value) async throws -> Value {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
        let pending = NIOLockedValueBox<CheckedContinuation<Value, any Error>?>(continuation)
        let timer = NIOLockedValueBox<Task<Void, Never>?>(nil)
        @Sendable func finish(_ result: Result<Value, any Error>) {
            pending.withLockedValue { waiting in
                waiting?.resume(with: result)
                waiting = nil
            }
        }
        let work = Task {
            do { finish(.success(try await operation())) } catch { finish(.failure(error)) }
            timer.withLockedValue { $0?.cancel() }
        }
        timer.withLockedValue {
            $0 = Task {
                do { try await Task.sleep(for: .seconds(seconds)) } catch { return }
                work.cancel()
                finish(.failure(DeadlineExceeded(seconds: seconds)))
            }
        }
    }
}
