import Foundation

/// Where the command writes: progress, errors and the summary to standard error, timings to standard
/// output. Tests substitute closures that collect the text.
struct Console {
    /// Whether standard error is a terminal, which gets one updating progress line instead of a line per file.
    var isTerminal: Bool
    var writeError: (String) -> Void
    var writeOutput: (String) -> Void

    static var standard: Console {
        Console(isTerminal: isatty(STDERR_FILENO) == 1,
                writeError: { FileHandle.standardError.write(Data($0.utf8)) },
                writeOutput: { FileHandle.standardOutput.write(Data($0.utf8)) })
    }
}

/// Reports a batch as it runs.
///
/// On a terminal: one line rewritten after every image, `[3/10] 1.2 img/s, ~6 s left`, cleared before
/// any other message. Otherwise a plain line per image, `[3/10] in.jpg -> results/in_alpha.png, in_cutout.png (123 ms)`.
/// Failures are `matte: <input>: <reason>` either way; the summary is `done N, failed M, T s`.
///
/// Used from one thread at a time: while a batch runs, only under `BatchPipeline`'s lock, which delivers
/// the reports one by one; before and after, by the caller alone. So it needs no lock of its own.
final class ProgressReport: @unchecked Sendable {
    private let console: Console
    private let total: Int
    private let start = ContinuousClock.now
    private var finished = 0
    private var succeeded = 0
    private(set) var failed = 0
    private var statusShown = false

    init(console: Console, total: Int) {
        self.console = console
        self.total = total
        showStatus()
    }

    /// An argument that named no image; it is not one of the `total` images.
    func problem(_ input: String, _ reason: String) {
        failed += 1
        message("matte: \(printable(input)): \(printable(reason))\n")
    }

    func succeeded(_ input: String, outputs: [String], elapsed: Duration) {
        finished += 1
        succeeded += 1
        if !console.isTerminal {
            let counter = "[\(finished)/\(total)]"
            console.writeError("\(counter) \(printable(input)) -> \(printable(outputs.joined(separator: ", "))) (\(milliseconds(elapsed)) ms)\n")
        }
        showStatus()
    }

    func failed(_ input: String, _ reason: String) {
        finished += 1
        failed += 1
        message("matte: \(printable(input)): \(printable(reason))\n")
        showStatus()
    }

    /// Text for standard output (timings), kept clear of the progress line.
    /// A warning about an input that was processed: `matte: <input>: warning: <text>`.
    func warned(_ input: String, _ text: String) {
        message("matte: \(printable(input)): warning: \(printable(text))\n")
    }

    func output(_ text: String) {
        clearStatus()
        console.writeOutput(text)
        showStatus()
    }

    func summary() {
        clearStatus()
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        console.writeError("done \(succeeded), failed \(failed), \(String(format: "%.1f", seconds)) s\n")
    }

    private func message(_ text: String) {
        clearStatus()
        console.writeError(text)
        showStatus()
    }

    private func showStatus() {
        guard console.isTerminal, total > 0 else { return }
        var line = "[\(finished)/\(total)]"
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        if finished > 0, seconds > 0 {
            let rate = Double(finished) / seconds
            line += String(format: " %.1f img/s", rate)
            if finished < total {
                line += ", ~\(Int((Double(total - finished) / rate).rounded(.up))) s left"
            }
        }
        console.writeError("\r\u{1B}[K" + line)
        statusShown = true
    }

    private func clearStatus() {
        guard statusShown else { return }
        console.writeError("\r\u{1B}[K")
        statusShown = false
    }
}

/// `text` with every control character (C0, DEL, C1) written as `\u{XX}`, so that a file name or a
/// message cannot move the cursor, clear the screen or forge lines on the terminal it is printed to.
func printable(_ text: String) -> String {
    var result = ""
    for scalar in text.unicodeScalars {
        if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
            result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
        } else {
            result.unicodeScalars.append(scalar)
        }
    }
    return result
}

/// Whole milliseconds, for messages.
func milliseconds(_ duration: Duration) -> Int {
    Int((duration / .milliseconds(1)).rounded())
}
