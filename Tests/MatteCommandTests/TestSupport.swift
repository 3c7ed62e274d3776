import Foundation
@testable import MatteCommand

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
