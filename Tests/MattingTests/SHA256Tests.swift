import Foundation
@testable import Matting
import Testing

/// SHA-256 against the FIPS 180-4 example vectors (NIST), fed whole and in pieces, and against coreutils'
/// `sha256sum` on a model file.
@Suite struct SHA256Tests {
    static let vectors: [(message: [UInt8], digest: String)] = [
        ([], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (Array("abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        (Array(("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
                + "mnopqrstnopqrstu").utf8),
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
        ([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000),
         "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
    ]

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test func nistVectors() {
        for (message, digest) in Self.vectors {
            #expect(Self.hex(SHA256.hash(message)) == digest)
        }
    }

    @Test func piecesOfAnySizeGiveTheSameDigest() {
        // Lengths around the block size and the 56-byte padding boundary, cut at every few bytes.
        var generator = UInt32(7)
        for length in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000] {
            let message = (0..<length).map { _ -> UInt8 in
                generator = generator &* 1_664_525 &+ 1_013_904_223
                return UInt8(truncatingIfNeeded: generator >> 24)
            }
            let whole = SHA256.hash(message)
            for pieceLength in [1, 3, 63, 64, 65] {
                var hasher = SHA256()
                for start in stride(from: 0, to: length, by: pieceLength) {
                    hasher.update(message[start..<min(start + pieceLength, length)])
                }
                #expect(hasher.digest() == whole, "length \(length), pieces of \(pieceLength)")
                #expect(hasher.hexDigest() == Self.hex(whole))
            }
        }
    }

    @Test func modelFileMatchesSha256sum() throws {
        let path = ModelFiles.defaultDirectory + "/" + ModelFiles.u2netp
        try #require(FileManager.default.fileExists(atPath: path), "no \(path): run scripts/fetch-assets")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sha256sum", "--", path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "sha256sum failed")
        let expected = try #require(text.split(separator: " ").first.map(String.init))
        #expect(try #require(SHA256.hash(fileAt: path)).map { String(format: "%02x", $0) }.joined() == expected)
        #expect(SHA256.hash(fileAt: path + ".nowhere") == nil)
    }
}
