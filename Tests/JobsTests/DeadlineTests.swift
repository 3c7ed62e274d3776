import Foundation
import Testing
@testable import PostgresJobs

/// `withDeadline`: the value when the operation answers in time, `DeadlineExceeded` when it does not, and
/// `CancellationError` at once when the caller is cancelled (a stopping worker must not wait a deadline out).
@Suite struct DeadlineTests {
    @Test func anAnswerInTimeIsReturned() async throws {
        let value = try await withDeadline(seconds: 5) { 42 }
        #expect(value == 42)
    }

    @Test func anErrorInTimeIsThrown() async {
        struct Refused: Error {}
        await #expect(throws: Refused.self) { try await withDeadline(seconds: 5) { () async throws -> Int in throw Refused() } }
    }

    @Test func noAnswerIsDeadlineExceeded() async {
        let start = ContinuousClock.now
        await #expect(throws: DeadlineExceeded.self) {
            try await withDeadline(seconds: 0.2) { try await neverAnswers() }
        }
        #expect(ContinuousClock.now - start < .seconds(30))
    }

    @Test func cancellingTheCallerEndsTheWaitAtOnce() async {
        let start = ContinuousClock.now
        let caller = Task { try await withDeadline(seconds: 600) { try await neverAnswers() } }
        try? await Task.sleep(for: .milliseconds(100))
        caller.cancel()
        let result = await caller.result
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(ContinuousClock.now - start < .seconds(30))
    }

    @Test func anAlreadyCancelledCallerDoesNotRunTheOperation() async {
        let ran = LockedFlag()
        let caller = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await withDeadline(seconds: 600) { ran.set(); return 1 }
        }
        let result = await caller.result
        #expect(throws: CancellationError.self) { try result.get() }
        try? await Task.sleep(for: .milliseconds(100))
        #expect(!ran.value)
    }
}

/// Sleeps far longer than any test, ignoring nothing: it ends only when cancelled.
private func neverAnswers() async throws -> Int {
    try await Task.sleep(for: .seconds(3600))
    return 0
}

private final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    func set() { lock.withLock { flag = true } }
    var value: Bool { lock.withLock { flag } }
}
