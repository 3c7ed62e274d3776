import Foundation

/// Why output files could not be written. The message names the file and the system's reason.
public struct OutputError: Error, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "cannot write \(path): \(reason)" }
}

/// Writes files so that readers never see a partial one and a failed input leaves nothing behind.
///
/// Each file is first written in full to a hidden temporary file in the same folder
/// (`.<name>.partial-<process>-<random>`), flushed to disk, and then renamed over the final name, which
/// replaces any older file atomically. `write(_:)` does this for a group of files together: all are written
/// to temporary files before any is renamed, and if anything fails the temporary files and any already
/// renamed files of the group are removed.
public struct OutputWriter: Sendable {
    public var directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// Creates the output folder (and its parents) when missing.
    public func createDirectory() throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw OutputError(path: directory, reason: Self.reason(for: error))
        }
    }

    public func path(of name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// Writes one file atomically.
    public func write(_ bytes: [UInt8], to name: String) throws {
        try write([(name, bytes)])
    }

    /// Writes a group of files, all or none: (file name in `directory`, contents) pairs.
    public func write(_ files: [(name: String, bytes: [UInt8])]) throws {
        var temporaries: [(temporary: String, final: String)] = []
        var renamed: [String] = []
        do {
            for file in files {
                let final = path(of: file.name)
                let temporary = path(of: ".\(file.name).partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
                temporaries.append((temporary, final))
                try Self.writeNew(file.bytes, to: temporary, reportingAs: final)
            }
            for (temporary, final) in temporaries {
                guard rename(temporary, final) == 0 else {
                    throw OutputError(path: final, reason: String(cString: strerror(errno)).lowercased())
                }
                renamed.append(final)
            }
        } catch {
            for (temporary, _) in temporaries { unlink(temporary) }
            for final in renamed { unlink(final) }
            throw error
        }
    }

    /// Creates `path` (failing if it exists), writes all of `bytes` and flushes them to disk.
    /// Errors name `finalPath`, the file the user asked for.
    private static func writeNew(_ bytes: [UInt8], to path: String, reportingAs finalPath: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw OutputError(path: finalPath, reason: String(cString: strerror(errno)).lowercased()) }
        defer { close(descriptor) }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                // `written < bytes.count`, so the base address is non-nil and the slice is in bounds.
                Foundation.write(descriptor, buffer.baseAddress! + written, bytes.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw OutputError(path: finalPath, reason: String(cString: strerror(errno)).lowercased())
            }
            written += result
        }
        guard fsync(descriptor) == 0 else { throw OutputError(path: finalPath, reason: String(cString: strerror(errno)).lowercased()) }
    }

    private static func reason(for error: Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code))).lowercased()
        }
        return error.localizedDescription
    }
}
