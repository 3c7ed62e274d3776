import Foundation

/// What a running `matte` is: its version, the commit it was built from when known, and the model files
/// it loads with the first 8 hex digits of their sha256 (`matte --version`, the service's `/healthz`).
public struct BuildInfo: Sendable, Equatable {
    /// The version of the package, raised by hand with each release.
    public static let version = "0.4.0"

    /// The model files `PortraitMatter` loads: the semantic branch, the detail branch, and the face
    /// detector of the photo checks (loaded when a check is first asked for).
    public static let modelFiles = [ModelFiles.selfie, ModelFiles.u2netp, ModelFiles.faceDetector]

    /// The name of the file, beside the built executables, that holds the commit they were built from.
    /// `scripts/record-commit` writes it after each build made by `scripts/run` and `scripts/test`.
    public static let commitFileName = "matte.commit"

    /// One model file: its name and the first 8 hex digits of its sha256, or nil when it cannot be read.
    public struct Model: Sendable, Equatable {
        public var file: String
        public var sha256: String?

        public init(file: String, sha256: String?) {
            self.file = file
            self.sha256 = sha256
        }
    }

    public var version: String
    /// `git rev-parse --short HEAD` at build time (with `-dirty` when sources differed from it), or nil.
    public var commit: String?
    /// The folder the models are read from.
    public var modelDirectory: String
    public var models: [Model]

    public init(version: String = BuildInfo.version, commit: String?, modelDirectory: String, models: [Model]) {
        self.version = version
        self.commit = commit
        self.modelDirectory = modelDirectory
        self.models = models
    }

    /// This build: the commit recorded beside the running executable, and the digests of the model
    /// files in `modelDirectory` (read now; a few milliseconds per megabyte).
    public init(modelDirectory: String) {
        self.init(commit: Self.recordedCommit(), modelDirectory: modelDirectory,
                  models: Self.modelFiles.map { file in
                      Model(file: file, sha256: SHA256.hash(fileAt: modelDirectory + "/" + file).map(Self.shortHex))
                  })
    }

    /// The first 8 hex digits of `digest`.
    static func shortHex(_ digest: [UInt8]) -> String {
        digest.prefix(4).map { String(format: "%02x", $0) }.joined()
    }

    /// The commit in `commitFileName` beside `executable` (by default the running one), or nil when there
    /// is no such file, or it is older than the executable: then the executable was rebuilt after the
    /// commit was recorded, by something that did not record it, and the file may name another commit.
    public static func recordedCommit(executable: URL? = Bundle.main.executableURL) -> String? {
        guard let executable = executable?.resolvingSymlinksInPath() else { return nil }
        let path = executable.deletingLastPathComponent().appendingPathComponent(commitFileName).path
        let files = FileManager.default
        guard let recorded = (try? files.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
              let built = (try? files.attributesOfItem(atPath: executable.path))?[.modificationDate] as? Date,
              recorded >= built,
              let text = try? String(contentsOfFile: path, encoding: .utf8)
        else { return nil }
        let commit = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let allowed = Set("0123456789abcdef-dirty")
        guard !commit.isEmpty, commit.count <= 64, commit.allSatisfy(allowed.contains) else { return nil }
        return commit
    }

    /// The `--version` text, e.g.
    ///
    ///     matte 0.4.0 (commit 3c7f16e)
    ///     models in /home/ada/.cache/matte/models:
    ///       selfie_segmentation.tflite  sha256 9ee168ec
    ///       u2netp.onnx                 missing
    public var text: String {
        var lines = ["matte \(version) (commit \(commit ?? "unknown"))", "models in \(modelDirectory):"]
        let width = models.map(\.file.count).max() ?? 0
        for model in models {
            let name = model.file.padding(toLength: width, withPad: " ", startingAt: 0)
            lines.append("  \(name)  " + (model.sha256.map { "sha256 \($0)" } ?? "missing"))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
