import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import Service
import Testing

/// Slots, queue, refusals and time-outs, with a slow stand-in matter so timing is under the test's control.
@Suite struct BackPressureTests {
    /// Polls `condition` every 10 ms for at most `seconds`.
    static func eventually(seconds: Double = 10, _ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while !condition() {
            if ContinuousClock.now > deadline { return false }
            try await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    @Test func fullSlotsAndQueueAreRefusedAtOnceWithRetryAfter() async throws {
        let configuration = TestApp.configuration {
            $0.slots = 1
            $0.queue = 1
        }
        let (app, state) = try TestApp.make(configuration, models: ModelStore(ready: EllipseMatter(delay: 8)))
        let png = try Samples.png(width: 8, height: 8)
        try await app.test(.router) { client in
            // One runs, one waits; the rest are refused at once.
            async let first = client.matte(png)
            #expect(try await Self.eventually { state.slots.running == 1 })
            async let second = client.matte(png)
            #expect(try await Self.eventually { state.slots.waiting == 1 })
            let refused = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?, ContinuousClock.Duration).self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        let start = ContinuousClock.now
                        let response = try await client.matte(png)
                        #expect(try response.errorBody().code == "busy")
                        return (response.status, response.headers[.retryAfter], ContinuousClock.now - start)
                    }
                }
                var results: [(HTTPResponse.Status, String?, ContinuousClock.Duration)] = []
                for try await result in group { results.append(result) }
                return results
            }
            for (status, retryAfter, elapsed) in refused {
                #expect(status == .serviceUnavailable)
                #expect(Int(retryAfter ?? "") ?? 0 >= 1)
                // Far below the 8 s a running job takes: refusals do not wait for a slot. (Loose, as the
                // test machine may be busy.)
                #expect(elapsed < .seconds(4), "a refusal waited \(elapsed)")
            }
            #expect(try await first.status == .ok)
            #expect(try await second.status == .ok)
            #expect(state.slots.rejected == 3)
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains("matte_inference_rejected_total 3\n"))
            #expect(metrics.contains(#"matte_http_requests_total{route="/v1/matte",method="POST",status="503"} 3"#))
            #expect(metrics.contains(#"matte_http_requests_total{route="/v1/matte",method="POST",status="200"} 2"#))
        }
    }

    @Test func slowJobsTimeOutWith503AndFreeTheRequest() async throws {
        let configuration = TestApp.configuration {
            $0.slots = 1
            $0.requestTimeout = 0.5
        }
        let (app, _) = try TestApp.make(configuration, models: ModelStore(ready: EllipseMatter(delay: 20)))
        try await app.test(.router) { client in
            let start = ContinuousClock.now
            let response = try await client.matte(try Samples.png(width: 8, height: 8))
            // The job takes 20 s; the 0.5 s deadline answers long before (loose: busy test machines).
            #expect(ContinuousClock.now - start < .seconds(10), "the time-out did not cut the wait short")
            #expect(response.status == .serviceUnavailable)
            let error = try response.errorBody()
            #expect(error.code == "processing_timeout")
            #expect(error.message.contains("0.5 s"))
            try await client.expectAlive()
        }
    }

    @Test func slotsHandOverInArrivalOrder() async throws {
        let slots = InferenceSlots(slots: 1, queueLimit: 3)
        let order = OrderLog()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<4 {
                group.addTask {
                    try await Task.sleep(for: .milliseconds(index * 100))
                    try await slots.run {
                        order.append(index)
                        Thread.sleep(forTimeInterval: 0.1)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(order.values == [0, 1, 2, 3])
        #expect(slots.running == 0 && slots.waiting == 0 && slots.rejected == 0)
    }

    @Test func cancelledWaitersLeaveTheQueue() async throws {
        let slots = InferenceSlots(slots: 1, queueLimit: 1)
        let blocker = Task { try await slots.run { Thread.sleep(forTimeInterval: 1) } }
        #expect(try await Self.eventually { slots.running == 1 })
        let waiter = Task { try await slots.run { 1 } }
        #expect(try await Self.eventually { slots.waiting == 1 })
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(slots.waiting == 0)
        // The queue place is free again.
        let next = Task { try await slots.run { 2 } }
        try await blocker.value
        #expect(try await next.value == 2)
        #expect(slots.running == 0)
    }
}

final class OrderLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Int] = []
    func append(_ value: Int) { lock.withLock { stored.append(value) } }
    var values: [Int] { lock.withLock { stored } }
}
