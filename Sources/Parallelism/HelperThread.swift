import Foundation
import Synchronization

/// One thread kept for `parallelFor`'s two-way splits, which spins for a while after each piece of work
/// before it sleeps: a network's steps come every few tens of microseconds, and waking a sleeping
/// thread for each (the global dispatch queue) cost more than the smaller steps themselves. The
/// selfie network (59 M multiply-adds, ~100 steps) was slower on two cores that way than on one.
///
/// One caller at a time: `run` returns false at once, running nothing, while another caller holds the
/// thread, and that caller goes the dispatch queue's way. After `spinTime` without work the thread
/// sleeps on a condition until the next `run`, so an idle process does not spin.
///
/// Hand-off: the caller stores the work, then publishes it by raising `posted`; the thread runs it and
/// stores `finished`, which the caller waits for after its own half. Each side waits the same way
/// (`SpinThenSleep`): a spin, then a sleep that the other side ends.
@usableFromInline
final class HelperThread: @unchecked Sendable {
    @usableFromInline
    static let shared = HelperThread()

    /// How long either side spins before it sleeps: the thread for the next piece of work, the caller for
    /// the thread's half.
    static let spinTime = Duration.microseconds(100)

    private let claimed = Atomic<Bool>(false)
    private let posted = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    /// How the thread waits for `posted`, and the caller for `finished`.
    private let threadWait = SpinThenSleep(), callerWait = SpinThenSleep()
    /// The work and its range, written by the caller before `posted` is raised, read by the thread after.
    private nonisolated(unsafe) var work: ((Range<Int>) -> Void)?
    private nonisolated(unsafe) var range = 0..<0

    private init() {
        let thread = Thread { [unowned self] in self.serve() }
        thread.name = "matte-helper"
        thread.start()
    }

    /// Runs `body(first)` on the calling thread and `body(second)` on the helper at the same time, and
    /// returns true when both are done; false at once, with nothing run, when another caller has the
    /// helper.
    @usableFromInline
    func run(_ body: (Range<Int>) -> Void, first: Range<Int>, second: Range<Int>) -> Bool {
        guard claimed.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            return false
        }
        withoutActuallyEscaping(body) { body in
            work = body
            range = second
            let ticket = posted.load(ordering: .relaxed) + 1
            posted.store(ticket, ordering: .sequentiallyConsistent)
            threadWait.wake()
            body(first)
            callerWait.wait { finished.load(ordering: .sequentiallyConsistent) == ticket }
            work = nil
        }
        claimed.store(false, ordering: .releasing)
        return true
    }

    private func serve() {
        var seen = 0
        while true {
            threadWait.wait { posted.load(ordering: .sequentiallyConsistent) != seen }
            seen = posted.load(ordering: .acquiring)
            runWork()
            finished.store(seen, ordering: .sequentiallyConsistent)
            callerWait.wake()
        }
    }

    /// The posted work on its range; a function of its own, so that its hold on the closure ends before
    /// `finished` tells the caller it may return.
    @inline(never)
    private func runWork() {
        let body = work.unsafelyUnwrapped
        body(range)
    }
}

/// One side's wait for the other: `wait(until:)` spins for up to `HelperThread.spinTime`, then sleeps
/// until the other side, having made the condition true, calls `wake()`. The condition reads, and the
/// other side writes, with sequentially consistent ordering, as `asleep` is written and read: so either
/// the waker sees the waiter asleep and signals it under the lock, or the waiter sees the condition
/// true before it sleeps.
private final class SpinThenSleep {
    private let asleep = Atomic<Bool>(false)
    private let condition = NSCondition()

    func wait(until done: () -> Bool) {
        if Self.spin(until: done) { return }
        condition.lock()
        asleep.store(true, ordering: .sequentiallyConsistent)
        while !done() { condition.wait() }
        asleep.store(false, ordering: .relaxed)
        condition.unlock()
    }

    func wake() {
        guard asleep.load(ordering: .sequentiallyConsistent) else { return }
        condition.lock()
        condition.signal()
        condition.unlock()
    }

    /// Checks `done` until it holds (true) or `spinTime` has passed (false). Every 128 checks it yields
    /// the core: when the scheduler has put the caller and the thread on one core, the other gets to
    /// run instead of waiting out the spin (without it, two-core selfie runs took 1.3 ms or 2.8 ms by
    /// turns).
    private static func spin(until done: () -> Bool) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + HelperThread.spinTime
        var spins = 0
        while !done() {
            spins &+= 1
            if spins & 127 == 0 {
                if clock.now > deadline { return false }
                sched_yield()
            }
        }
        return true
    }
}
