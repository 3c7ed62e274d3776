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
/// Hand-off: the caller stores the work, then publishes it by raising `posted` (sequentially consistent,
/// as is the thread's `sleeping` flag, so that either the caller sees the thread asleep and signals it
/// under the lock, or the thread sees the new work before it waits); the thread runs it and stores
/// `finished`, which the caller spins on after its own half, for at most `spinTime` before it sleeps
/// on a condition of its own that the thread signals (the same pattern with the caller's `waiting`).
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
    private let sleeping = Atomic<Bool>(false)
    private let wake = NSCondition()
    private let waiting = Atomic<Bool>(false)
    private let done = NSCondition()
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
            if sleeping.load(ordering: .sequentiallyConsistent) {
                wake.lock()
                wake.signal()
                wake.unlock()
            }
            body(first)
            if !Self.spin(until: { finished.load(ordering: .acquiring) == ticket }) {
                done.lock()
                waiting.store(true, ordering: .sequentiallyConsistent)
                while finished.load(ordering: .sequentiallyConsistent) != ticket { done.wait() }
                waiting.store(false, ordering: .relaxed)
                done.unlock()
            }
            work = nil
        }
        claimed.store(false, ordering: .releasing)
        return true
    }

    /// Checks `condition` until it holds (true) or `spinTime` has passed (false). Every 128 checks it
    /// yields the core: when the scheduler has put the caller and the thread on one core, the other
    /// gets to run instead of waiting out the spin (without it, two-core selfie runs took 1.3 ms or
    /// 2.8 ms by turns).
    private static func spin(until condition: () -> Bool) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + spinTime
        var spins = 0
        while !condition() {
            spins &+= 1
            if spins & 127 == 0 {
                if clock.now > deadline { return false }
                sched_yield()
            }
        }
        return true
    }

    private func serve() {
        var seen = 0
        while true {
            if !Self.spin(until: { posted.load(ordering: .acquiring) != seen }) {
                wake.lock()
                sleeping.store(true, ordering: .sequentiallyConsistent)
                while posted.load(ordering: .sequentiallyConsistent) == seen { wake.wait() }
                sleeping.store(false, ordering: .relaxed)
                wake.unlock()
            }
            seen = posted.load(ordering: .acquiring)
            runWork()
            finished.store(seen, ordering: .sequentiallyConsistent)
            if waiting.load(ordering: .sequentiallyConsistent) {
                done.lock()
                done.signal()
                done.unlock()
            }
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
