import Foundation
import Matting
import TestSupport
import Testing
@testable import MatteCommand

/// `matte --version` and `matte serve --version`: the version, the commit, and each model file.
@Suite struct VersionTests {
    @Test func versionNamesEveryModelFile() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write(ModelFiles.u2netp, Array("abc".utf8))
        let console = CapturedConsole()
        let command = try MatteCommand.parse(["--version", "--models", folder.path])
        try command.run(console: console.console, standardInput: FileHandle(forReadingAtPath: "/dev/null")!)
        let lines = console.output.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("matte \(BuildInfo.version) (commit ") == true)
        #expect(lines.contains { $0.contains(ModelFiles.u2netp) && $0.hasSuffix("sha256 ba7816bf") })
        #expect(lines.contains { $0.contains(ModelFiles.selfie) && $0.hasSuffix("missing") })
        #expect(folder.contents() == [ModelFiles.u2netp], "nothing written")
        #expect(console.error.isEmpty)
    }

    @Test func serveVersionUsesTheServiceModelFolder() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let command = try #require(try MatteCommand.parseAsRoot(["serve", "--version", "--models", folder.path]) as? Serve)
        #expect(command.parent.version)
        #expect(try command.serviceConfiguration(environment: [:]).modelDirectory == folder.path)
        let text = command.versionText()
        #expect(text.hasPrefix("matte \(BuildInfo.version) (commit "))
        for file in BuildInfo.modelFiles { #expect(text.contains(file)) }
        #expect(text.contains("models in \(folder.path):"))
    }

    /// A bad environment does not stop `--version`.
    @Test func versionSkipsTheOtherChecks() throws {
        #expect(throws: Never.self) { try MatteCommand.parseAsRoot(["--version", "--outputs", "nonsense"]) }
    }
}
