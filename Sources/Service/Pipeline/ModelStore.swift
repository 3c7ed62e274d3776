import Foundation
import Imaging
import Matting
import NIOConcurrencyHelpers

/// Holds the matting networks once loaded. Loading runs in the background from `startLoading()`, so the
/// server answers `/healthz` at once and `/readyz` says 503 until the models are in memory (or says why
/// they failed to load).
public final class ModelStore: Sendable {
    public enum State: Sendable {
        case notStarted
        case loading
        case ready(any PortraitMatting)
        case failed(String)
    }

    private let load: @Sendable () throws -> any PortraitMatting
    private let state = NIOLockedValueBox(State.notStarted)

    /// - Parameter load: builds the matter; runs once, on a background thread.
    public init(load: @escaping @Sendable () throws -> any PortraitMatting) {
        self.load = load
    }

    /// Loads `PortraitMatter` from `directory`, each job using `threads` cores.
    public convenience init(directory: String, threads: Int) {
        self.init { try PortraitMatter(modelDirectory: directory, threads: threads) }
    }

    /// A store that is ready at once with `matter`.
    public convenience init(ready matter: any PortraitMatting) {
        self.init { matter }
        state.withLockedValue { $0 = .ready(matter) }
    }

    public var current: State { state.withLockedValue { $0 } }

    public var isReady: Bool {
        if case .ready = current { return true }
        return false
    }

    /// Starts loading on a thread of its own, once; later calls do nothing.
    public func startLoading() {
        let start: Bool = state.withLockedValue { state in
            guard case .notStarted = state else { return false }
            state = .loading
            return true
        }
        guard start else { return }
        Thread { [load, state] in
            let result: State
            do {
                result = .ready(try load())
            } catch {
                result = .failed("\(error)")
            }
            state.withLockedValue { $0 = result }
        }.start()
    }

    /// Waits until loading has finished (successfully or not), for at most `seconds`.
    public func waitUntilLoaded(seconds: Double) async {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while ContinuousClock.now < deadline {
            switch current {
            case .ready, .failed: return
            case .notStarted, .loading: try? await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    /// The matter, or `ServiceError.notReady` saying why there is none.
    func matter() throws(ServiceError) -> any PortraitMatting {
        switch current {
        case .ready(let matter): return matter
        case .notStarted: throw .notReady("loading has not started")
        case .loading: throw .notReady("still loading")
        case .failed(let reason): throw .notReady(reason)
        }
    }
}
