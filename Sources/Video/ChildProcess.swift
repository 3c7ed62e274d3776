import Foundation

/// A program run as a separate process (`ffmpeg`, `ffprobe`) with pipes for the ends the caller wants:
/// its standard input (we write), its standard output (we read). Its standard error is collected in the
/// background (the last 8 KB) so a failure can give the program's own reason.
///
/// Spawned with `posix_spawn`; our pipe ends carry close-on-exec, so the child holds only its own. SIGPIPE
/// is reset to its default in the child (we ignore it, see `ignoreBrokenPipes`).
final class ChildProcess: @unchecked Sendable {
    let program: String
    let processIdentifier: pid_t
    /// Write end of the child's standard input, or -1.
    private(set) var input: Int32
    /// Read end of the child's standard output, or -1.
    private(set) var output: Int32
    private let errorText = NSLock()
    private var errorBytes: [UInt8] = []
    private let errorDone = DispatchSemaphore(value: 0)
    private var exitStatus: Int32?

    /// - Parameters:
    ///   - path: the program's path; `arguments` exclude the program's name.
    ///   - sendsInput: a pipe to the child's standard input (else /dev/null).
    ///   - readsOutput: a pipe from the child's standard output (else /dev/null).
    init(path: String, arguments: [String], sendsInput: Bool, readsOutput: Bool) throws(VideoError) {
        program = (path as NSString).lastPathComponent
        var inputPipe: [Int32] = [-1, -1], outputPipe: [Int32] = [-1, -1], errorPipe: [Int32] = [-1, -1]
        func makePipe(_ ends: inout [Int32]) -> Bool {
            guard pipe(&ends) == 0 else { return false }
            for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
            return true
        }
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(null) }
        guard (!sendsInput || makePipe(&inputPipe)), (!readsOutput || makePipe(&outputPipe)), makePipe(&errorPipe) else {
            for end in inputPipe + outputPipe + errorPipe where end >= 0 { close(end) }
            throw VideoError(subject: program, reason: "cannot make a pipe: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, sendsInput ? inputPipe[0] : null, 0)
        posix_spawn_file_actions_adddup2(&actions, readsOutput ? outputPipe[1] : null, 1)
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let environment = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + environment { free(pointer) } }
        var identifier: pid_t = 0
        let status = posix_spawn(&identifier, path, &actions, &attributes, argv, environment)
        // The child's ends, now its own.
        for end in [inputPipe[0], outputPipe[1], errorPipe[1]] where end >= 0 { close(end) }
        guard status == 0 else {
            for end in [inputPipe[1], outputPipe[0], errorPipe[0]] where end >= 0 { close(end) }
            throw VideoError(subject: program, reason: "cannot start \(path): \(String(cString: strerror(status)))")
        }
        processIdentifier = identifier
        input = inputPipe[1]
        output = outputPipe[0]
        let errorEnd = errorPipe[0]
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(errorEnd, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                errorText.withLock {
                    errorBytes += buffer[0..<count]
                    if errorBytes.count > 8192 { errorBytes.removeFirst(errorBytes.count - 8192) }
                }
            }
            close(errorEnd)
            errorDone.signal()
        }
        thread.name = "matte-\(program)-errors"
        thread.start()
    }

    /// Closes our end of the child's standard input: the child reads end of file.
    func closeInput() {
        if input >= 0 { close(input); input = -1 }
    }

    /// Waits for the child to exit (closing our pipe ends first) and returns its exit status; a child
    /// killed by a signal returns 128 + the signal's number.
    @discardableResult
    func wait() -> Int32 {
        if let exitStatus { return exitStatus }
        closeInput()
        if output >= 0 { close(output); output = -1 }
        var status: Int32 = 0
        while waitpid(processIdentifier, &status, 0) < 0 && errno == EINTR {}
        errorDone.wait()
        let signal = status & 0x7F
        let result = signal == 0 ? (status >> 8) & 0xFF : 128 + signal
        exitStatus = result
        return result
    }

    /// Stops the child at once (SIGKILL) and reaps it.
    func kill() {
        if exitStatus == nil { _ = Foundation.kill(processIdentifier, SIGKILL) }
        wait()
    }

    /// The last line of what the child wrote to standard error that says something (FFmpeg's reason comes
    /// last), or `fallback`.
    func reason(or fallback: String) -> String {
        let text = errorText.withLock { String(decoding: errorBytes, as: UTF8.self) }
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        return lines.last { !$0.isEmpty }.map { String($0.prefix(300)) } ?? fallback
    }

    /// Makes writes to a pipe whose reader has gone fail with EPIPE instead of killing this process.
    static func ignoreBrokenPipes() {
        signal(SIGPIPE, SIG_IGN)
    }
}

/// Descriptor I/O that retries interrupted calls and short transfers.
enum Descriptor {
    /// Reads until `count` bytes are in `buffer` or the input ends; returns how many were read, or nil on
    /// a read error (errno says which).
    static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, count: Int) -> Int? {
        var done = 0
        while done < count {
            let result = Foundation.read(descriptor, buffer.baseAddress! + done, count - done)
            if result < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if result == 0 { break }
            done += result
        }
        return done
    }

    /// Writes all of `bytes`; false on a write error (errno says which, EPIPE when the reader has gone).
    static func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var done = 0
        while done < bytes.count {
            let result = Foundation.write(descriptor, bytes.baseAddress! + done, bytes.count - done)
            if result < 0 {
                if errno == EINTR { continue }
                return false
            }
            done += result
        }
        return true
    }
}
