#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether `MATTE_FUZZ_VERBOSE` is set: each target then prints what became of every input it runs (read,
/// refused and why, planned), which is what one wants when replaying a reproducer or checking that seeds
/// get past the first checks. Off while fuzzing: printing would dominate the time of a run.
public let verbose = getenv("MATTE_FUZZ_VERBOSE") != nil

/// Prints `message` on standard error when `verbose` is on.
public func report(_ message: @autoclosure () -> String) {
    guard verbose else { return }
    var line = message() + "\n"
    line.withUTF8 { text in _ = write(2, text.baseAddress, text.count) }
}

/// The fuzz input as an array, the form every reader takes.
public func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}
