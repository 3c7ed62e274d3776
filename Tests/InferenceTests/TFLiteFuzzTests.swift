import Foundation
import Testing
@testable import Inference

/// Damages a valid model in the ways a broken download or a hostile file would.
struct FlatBufferMutator: ModelMutating {
    /// 4-aligned positions of the original whose `uint32` looks like an offset into the file: mostly
    /// FlatBuffer references, so damage there reaches the structure rather than weight bytes.
    let referencePositions: [Int]
    var random: SplitMix64

    init(original: [UInt8], seed: UInt64) {
        var positions: [Int] = []
        for position in stride(from: 0, to: original.count - 3, by: 4) {
            let value = Int(original[position]) | Int(original[position + 1]) << 8
                | Int(original[position + 2]) << 16 | Int(original[position + 3]) << 24
            if value > 0, value < original.count { positions.append(position) }
        }
        referencePositions = positions.isEmpty ? [0] : positions
        random = SplitMix64(seed: seed)
    }

    /// A position in `bytes`: half the time near a likely reference, else anywhere.
    private mutating func position(in bytes: [UInt8]) -> Int {
        guard !bytes.isEmpty else { return 0 }
        if Bool.random(using: &random) {
            let near = referencePositions.randomElement(using: &random)! + Int.random(in: -8...8, using: &random)
            return min(max(near, 0), bytes.count - 1)
        }
        return Int.random(in: 0..<bytes.count, using: &random)
    }

    private mutating func write(_ value: UInt32, at position: Int, in bytes: inout [UInt8]) {
        for index in 0..<4 where position + index < bytes.count {
            bytes[position + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(index)))
        }
    }

    mutating func mutate(_ bytes: inout [UInt8]) {
        switch Int.random(in: 0..<7, using: &random) {
        case 0:  // flip bytes
            for _ in 0..<Int.random(in: 1...8, using: &random) where !bytes.isEmpty {
                let at = position(in: bytes)
                bytes[at] ^= UInt8.random(in: 1...255, using: &random)
            }
        case 1:  // truncate, often inside the FlatBuffer's own tables
            let limit = Bool.random(using: &random) ? min(bytes.count, 8192) : bytes.count
            bytes.removeLast(bytes.count - Int.random(in: 0...limit, using: &random))
        case 2:  // insert random bytes
            let insertion = (0..<Int.random(in: 1...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            bytes.insert(contentsOf: insertion, at: bytes.isEmpty ? 0 : position(in: bytes))
        case 3:  // delete a range
            guard !bytes.isEmpty else { return }
            let start = position(in: bytes)
            bytes.removeSubrange(start..<min(bytes.count, start + Int.random(in: 1...256, using: &random)))
        case 4:  // overwrite with a large or boundary uint32
            let count = UInt32(truncatingIfNeeded: bytes.count)
            let values: [UInt32] = [.max, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFC, 0xFFFF, 0x1_0000, count, count &- 1,
                                    count &+ 4, 0, UInt32.random(in: 0...(.max), using: &random)]
            write(values.randomElement(using: &random)!, at: position(in: bytes), in: &bytes)
        case 5:  // nudge a likely reference by a few bytes (misaligned or neighbouring objects)
            let at = referencePositions.randomElement(using: &random)!
            guard at + 4 <= bytes.count else { return }
            let value = UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16
                | UInt32(bytes[at + 3]) << 24
            write(value &+ UInt32(bitPattern: Int32.random(in: -16...16, using: &random)), at: at, in: &bytes)
        default:  // copy a range over another (structure pasted where it does not belong)
            guard bytes.count > 8 else { return }
            let from = position(in: bytes), to = position(in: bytes)
            let length = min(Int.random(in: 4...64, using: &random), bytes.count - max(from, to))
            if length > 0 { bytes.replaceSubrange(to..<(to + length), with: bytes[from..<(from + length)]) }
        }
    }

    /// Random bytes, half of them carrying the TFLite identifier and a small root offset.
    mutating func randomBytes() -> [UInt8] {
        var bytes = (0..<Int.random(in: 0..<1024, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
        if bytes.count >= 8, Bool.random(using: &random) {
            write(UInt32.random(in: 0..<UInt32(bytes.count), using: &random), at: 0, in: &bytes)
            bytes.replaceSubrange(4..<8, with: Array("TFL3".utf8))
        }
        return bytes
    }
}

@Suite struct TFLiteFuzzTests {
    /// Every damaged or random input gives a Graph or a ModelError: no trap, no hang. Inputs are damaged
    /// copies of the real selfie model (when present) and of the hand-built model, whose small tables are
    /// cheap to read and easy to damage in structurally interesting ways; a tenth are random bytes.
    /// `MATTE_FUZZ_ITERATIONS` sets the count per source for longer local runs (and lifts the time limit).
    @Test func damagedModelsNeverTrap() {
        #if DEBUG
        var iterations = 1_000
        #else
        var iterations = 20_000
        #endif
        var timeLimit = Duration.seconds(50)
        if let text = ProcessInfo.processInfo.environment["MATTE_FUZZ_ITERATIONS"], let count = Int(text) {
            iterations = count
            timeLimit = .seconds(86_400)
        }
        var sources: [(name: String, bytes: [UInt8], iterations: Int)] = []
        if let portrait = SelfieModels.portrait {
            sources.append(("selfie_segmentation.tflite", portrait, iterations))
        } else {
            print("TFLite fuzz: \(SelfieModels.skipMessage); fuzzing the hand-built model only")
        }
        sources.append(("the hand-built model", tinyModel().bytes(trailing: appendedZip), iterations * 5))
        let clock = ContinuousClock()
        let start = clock.now
        var total = 0
        for (name, original, count) in sources {
            var fuzzing = ModelFuzzing(mutator: FlatBufferMutator(original: original, seed: 0x7F1C_E5EED))
            fuzzing.fuzz(original, count: count, deadline: start + timeLimit) { bytes throws(ModelError) in
                _ = try TFLiteReader.read(bytes)
            }
            print("TFLite fuzz: " + fuzzing.summary(source: name))
            total += fuzzing.run
        }
        let elapsed = clock.now - start
        let planned = sources.reduce(0) { $0 + $1.iterations }
        print("TFLite fuzz: \(total) of \(planned) planned inputs in \(elapsed)")
        #expect(total >= min(planned, 1_000))
        #if !DEBUG
        #expect(total == planned, "the time limit cut the run short")
        #endif
    }
}
