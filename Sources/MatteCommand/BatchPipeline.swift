import Foundation

/// Runs a batch's inputs through three stages that overlap from one input to the next, in input order:
/// `decode` (read and decode) on a thread of its own, `matte` on the calling thread, `finish` (encode,
/// write, report) on a thread of its own. While input n is matted, input n + 1 is decoded and input n - 1
/// encoded and written, so the serial parts of one photo fill the cores the networks leave idle.
///
/// Bounded: a stage starts on an input only once the next stage has taken the previous one, so at most
/// two inputs are in flight besides the one being matted, and memory stays that of three photos.
/// A stage's error travels with its input to `finish`, which reports it; the other inputs go on.
enum BatchPipeline {
    static func run<Decoded: Sendable, Matted: Sendable>(
        _ indices: Range<Int>,
        decode: @escaping @Sendable (Int) throws -> Decoded,
        matte: (Int, Decoded) throws -> Matted,
        finish: @escaping @Sendable (Int, Result<Matted, any Error>) -> Void
    ) {
        let decoded = Handoff<(Int, Result<Decoded, any Error>)>()
        let matted = Handoff<(Int, Result<Matted, any Error>)>()
        let decoder = Thread {
            for index in indices {
                decoded.put((index, Result { try decode(index) }))
            }
        }
        decoder.name = "matte-decode"
        decoder.start()
        let finisher = Thread {
            for _ in indices {
                let (index, outcome) = matted.take()
                finish(index, outcome)
                matted.markDone()
            }
        }
        finisher.name = "matte-finish"
        finisher.start()
        for _ in indices {
            let (index, input) = decoded.take()
            matted.put((index, input.flatMap { value in Result { try matte(index, value) } }))
        }
        matted.waitUntilDone(count: indices.count)
    }
}

/// One value at a time from one thread to another, hand to hand: `put` returns once the value is taken,
/// `take` waits for a value. The giver holds on to what it made until the taker is ready for it, and
/// makes nothing more meanwhile.
final class Handoff<Value: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var value: Value?
    private var done = 0

    func put(_ newValue: Value) {
        condition.lock()
        while value != nil { condition.wait() }
        value = newValue
        condition.broadcast()
        while value != nil { condition.wait() }
        condition.unlock()
    }

    func take() -> Value {
        condition.lock()
        while value == nil { condition.wait() }
        let taken = value!
        value = nil
        condition.broadcast()
        condition.unlock()
        return taken
    }

    /// Counts one value fully handled by the taker.
    func markDone() {
        condition.lock()
        done += 1
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until `markDone` has been called `count` times.
    func waitUntilDone(count: Int) {
        condition.lock()
        while done < count { condition.wait() }
        condition.unlock()
    }
}
