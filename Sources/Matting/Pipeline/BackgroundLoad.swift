import Foundation

/// A value made by `load` on a thread of its own, started when this is created: callers go on with other
/// work (reading and decoding a photo) and `value()` waits for it only when they need it. What `load`
/// throws, `value()` throws to every caller.
///
/// A thread of its own, not the global dispatch queue: a load waited for from a queue worker would hold
/// a worker that `parallelFor` may be waiting for.
final class BackgroundLoad<Value: Sendable>: @unchecked Sendable {
    private let finished = NSCondition()
    /// Nil until `load` returns or throws; guarded by `finished`.
    private var outcome: Result<Value, any Error>?

    init(name: String, _ load: @escaping @Sendable () throws -> Value) {
        let thread = Thread { [self] in
            let result = Result { try load() }
            finished.withLock {
                outcome = result
                finished.broadcast()
            }
        }
        thread.name = name
        thread.start()
    }

    /// The value, once `load` has made it; rethrows what `load` threw.
    func value() throws -> Value {
        let result = finished.withLock {
            while outcome == nil { finished.wait() }
            return outcome!
        }
        return try result.get()
    }
}
