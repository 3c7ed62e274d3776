import Foundation

/// How long a job waits before its next attempt: exponential in the attempt number, capped, with
/// random jitter so that jobs failed together do not come back together.
///
/// Delay after attempt n (from 1): `min(maximum, base x 2^(n-1)) x (1 - jitter ... 1 + jitter)`.
/// With the defaults: about 1, 2, 4, 8, 16 s, then 60 s at most (River waits n^4 s, Oban 15 + 2^n s:
/// made for jobs that call flaky services for hours; a photo either mattes in seconds or the worker is
/// in trouble, which a lease catches sooner).
public struct Backoff: Sendable, Equatable {
    /// Seconds after the first failed attempt.
    public var base: Double = 1
    /// Seconds, at most, before jitter.
    public var maximum: Double = 60
    /// Fraction of the delay added or taken away at random, 0 ..< 1.
    public var jitter: Double = 0.2

    public init(base: Double = 1, maximum: Double = 60, jitter: Double = 0.2) {
        self.base = base
        self.maximum = maximum
        self.jitter = jitter
    }

    /// Seconds before attempt `attempt + 1`; `random` is in 0 ... 1.
    public func delay(afterAttempt attempt: Int, random: Double = .random(in: 0...1)) -> Double {
        let exponent = Double(min(max(attempt, 1) - 1, 30))
        let delay = min(maximum, base * pow(2, exponent))
        return delay * (1 - jitter + 2 * jitter * random)
    }
}
