import Dispatch
import Foundation
import Synchronization
import Testing
@testable import Parallelism

/// `parallelFor`'s two-way splits through the `HelperThread`: every index exactly once, over many
/// hand-offs in a row, after the helper has gone to sleep, and with callers contending for it (the
/// losers take the dispatch queue).
struct HelperThreadTests {
    /// Counts each index `parallelFor` hands out (chunks are disjoint, so each count has one writer).
    static func counts(_ count: Int, threads: Int) -> [Int] {
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: count)
        defer { counts.deallocate() }
        counts.initialize(repeating: 0)
        nonisolated(unsafe) let shared = counts
        parallelFor(count, threads: threads) { range in
            for index in range { shared[index] += 1 }
        }
        return Array(counts)
    }

    @Test func manyHandOffsInARowCoverEveryIndexOnce() {
        for round in 0..<20_000 {
            let count = 2 + round % 37
            #expect(Self.counts(count, threads: 2) == [Int](repeating: 1, count: count))
        }
    }

    @Test func wakesAfterSleeping() async throws {
        for _ in 0..<5 {
            try await Task.sleep(for: HelperThread.spinTime * 20)
            #expect(Self.counts(100, threads: 2) == [Int](repeating: 1, count: 100))
        }
    }

    /// Both halves really run at once: each waits for the other to start.
    @Test func halvesRunTogether() {
        let started = Atomic<Int>(0)
        parallelFor(2, threads: 2) { _ in
            started.add(1, ordering: .sequentiallyConsistent)
            while started.load(ordering: .sequentiallyConsistent) < 2 {}
        }
        #expect(started.load(ordering: .relaxed) == 2)
    }

    @Test func contendingCallersAllFinish() {
        let callers = 4, rounds = 2_000
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: callers) { _ in
            for round in 0..<rounds {
                let count = 2 + round % 23
                if Self.counts(count, threads: 2) != [Int](repeating: 1, count: count) {
                    failures.add(1, ordering: .relaxed)
                }
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
    }

    /// The helper is free again after each call, and a nested split inside a half (the helper taken by
    /// its caller) goes the dispatch queue's way instead of waiting for itself.
    @Test func nestedSplitsDoNotWaitForThemselves() {
        let total = Atomic<Int>(0)
        parallelFor(2, threads: 2) { _ in
            parallelFor(10, threads: 2) { range in total.add(range.count, ordering: .relaxed) }
        }
        #expect(total.load(ordering: .relaxed) == 20)
        #expect(HelperThread.shared.run({ _ in }, first: 0..<1, second: 1..<2))
    }
}

extension HelperThreadTests {
    /// A caller whose half ends long before the helper's stops spinning and sleeps until it is woken.
    @Test func unevenHalvesFinish() {
        for _ in 0..<20 {
            let total = Atomic<Int>(0)
            parallelFor(2, threads: 2) { range in
                if range.lowerBound == 1 { usleep(2_000) }
                total.add(1, ordering: .relaxed)
            }
            #expect(total.load(ordering: .relaxed) == 2)
        }
    }
}
