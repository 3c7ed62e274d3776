import Foundation

/// A folder watched for new images: each one is handed out once it has stopped growing (its size and
/// modification time the same at two polls in a row), and again only if it changes later.
///
/// Polling, not inotify: it works the same on every file system (network mounts, bind mounts in
/// containers) and needs nothing of the platform; at two polls a second it costs a directory listing.
public final class WatchFolder {
    public let folder: String
    public let recursive: Bool
    /// Size and modification time seen at the last poll, by path.
    private var seen: [String: FileState] = [:]
    /// The state in which each path was last handed out.
    private var handedOut: [String: FileState] = [:]

    struct FileState: Equatable {
        var size: Int64
        var modified: timespec

        static func == (left: FileState, right: FileState) -> Bool {
            left.size == right.size && left.modified.tv_sec == right.modified.tv_sec && left.modified.tv_nsec == right.modified.tv_nsec
        }
    }

    /// The folder's images are listed by the caller and given to `poll` (the command gathers them as it
    /// gathers a batch's, so a watched folder takes the same files).
    public init(folder: String, recursive: Bool) {
        self.folder = folder
        self.recursive = recursive
    }

    /// The paths among `paths` that are ready: unchanged since the last poll, non-empty, and not handed
    /// out before in this state.
    public func poll(_ paths: [String]) -> [String] {
        var ready: [String] = []
        var current: [String: FileState] = [:]
        for path in paths {
            guard let state = Self.state(of: path) else { continue }
            current[path] = state
            if state.size > 0, seen[path] == state, handedOut[path] != state {
                ready.append(path)
                handedOut[path] = state
            }
        }
        seen = current
        handedOut = handedOut.filter { current[$0.key] != nil }
        return ready
    }

    static func state(of path: String) -> FileState? {
        var status = stat()
        guard stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
        return FileState(size: Int64(status.st_size), modified: status.st_mtim)
    }

    /// Whether every one of `outputs` exists and was modified after `input`: the input was matted since it
    /// last changed, so it need not be again.
    public static func outputsAreCurrent(input: String, outputs: [String]) -> Bool {
        guard !outputs.isEmpty, let source = state(of: input) else { return false }
        return outputs.allSatisfy { output in
            guard let made = state(of: output) else { return false }
            return (made.modified.tv_sec, made.modified.tv_nsec) > (source.modified.tv_sec, source.modified.tv_nsec)
        }
    }
}

/// SIGINT and SIGTERM turned into a flag a loop can check: the first signal asks the loop to stop after
/// the work in hand; a second one ends the process at once (status 130 or 143).
public final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false
    private var sources: [DispatchSourceSignal] = []

    public init() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                let again = self.lock.withLock {
                    defer { self.requested = true }
                    return self.requested
                }
                if again { exit(128 + signalNumber) }
            }
            source.resume()
            sources.append(source)
        }
    }

    public var isRequested: Bool { lock.withLock { requested } }

    /// Sleeps up to `seconds`, returning early once a stop is requested.
    public func sleep(seconds: Double) {
        let end = Date().addingTimeInterval(seconds)
        while !isRequested && Date() < end { usleep(50_000) }
    }
}
