import Foundation
@testable import Matting
import Testing

/// The version report: model digests from the folder, and the commit recorded beside the executable.
@Suite struct BuildInfoTests {
    /// A fresh folder under the temporary folder.
    static func temporaryFolder() throws -> String {
        let path = NSTemporaryDirectory() + "/matte-build-info-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func modelDigestsAndMissingFiles() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data("abc".utf8).write(to: URL(fileURLWithPath: folder + "/" + ModelFiles.selfie))

        let info = BuildInfo(modelDirectory: folder)
        #expect(info.version == BuildInfo.version)
        #expect(info.models == [BuildInfo.Model(file: ModelFiles.selfie, sha256: "ba7816bf"),
                                BuildInfo.Model(file: ModelFiles.u2netp, sha256: nil),
                                BuildInfo.Model(file: ModelFiles.faceDetector, sha256: nil)])
        let text = info.text
        #expect(text.hasPrefix("matte \(BuildInfo.version) (commit "))
        #expect(text.contains("models in \(folder):"))
        // Names are padded to the longest (the face detector's).
        #expect(text.contains("\(ModelFiles.selfie)         sha256 ba7816bf"))
        #expect(text.contains("\(ModelFiles.u2netp)  ") && text.contains(" missing\n"))
    }

    /// The fetched models, whose pinned sha256 (scripts/fetch-assets) begins with these digits.
    @Test func fetchedModels() throws {
        let directory = ModelFiles.defaultDirectory
        try #require(FileManager.default.fileExists(atPath: directory + "/" + ModelFiles.u2netp),
                     "no models in \(directory): run scripts/fetch-assets")
        let info = BuildInfo(modelDirectory: directory)
        #expect(info.models == [BuildInfo.Model(file: ModelFiles.selfie, sha256: "9ee168ec"),
                                BuildInfo.Model(file: ModelFiles.u2netp, sha256: "309c8469"),
                                BuildInfo.Model(file: ModelFiles.faceDetector, sha256: "bbff11ce")])
    }

    @Test func commitIsReadOnlyWhenRecordedAfterTheBuild() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let executable = URL(fileURLWithPath: folder + "/matte")
        let record = folder + "/" + BuildInfo.commitFileName
        let files = FileManager.default
        func write(_ text: String, builtAgo: Double, recordedAgo: Double) throws {
            try Data("binary".utf8).write(to: executable)
            try Data(text.utf8).write(to: URL(fileURLWithPath: record))
            try files.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -builtAgo)], ofItemAtPath: executable.path)
            try files.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -recordedAgo)], ofItemAtPath: record)
        }

        #expect(BuildInfo.recordedCommit(executable: executable) == nil)
        try write("3c7f16e\n", builtAgo: 60, recordedAgo: 30)
        #expect(BuildInfo.recordedCommit(executable: executable) == "3c7f16e")
        try write("3c7f16e-dirty\n", builtAgo: 60, recordedAgo: 30)
        #expect(BuildInfo.recordedCommit(executable: executable) == "3c7f16e-dirty")
        // Rebuilt since the commit was recorded: the record may name another commit.
        try write("3c7f16e\n", builtAgo: 30, recordedAgo: 60)
        #expect(BuildInfo.recordedCommit(executable: executable) == nil)
        // Not a commit.
        try write("<script>\n", builtAgo: 60, recordedAgo: 30)
        #expect(BuildInfo.recordedCommit(executable: executable) == nil)
        #expect(BuildInfo(commit: nil, modelDirectory: folder, models: []).text.hasPrefix("matte \(BuildInfo.version) (commit unknown)"))
    }
}
