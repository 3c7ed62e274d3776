import Foundation

/// A value made on first use by `load`, then kept; a failed load is retried on the next use.
/// Safe to use from several threads: one loads while the others wait.
final class LoadedOnce<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private let load: @Sendable () throws -> Value
    /// Guarded by `lock`.
    private var loaded: Value?

    init(_ load: @escaping @Sendable () throws -> Value) {
        self.load = load
    }

    func value() throws -> Value {
        lock.lock()
        defer { lock.unlock() }
        if let loaded { return loaded }
        let value = try load()
        loaded = value
        return value
    }
}
