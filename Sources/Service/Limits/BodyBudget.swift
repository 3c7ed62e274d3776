import NIOConcurrencyHelpers

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
