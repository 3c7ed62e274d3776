import Foundation

/// A fresh empty folder under the system's temporary folder; removed by `remove()`.
public struct TemporaryFolder {
    public let path: String

    public init() throws {
        path = NSTemporaryDirectory() + "/matte-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Creates `relativePath` (and its folders) holding `bytes`.
    public func write(_ relativePath: String, _ bytes: [UInt8] = [1, 2, 3]) throws {
        let url = URL(fileURLWithPath: path + "/" + relativePath)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }

    /// Names in the folder, sorted, hidden ones included.
    public func contents(_ relativePath: String = "") -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path + "/" + relativePath)) ?? []).sorted()
    }
}

