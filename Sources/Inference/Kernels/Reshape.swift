// Reshape (TFLite RESHAPE): the same row-major elements under another shape; the step copies them.

/// `target` with at most one -1 resolved so that it holds as many elements as `shape`; nil when it
/// cannot: a second -1, another negative or a zero length, a product that overflows, or a different
/// element count.
public func reshapedShape(_ shape: [Int], to target: [Int]) -> [Int]? {
    let unknown = target.indices.filter { target[$0] == -1 }
    guard unknown.count <= 1, target.allSatisfy({ $0 == -1 || $0 > 0 }),
          let count = checkedCount(shape), let known = checkedCount(target.filter { $0 != -1 }) else { return nil }
    var result = target
    if let position = unknown.first {
        guard count % known == 0 else { return nil }
        result[position] = count / known
    }
    return known * (unknown.isEmpty ? 1 : result[unknown[0]]) == count ? result : nil
}
