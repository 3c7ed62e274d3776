/// A point in time by which a request must be answered (`--request-timeout` after it arrived).
public struct Deadline: Sendable {
    public let instant: ContinuousClock.Instant
    /// The whole allowance, for messages.
    public let seconds: Double

    public init(seconds: Double, from start: ContinuousClock.Instant = .now) {
        self.seconds = seconds
        // Clamped so that any Double (even infinite or NaN) converts without trapping.
        let clamped = seconds.isNaN ? 0 : min(max(seconds, 0), 1e9)
        self.instant = start + .milliseconds(Int64(clamped * 1000))
    }

    /// Seconds left, at least 0.
    public var remainingSeconds: Double {
        let left = instant - .now
        return max(0, Double(left.components.seconds) + Double(left.components.attoseconds) * 1e-18)
    }

    /// Runs `operation`, throwing `timeoutError` if it has not finished by the deadline. On time-out the
    /// operation's task is cancelled; this returns once the operation has noticed (every operation the
    /// service runs here stops waiting promptly when cancelled).
    public func run<Value: Sendable>(orThrow timeoutError: @autoclosure @escaping @Sendable () -> any Error,
                                     _ operation: @escaping @Sendable () async throws -> Value) async throws -> Value {
        try await withThrowingTaskGroup(of: Value?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try await Task.sleep(until: instant, clock: .continuous)
                return nil
            }
            defer { group.cancelAll() }
            // The first child to finish decides: a value, the operation's error, or the deadline (nil).
            guard let first = try await group.next(), let value = first else { throw timeoutError() }
            return value
        }
    }
}
