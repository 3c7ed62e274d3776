import Foundation
import Testing
import Inference
@testable import Matting

/// Reading model files: whole or not at all, and the reader's errors named by path.
@Suite struct ModelFilesTests {
    static func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "matte-model-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func readsFilesWhole() throws {
        for count in [0, 1, 4095, 4096, 1 << 20 | 3] {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let path = try Self.temporaryFile(bytes)
            defer { try? FileManager.default.removeItem(atPath: path) }
            #expect(ModelFiles.contents(atPath: path) == bytes, "\(count) bytes")
        }
    }

    @Test func refusesWhatIsNotAFile() {
        #expect(ModelFiles.contents(atPath: NSTemporaryDirectory() + "no-such-model-\(UUID().uuidString)") == nil)
        #expect(ModelFiles.contents(atPath: NSTemporaryDirectory()) == nil)
    }

    @Test func errorsNameThePath() throws {
        let missing = NSTemporaryDirectory() + "no-such-model-\(UUID().uuidString)"
        do {
            _ = try ModelFiles.graph(atPath: missing) { bytes throws(ModelError) in try ModelReader.read(bytes, name: missing) }
            Issue.record("a missing file was read")
        } catch {
            guard case .modelMissing(let path, _) = error else { Issue.record("\(error)"); return }
            #expect(path == missing)
        }

        let junk = try Self.temporaryFile([0xFF, 0x00, 0x01, 0x02])
        defer { try? FileManager.default.removeItem(atPath: junk) }
        do {
            _ = try ModelFiles.graph(atPath: junk) { bytes throws(ModelError) in try ModelReader.read(bytes, name: junk) }
            Issue.record("junk was read as a model")
        } catch {
            guard case .model(let path, _) = error else { Issue.record("\(error)"); return }
            #expect(path == junk)
        }
    }
}
