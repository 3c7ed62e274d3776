import Foundation
@testable import Inference

/// SplitMix64: a small seeded generator, so every fuzz input can be reproduced from its iteration number.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Damages model files of one format, reproducibly from its seed.
protocol ModelMutating {
    /// Damages a copy of a valid model, where damage reaches the format's structure.
    mutating func mutate(_ bytes: inout [UInt8])
    /// Random bytes, often dressed as the format (its identifier, plausible headers).
    mutating func randomBytes() -> [UInt8]
}

/// One fuzz run over one source model: `count` inputs, a tenth random bytes and the rest copies of
/// `original` damaged one to three times, each given to `read`, which must return or throw
/// `ModelError`, never trap. Stops early at `deadline`.
struct ModelFuzzing<Mutator: ModelMutating> {
    var mutator: Mutator
    /// Inputs read, of them random, and accepted.
    private(set) var run = 0, randomInputs = 0, accepted = 0
    /// Refusals by `ModelError` kind.
    private(set) var refusals: [String: Int] = [:]
    private(set) var slowest = Duration.zero
    private(set) var elapsed = Duration.zero

    init(mutator: Mutator) {
        self.mutator = mutator
    }

    mutating func fuzz(_ original: [UInt8], count: Int, deadline: ContinuousClock.Instant,
                       read: ([UInt8]) throws(ModelError) -> Void) {
        let clock = ContinuousClock()
        let start = clock.now
        for iteration in 0..<count {
            guard clock.now < deadline else { break }
            var bytes: [UInt8]
            if iteration % 10 == 9 {
                bytes = mutator.randomBytes()
                randomInputs += 1
            } else {
                bytes = original
                for _ in 0..<(1 + iteration % 3) { mutator.mutate(&bytes) }
            }
            let readStart = clock.now
            do throws(ModelError) {
                try read(bytes)
                accepted += 1
            } catch {
                let kind = switch error {
                case .truncated: "truncated"
                case .malformed: "malformed"
                case .unsupported: "unsupported"
                case .invalidInput: "invalidInput"
                }
                refusals[kind, default: 0] += 1
            }
            slowest = max(slowest, clock.now - readStart)
            run += 1
        }
        elapsed = clock.now - start
    }

    /// One line: how many inputs of each kind, and what became of them.
    func summary(source: String) -> String {
        "\(run) inputs from \(source) (\(run - randomInputs) damaged copies, \(randomInputs) random) in \(elapsed): "
            + "\(accepted) read, refused "
            + refusals.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            + "; slowest read \(slowest)"
    }
}
