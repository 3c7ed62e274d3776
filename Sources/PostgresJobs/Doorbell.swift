import Foundation
import Jobs
import NIOConcurrencyHelpers

/// Wakes idle worker slots: `ring()` (a job was queued: a NOTIFY arrived) ends every `wait` at once;
/// otherwise each `wait` ends after its time-out (polling, the fallback when notifications are lost).
final class Doorbell: Sendable {
    private enum Waiter {
        case waiting(CheckedContinuation<Void, Never>)
        /// Timed out before its continuation was installed.
        case expired
    }

    private let waiters = NIOLockedValueBox<[UUID: Waiter]>([:])

    func ring() {
        let woken: [CheckedContinuation<Void, Never>] = waiters.withLockedValue { waiters in
            var woken: [CheckedContinuation<Void, Never>] = []
            for (id, waiter) in waiters {
                if case .waiting(let continuation) = waiter {
                    woken.append(continuation)
                    waiters[id] = nil
                }
            }
            return woken
        }
        for continuation in woken { continuation.resume() }
    }

    /// Returns on the next `ring()`, after `seconds`, or when the task is cancelled.
    func wait(seconds: Double) async {
        let id = UUID()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let expired = self.waiters.withLockedValue { waiters in
                        if case .expired = waiters[id] {
                            waiters[id] = nil
                            return true
                        }
                        waiters[id] = .waiting(continuation)
                        return false
                    }
                    if expired { continuation.resume() }
                }
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
                let continuation: CheckedContinuation<Void, Never>? = self.waiters.withLockedValue { waiters in
                    switch waiters[id] {
                    case .waiting(let continuation):
                        waiters[id] = nil
                        return continuation
                    case .expired:
                        return nil
                    case nil:
                        // Cancelled: the other task ended, woken by `ring`. Else the time-out came first.
                        if !Task.isCancelled { waiters[id] = .expired }
                        return nil
                    }
                }
                continuation?.resume()
            }
            await group.next()
            group.cancelAll()
        }
    }
}
