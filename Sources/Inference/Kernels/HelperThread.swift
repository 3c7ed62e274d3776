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
/// `finished`, which the caller spins on after its own half.
@usableFromInline
final class HelperThread: @unchecked Sendable {
    @usableFromInline
    static let shared = HelperThread()

    /// How long the thread spins for the next piece of work before it sleeps.
    static let spinTime = Duration.microseconds(100)

    private let claimed = Atomic<Bool>(false)
    private let posted = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let sleeping = Atomic<Bool>(false)
    private let wake = NSCondition()
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
            while finished.load(ordering: .acquiring) != ticket {}
            work = nil
        }
        claimed.store(false, ordering: .releasing)
        return true
    }

    private func serve() {
        let clock = ContinuousClock()
        var seen = 0
        while true {
            var ticket = posted.load(ordering: .acquiring)
            if ticket == seen {
                let deadline = clock.now + Self.spinTime
                var spins = 0
                while ticket == seen {
                    spins &+= 1
                    if spins & 255 == 0 && clock.now > deadline { break }
                    ticket = posted.load(ordering: .acquiring)
                }
                if ticket == seen {
                    wake.lock()
                    sleeping.store(true, ordering: .sequentiallyConsistent)
                    ticket = posted.load(ordering: .sequentiallyConsistent)
                    while ticket == seen {
                        wake.wait()
                        ticket = posted.load(ordering: .sequentiallyConsistent)
                    }
                    sleeping.store(false, ordering: .relaxed)
                    wake.unlock()
                }
            }
            seen = ticket
            runWork()
            finished.store(ticket, ordering: .releasing)
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
