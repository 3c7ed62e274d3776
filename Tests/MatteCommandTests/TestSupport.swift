import Foundation
@testable import MatteCommand

/// A fresh empty folder under the system's temporary folder; removed by `remove()`.
struct TemporaryFolder {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "/matte-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Creates `relativePath` (and its folders) holding `bytes`.
    func write(_ relativePath: String, _ bytes: [UInt8] = [1, 2, 3]) throws {
        let url = URL(fileURLWithPath: path + "/" + relativePath)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }

    /// Names in the folder, sorted, hidden ones included.
    func contents(_ relativePath: String = "") -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path + "/" + relativePath)) ?? []).sorted()
    }
}

/// A console that collects what the command writes.
final class CapturedConsole: @unchecked Sendable {
    private let lock = NSLock()
    private var errorText = ""
    private var outputText = ""
    let isTerminal: Bool

    init(isTerminal: Bool = false) {
        self.isTerminal = isTerminal
    }

    var error: String { lock.withLock { errorText } }
    var output: String { lock.withLock { outputText } }

    var console: Console {
        Console(isTerminal: isTerminal,
                writeError: { text in self.lock.withLock { self.errorText += text } },
                writeOutput: { text in self.lock.withLock { self.outputText += text } })
    }
}
