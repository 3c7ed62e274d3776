import Dispatch

/// Runs independent pieces of work at the same time (one thread each) and returns their results in
/// order; rethrows the first error in order. For a few large items, such as encoding two images.
public func concurrently<Value: Sendable>(_ work: [@Sendable () throws -> Value]) throws -> [Value] {
    let results = UnsafeMutableBufferPointer<Result<Value, Error>?>.allocate(capacity: work.count)
    results.initialize(repeating: nil)
    defer { results.deallocate() }
    nonisolated(unsafe) let slots = results
    DispatchQueue.concurrentPerform(iterations: work.count) { index in
        slots[index] = Result { try work[index]() }
    }
    return try results.map { try $0!.get() }
}
