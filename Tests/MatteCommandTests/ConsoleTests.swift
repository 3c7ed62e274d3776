import Testing
@testable import MatteCommand

/// File names and messages reach the terminal with control characters escaped.
@Suite struct PrintableTests {
    @Test func controlCharactersAreEscaped() {
        #expect(printable("plain name.jpg") == "plain name.jpg")
        #expect(printable("évian ☀.png") == "évian ☀.png")
        #expect(printable("a\u{1B}[2Jb\nc\rd\u{7F}e\u{9B}f\tg") == "a\\u{1B}[2Jb\\u{A}c\\u{D}d\\u{7F}e\\u{9B}f\\u{9}g")
    }

    @Test func progressLinesEscapeNames() {
        let console = CapturedConsole()
        let report = ProgressReport(console: console.console, total: 2)
        report.succeeded("in\u{1B}[1A.jpg", outputs: ["out/in\u{1B}[1A_alpha.png"], elapsed: .milliseconds(5))
        report.failed("bad\nmatte: forged.jpg", "corrupt")
        report.problem("x\u{7}", "missing")
        #expect(!console.error.contains("\u{1B}") && !console.error.contains("\u{7}"))
        #expect(console.error.contains("in\\u{1B}[1A.jpg -> out/in\\u{1B}[1A_alpha.png"))
        #expect(console.error.contains("matte: bad\\u{A}matte: forged.jpg: corrupt\n"))
    }
}
