import Hummingbird
import NIOConcurrencyHelpers
import NIOCore

/// Bytes of request bodies the service holds at once, across all requests: each request reserves its
/// declared `Content-Length` (the body limit when it is chunked) before reading, and gives it back when
/// answered. A request that does not fit is refused at once with 503 and Retry-After, like a full queue,
/// so that many slow uploads cannot add up to more memory than the jobs they would become.
///
/// The service sizes it `(slots + queue) x max-body-bytes`: enough for every slot and queue place to
/// hold a body of the largest size, which is all the work the service will take on anyway.
final class BodyBudget: Sendable {
    let capacity: Int
    private let reserved = NIOLockedValueBox(0)

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Bytes reserved now.
    var inUse: Int { reserved.withLockedValue { $0 } }

    /// Reserves `bytes`, or returns false when they do not fit.
    func reserve(_ bytes: Int) -> Bool {
        reserved.withLockedValue { reserved in
            guard bytes <= capacity - reserved else { return false }
            reserved += bytes
            return true
        }
    }

    func release(_ bytes: Int) {
        reserved.withLockedValue { $0 -= bytes }
    }
}

extension BodyBudget {
    /// Runs `handle` on the whole body of `request`, at most `limit` bytes: an over-long declared body is
    /// refused (413) before it is read; its declared size (`limit` when it declares none, as it may grow
    /// to that) is held in this budget until `handle` returns, and `busy` is thrown at once when it does
    /// not fit; with a `deadline` the body must arrive by it (408). A malformed or broken-off body is 400.
    func withBody<Value>(of request: Request, limit: Int, busy: @autoclosure () -> ServiceError, deadline: Deadline?,
                         _ handle: (ByteBuffer) async throws -> Value) async throws -> Value {
        let declared = request.headers[.contentLength].flatMap { Int($0) }
        if let declared, declared > limit {
            throw ServiceError.bodyTooLarge(limit: limit)
        }
        let reservation = max(0, declared ?? limit)
        guard reserve(reservation) else { throw busy() }
        defer { release(reservation) }
        let collect: @Sendable () async throws -> ByteBuffer = {
            do {
                return try await request.body.collect(upTo: limit)
            } catch is NIOTooManyBytesError {
                throw ServiceError.bodyTooLarge(limit: limit)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                // The HTTP decoder's errors (a bad chunk size, a body cut short) and the connection closing
                // under the body (the client gave up, or stalled past the idle time-out).
                throw ServiceError.brokenBody(error)
            }
        }
        let body = if let deadline {
            try await deadline.run(orThrow: ServiceError.bodyTimeout(seconds: deadline.seconds), collect)
        } else {
            try await collect()
        }
        return try await handle(body)
    }
}
