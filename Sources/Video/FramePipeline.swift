import Foundation

/// Runs a stream of frames through three steps at once, in order where order matters:
///
/// 1. `next` (one at a time, in order): reads the next frame and decides what to do with it.
/// 2. `process` (on `workers` threads at once, any order): the expensive, independent part (the networks).
/// 3. `deliver` (one at a time, in frame order): whatever depends on the frame before (steadying) and the
///    output (compositing, encoding).
///
/// Each worker takes a frame through `process` and then delivers every frame that is due; while one worker
/// runs the networks on frame t, another reads and processes t+1, and FFmpeg decodes and encodes in its own
/// processes alongside. Bounded: a worker does not read a new frame while `window` frames are read but not
/// yet delivered, so memory is that of `window` frames whatever the video's length.
enum FramePipeline {
    /// Runs until `next` returns nil or a step throws, and rethrows the first error. A `process` or
    /// `deliver` failure stops everything at once; a `next` failure ends the input, and is thrown once the
    /// frames read before it have been delivered (so every whole frame of a stream cut short is written).
    static func run<Job, Done>(workers: Int, window: Int,
                               next: @escaping () throws -> Job?,
                               process: @escaping @Sendable (Job) throws -> Done,
                               deliver: @escaping (Done) throws -> Void) throws {
        let state = NSCondition()
        nonisolated(unsafe) var read = 0
        nonisolated(unsafe) var delivered = 0
        nonisolated(unsafe) var ended = false
        nonisolated(unsafe) var failure: (any Error)?
        // A failed read ends the input: the frames read before it are still processed and delivered.
        nonisolated(unsafe) var readFailure: (any Error)?
        nonisolated(unsafe) var finished: [Int: Done] = [:]
        let reading = NSLock(), delivering = NSLock()
        nonisolated(unsafe) let next = next
        nonisolated(unsafe) let deliver = deliver

        @Sendable func fail(_ error: any Error) {
            state.lock()
            if failure == nil { failure = error }
            state.broadcast()
            state.unlock()
        }

        @Sendable func work() {
            while true {
                // Wait for room in the window.
                state.lock()
                while failure == nil && !ended && read - delivered >= window { state.wait() }
                let stop = failure != nil || ended
                state.unlock()
                if stop { return }

                reading.lock()
                // Another worker may have met the end while this one waited to read.
                if state.withLock({ ended || failure != nil }) {
                    reading.unlock()
                    return
                }
                let index: Int
                let job: Job?
                do {
                    job = try next()
                } catch {
                    state.lock()
                    readFailure = error
                    ended = true
                    state.broadcast()
                    state.unlock()
                    reading.unlock()
                    return
                }
                state.lock()
                index = read
                if job == nil { ended = true; state.broadcast() } else { read += 1 }
                state.unlock()
                reading.unlock()
                guard let job else { return }

                let done: Done
                do { done = try process(job) } catch { fail(error); return }

                state.lock()
                finished[index] = done
                state.unlock()
                // Deliver every frame now due, in order, one delivery at a time; a frame parked while
                // another worker delivers is delivered by its own worker right after.
                delivering.lock()
                while true {
                    state.lock()
                    let due = failure == nil ? finished.removeValue(forKey: delivered) : nil
                    state.unlock()
                    guard let due else { break }
                    do {
                        try deliver(due)
                    } catch {
                        delivering.unlock()
                        fail(error)
                        return
                    }
                    state.lock()
                    delivered += 1
                    state.broadcast()
                    state.unlock()
                }
                delivering.unlock()
            }
        }

        let group = DispatchGroup()
        for number in 1..<max(1, workers) {
            group.enter()
            let thread = Thread {
                work()
                group.leave()
            }
            thread.name = "matte-video-\(number)"
            thread.stackSize = 8 << 20
            thread.start()
        }
        work()
        group.wait()
        if let failure { throw failure }
        precondition(delivered == read, "frames were read but not delivered")
        if let readFailure { throw readFailure }
    }
}
