import Foundation
import Parallelism

/// A graph made ready to run for fixed input shapes: shapes inferred, kernels chosen and weights packed
/// once, and every intermediate value given a place in one arena (`ArenaPlanner`) whose size is near
/// the largest set of values alive at once (a value's space is reused after its last reader).
///
/// `run` keeps no state between calls, so one plan serves concurrent callers; each call has an arena
/// of its own. Arenas of finished calls are kept for the next (up to `keptArenas`): a fresh one's
/// pages are faulted in and zeroed by the kernel on first touch, which for U-2-Net-p's arena (tens of
/// MB) cost tens of milliseconds a run. The kept memory is freed with the plan.
///
/// A convolution that adds a residual read for the last time writes its output over the residual
/// (its kernels read each residual element just before they write the same output element): each of
/// U-2-Net-p's residual blocks otherwise holds two copies of its widest tensor at once (64 channels
/// at 320x320, 26 MB) as it ends.
///
/// Model constants live in one place once the plan is built. A convolution's weights and bias stay
/// only in its packed layout (`PackedConvolution`), which is what its kernel reads; the plan copies
/// into storage of its own only the constants other steps read as operands (`constants`), and keeps
/// no reference to the graph. A caller that drops the graph, and the file's bytes it came from, once
/// the plan is built (as the matting pipeline's loaders do) holds each weight once: U-2-Net-p's 1.13 M
/// constant floats as 4.5 MB packed, none unpacked; the selfie network's 106 K as 0.45 MB packed and
/// 65 floats unpacked (`constantCounts`). Plans used to keep an unpacked copy of every constant
/// too: `matte serve` holding both networks was 4.8 MB larger after warm-up (188.4 against
/// 183.6 MB resident, medians of five) and one `matte` run on a photo peaked 5.2 MB higher (161.9
/// against 156.7 MB).
public final class ExecutionPlan: @unchecked Sendable {
    /// Idle arenas kept at most: one per concurrent caller expected.
    static let keptArenas = 2
    /// Where a step reads an operand.
    enum Operand {
        /// `count` floats at `offset` in the run's arena.
        case arena(offset: Int, count: Int)
        /// A constant tensor owned by the plan.
        case constant(Int)

        var isArena: Bool {
            if case .arena = self { true } else { false }
        }
    }

    struct Step {
        var node: String
        var kernel: PreparedKernel
        var inputs: [Operand]
        var inputShapes: [[Int]]
        /// Arena offsets of the outputs.
        var outputs: [Int]
        var outputShapes: [[Int]]
    }

    public let inputNames: [String]
    public let inputShapes: [[Int]]
    public let outputNames: [String]
    public let outputShapes: [[Int]]
    /// Floats in one run's arena.
    public let arenaCount: Int
    /// Multiply-adds of one run in convolutions.
    public let multiplyAdds: Int
    /// What the packed convolutions multiply in, as run on this CPU (`fp32` for a reference plan);
    /// with `bf16`, the layers `PackedConvolution` cannot run in bfloat16 still run in float32.
    public let precision: Precision

    let steps: [Step]
    /// The constant tensors steps read as operands (transposed convolutions' weights and biases,
    /// constant operands of elementwise steps; in a reference plan every constant), copied into
    /// storage the plan owns so their addresses stay fixed. A packed convolution's weights and bias
    /// are not among them: only its packed copy is kept (see the type's comment).
    let constants: [UnsafeMutableBufferPointer<Float>]
    let reference: Bool
    let inputOffsets: [Int]
    let outputOperands: [Operand]
    /// Arenas of finished runs, each `arenaCount` floats (at least 1), guarded by `arenaLock`.
    private var idleArenas: [UnsafeMutablePointer<Float>] = []
    /// Whether `prepareArena` is touching an arena now (guarded by `arenaLock`).
    private var preparing = false
    /// Guards `idleArenas` and `preparing`; signalled when a preparation ends.
    private let arenaLock = NSCondition()

    /// - Parameters:
    ///   - graph: the model.
    ///   - inputShapes: shapes for the graph's inputs, in order; nil keeps the shapes the file states.
    ///   - reference: run every operator through its slow reference kernel (for testing).
    ///   - precision: what the packed convolutions multiply in (`Precision`; `bf16` runs as `fp32` on a
    ///     CPU without AVX512_BF16). Not used by a reference plan.
    ///   - float32Nodes: names of convolution nodes that stay float32 in a bf16 plan (layers whose
    ///     rounding moves the outputs most; see `SalientObjectDetector`).
    public init(graph: Graph, inputShapes givenShapes: [[Int]]? = nil, reference: Bool = false,
                precision: Precision = .preferred, float32Nodes: Set<String> = []) throws(ModelError) {
        let precision = reference ? .fp32 : precision.effective
        self.precision = precision
        let graph = graph.fusingActivations()
        var shapes = [[Int]?](repeating: nil, count: graph.values.count)
        for (id, value) in graph.values.enumerated() {
            if let constant = value.constant { shapes[id] = constant.shape }
        }
        func isConstant(_ id: ValueID) -> Bool { graph.values[id].constant != nil }
        guard !graph.inputs.isEmpty, !graph.outputs.isEmpty else { throw .malformed("graph has no inputs or no outputs") }
        for (position, id) in graph.inputs.enumerated() {
            guard graph.values.indices.contains(id) else { throw .malformed("graph input \(id) out of range") }
            let shape = givenShapes.map { position < $0.count ? $0[position] : [] } ?? graph.values[id].shape
            guard let shape, !shape.isEmpty, shape.allSatisfy({ $0 > 0 }) else {
                throw .invalidInput("input \(graph.values[id].name) needs a positive shape")
            }
            guard checkedCount(shape) != nil else { throw .invalidInput("input shape \(shape) too large") }
            shapes[id] = shape
        }

        // Shapes, in node order.
        for node in graph.nodes {
            var inputShapes: [[Int]] = []
            for id in node.inputs {
                guard graph.values.indices.contains(id), let shape = shapes[id] else {
                    throw .malformed("node \(node.name) reads a value that is not produced before it")
                }
                inputShapes.append(shape)
            }
            let outputShapes = try ShapeInference.outputShapes(of: node, inputs: inputShapes)
            guard outputShapes.count == node.outputs.count else {
                throw .malformed("node \(node.name) has \(node.outputs.count) outputs, expected \(outputShapes.count)")
            }
            for (id, shape) in zip(node.outputs, outputShapes) {
                guard graph.values.indices.contains(id), shapes[id] == nil else {
                    throw .malformed("node \(node.name) writes value \(id) that is already defined or out of range")
                }
                guard shape.allSatisfy({ $0 > 0 }), let count = checkedCount(shape), count <= 1 << 30 else {
                    throw .malformed("node \(node.name) output shape \(shape) is empty or too large")
                }
                shapes[id] = shape
            }
        }
        for id in graph.outputs {
            guard graph.values.indices.contains(id), shapes[id] != nil else { throw .malformed("graph output \(id) is never produced") }
        }

        // The nodes that become steps, with the values each step reads and writes: a convolution
        // that gathers its input (a concatenation, resizes, poolings) reads the values they read
        // in place of its input `x`; one that adds a residual runs where the addition was, reads
        // the residual last and writes the addition's output.
        let gathered = reference ? [:] : graph.inputsGatheredByConvolutions(shapes: shapes)
        let residuals = reference ? [:] : graph.residualsAddedByConvolutions(shapes: shapes)
        let absorbed = Set(gathered.values.flatMap { [$0.concatenation].compactMap { $0 } + $0.producers.compactMap { $0 } })
            .union(residuals.values.map(\.convolution))
        var scheduled: [ScheduledNode] = []
        for (index, node) in graph.nodes.enumerated() where !absorbed.contains(index) {
            let residual = residuals[index]
            let convolutionIndex = residual?.convolution ?? index
            var step = ScheduledNode(node: graph.nodes[convolutionIndex], reads: graph.nodes[convolutionIndex].inputs,
                                     writes: node.outputs, inputParts: [nil], residual: residual != nil)
            if let gathering = gathered[convolutionIndex] {
                var parts = gathering.concatenation.map { graph.nodes[$0].inputs } ?? [step.node.inputs[0]]
                step.inputParts = []
                for (position, producerIndex) in gathering.producers.enumerated() {
                    guard let producerIndex else {
                        step.inputParts.append(nil)
                        continue
                    }
                    let producer = graph.nodes[producerIndex]
                    parts[position] = producer.inputs[0]
                    let inputShape = shapes[parts[position]]!
                    switch producer.operation {
                    case .resize(let resize):
                        step.inputParts.append(.resize(ResizeRows(resize, inputShape: inputShape)))
                    case .pool(let pooling):
                        step.inputParts.append(.pool(PoolRows(
                            kind: pooling.kind, geometry: try PoolingGeometry(inputShape: inputShape, pooling: pooling))))
                    default:
                        preconditionFailure("node \(producer.name) cannot produce rows")
                    }
                }
                step.reads = parts + step.node.inputs.dropFirst()
            }
            if let residual { step.reads.append(residual.residual) }
            scheduled.append(step)
        }
        var lastUse = [Int](repeating: -1, count: graph.values.count)
        for (position, step) in scheduled.enumerated() {
            for id in step.reads { lastUse[id] = position }
        }
        for id in graph.outputs { lastUse[id] = Int.max }

        // The arena: every value gets a block with the span of steps it is alive in, and the
        // blocks are placed once all spans are known (`ArenaPlanner`).
        var lifetimes: [ArenaPlanner.Lifetime] = []
        var block = [Int?](repeating: nil, count: graph.values.count)
        func addBlock(_ id: ValueID, writtenAt position: Int) {
            block[id] = lifetimes.count
            lifetimes.append(.init(first: position, last: max(position, lastUse[id]), count: shapes[id]!.reduce(1, *)))
        }
        for id in graph.inputs where !isConstant(id) { addBlock(id, writtenAt: -1) }
        var kernels: [PreparedKernel] = []
        var stepReads: [[ValueID]] = []
        var multiplyAdds = 0
        for (position, step) in scheduled.enumerated() {
            let node = step.node
            let kernel = try PreparedKernel(node: node, inputShapes: node.inputs.map { shapes[$0]! },
                                            outputShapes: step.writes.map { shapes[$0]! },
                                            constants: node.inputs.map { graph.values[$0].constant?.scalars },
                                            inputParts: step.inputParts, residual: step.residual, reference: reference,
                                            precision: float32Nodes.contains(node.name) ? .fp32 : precision)
            multiplyAdds += kernel.multiplyAdds
            // A packed convolution holds its weights and bias in its own layout: it reads only its
            // input parts and residual, so the plan keeps no unpacked copy of them.
            var reads = step.reads
            if case .convolution = kernel {
                // After the parts: the weights, and the bias if any.
                let weightsPosition = step.inputParts.count
                reads.removeSubrange(weightsPosition..<(weightsPosition + node.inputs.count - 1))
            }
            // A residual read here for the last time lends its block to the output (see the type's
            // comment), unless the convolution also reads it as an input.
            let lent: ValueID? = step.residual ? reads.last.flatMap { residual in
                lastUse[residual] == position && !isConstant(residual) && !reads.dropLast().contains(residual)
                    && shapes[residual]! == shapes[step.writes[0]]! ? residual : nil
            } : nil
            for id in step.writes {
                if let lent, id == step.writes[0] {
                    block[id] = block[lent]
                    lifetimes[block[lent]!].last = max(position, lastUse[id])
                } else {
                    addBlock(id, writtenAt: position)
                }
            }
            kernels.append(kernel)
            stepReads.append(reads)
        }
        let (blockOffsets, arenaCount) = ArenaPlanner.place(lifetimes)

        // The constants some step or output reads from the plan's storage, in order of first use,
        // and where each graph constant sits among them.
        var keptConstants: [[Float]] = []
        var keptIndex = [Int?](repeating: nil, count: graph.values.count)
        func operand(_ id: Int) -> Operand {
            if let constant = graph.values[id].constant {
                if let index = keptIndex[id] { return .constant(index) }
                keptIndex[id] = keptConstants.count
                keptConstants.append(constant.scalars)
                return .constant(keptConstants.count - 1)
            }
            return .arena(offset: blockOffsets[block[id]!], count: shapes[id]!.reduce(1, *))
        }
        let inputOffsets = graph.inputs.filter { !isConstant($0) }.map { blockOffsets[block[$0]!] }
        let steps = scheduled.indices.map { position in
            let writes = scheduled[position].writes, reads = stepReads[position]
            return Step(node: scheduled[position].node.name, kernel: kernels[position], inputs: reads.map(operand),
                        inputShapes: reads.map { shapes[$0]! }, outputs: writes.map { blockOffsets[block[$0]!] },
                        outputShapes: writes.map { shapes[$0]! })
        }
        let outputOperands = graph.outputs.map(operand)
        self.steps = steps
        self.reference = reference
        self.constants = keptConstants.map { values in
            let storage = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(values.count, 1))
            _ = storage.initialize(from: values)
            return storage
        }
        self.inputOffsets = inputOffsets
        self.outputOperands = outputOperands
        self.arenaCount = arenaCount
        self.multiplyAdds = multiplyAdds
        self.inputNames = graph.inputs.map { graph.values[$0].name }
        self.inputShapes = graph.inputs.map { shapes[$0]! }
        self.outputNames = graph.outputs.map { graph.values[$0].name }
        self.outputShapes = graph.outputs.map { shapes[$0]! }
    }

    /// One line per step, in run order, for per-layer profiles: node name, kernel, shapes read and written.
    public var stepDescriptions: [String] {
        steps.map { step in
            let shapes = step.inputShapes.enumerated().filter { step.inputs[$0.offset].isArena }.map { "\($0.element)" }
            return "\(step.node): \(step.kernel.kind) \(shapes.joined(separator: " ")) -> \(step.outputShapes[0])"
        }
    }

    /// Multiply-adds of each step (0 for steps that are not convolutions), in run order.
    public var stepMultiplyAdds: [Int] { steps.map(\.kernel.multiplyAdds) }

    /// Floats of model constants the plan keeps: `packed` in the packed convolutions' own layouts
    /// (zero padding included), `unpacked` as the graph gave them, for steps that read them as operands.
    public var constantCounts: (packed: Int, unpacked: Int) {
        let packed = steps.reduce(0) { sum, step in
            if case .convolution(let convolution, _, _) = step.kernel { sum + convolution.packedCount } else { sum }
        }
        return (packed, constants.reduce(0) { $0 + $1.count })
    }

    /// Runs the graph on `inputs` (one tensor per graph input, shapes as planned) using up to `threads`
    /// cores. Each step splits its work by its own measure of what is worth a second core; two-way
    /// splits go to the `HelperThread`, which stays awake between steps, so even the selfie network's
    /// small steps gain (bf16, Zen 4: 2.2 ms on one core, 1.33 on two; when each step woke a thread of
    /// the dispatch queue, two cores were slower than one).
    ///
    /// - Parameter profile: when given, called after each step, in the order of `stepDescriptions`,
    ///   with the kernel's kind (operator, and kernel size for convolutions) and the step's duration.
    public func run(_ inputs: [Tensor], threads: Int = 1,
                    profile: ((String, Duration) -> Void)? = nil) throws(ModelError) -> [Tensor] {
        guard inputs.count == inputOffsets.count else {
            throw .invalidInput("expected \(inputOffsets.count) inputs, got \(inputs.count)")
        }
        for (tensor, shape) in zip(inputs, inputShapes) where tensor.shape != shape {
            throw .invalidInput("input has shape \(tensor.shape), the plan expects \(shape)")
        }
        let arena = takeArena()
        defer { returnArena(arena) }
        for (tensor, offset) in zip(inputs, inputOffsets) {
            tensor.scalars.withUnsafeBufferPointer { (arena + offset).update(from: $0.baseAddress!, count: $0.count) }
        }
        if let profile {
            let clock = ContinuousClock()
            for step in steps {
                let start = clock.now
                execute(step, arena: arena, threads: threads)
                profile(step.kernel.kind, clock.now - start)
            }
        } else {
            for step in steps {
                execute(step, arena: arena, threads: threads)
            }
        }
        return zip(outputOperands, outputShapes).map { operand, shape in
            switch operand {
            case .arena(let offset, let count):
                Tensor(shape: shape, scalars: Array(UnsafeBufferPointer(start: arena + offset, count: count)))
            case .constant(let index):
                Tensor(shape: shape, scalars: Array(constants[index].prefix(shape.reduce(1, *))))
            }
        }
    }

    deinit {
        for storage in constants { storage.deallocate() }
        for arena in idleArenas { arena.deallocate() }
    }

    /// Makes an arena ready for the next run: allocated, every page mapped and zeroed by the kernel now,
    /// not page fault by page fault during the run, and kept. For a core that would otherwise wait,
    /// before a first run: `PortraitMatter` calls it on a thread of its own while the photo is read and
    /// decoded. Does nothing when an arena is already kept, so memory stays at what runs keep anyway. A
    /// run that starts meanwhile waits for it rather than touch a second arena of its own.
    ///
    /// The pages are mapped by `madvise(MADV_POPULATE_WRITE)` (Linux 5.14 and later), which spares a
    /// fault per 4 KB page, over `threads` pieces at once; where that is refused, by writing one float in
    /// every page. On this VM fresh memory is dear: U-2-Net-p's 61 MB arena took ~22 ms of CPU to map.
    /// (Transparent huge pages were tried for the arena: when they came at once the touch took 10 ms
    /// instead of ~45, but a third of the runs stalled 100-300 ms on them.)
    public func prepareArena(threads: Int = 1) {
        let starts = arenaLock.withLock {
            guard idleArenas.isEmpty && !preparing else { return false }
            preparing = true
            return true
        }
        guard starts else { return }
        let arena = newArena()
        let count = max(arenaCount, 1)
        // Pieces of 1024 floats (4 KB, the smallest page size), split over the threads.
        nonisolated(unsafe) let base = arena
        parallelFor((count + 1023) / 1024, threads: threads) { pieces in
            let start = pieces.lowerBound * 1024, end = min(count, pieces.upperBound * 1024)
            if !Self.populate(base + start, count: end - start) {
                // One write in every piece touches every page.
                for offset in stride(from: start, to: end, by: 1024) { base[offset] = 0 }
            }
        }
        arenaLock.withLock {
            preparing = false
            idleArenas.append(arena)
            arenaLock.broadcast()
        }
    }

    /// Maps and zeroes the pages of `count` floats at `start` with one `madvise(MADV_POPULATE_WRITE)`
    /// over the whole pages among them, and writes the partial pages at either end. False, with nothing
    /// done, where the system refuses it (before Linux 5.14, or not Linux).
    private static func populate(_ start: UnsafeMutablePointer<Float>, count: Int) -> Bool {
        #if os(Linux)
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = (Int(bitPattern: start) + page - 1) / page * page
        let end = (Int(bitPattern: start + count)) / page * page
        guard end > first, let address = UnsafeMutableRawPointer(bitPattern: first) else { return false }
        guard madvise(address, end - first, populateWrite) == 0 else { return false }
        start[0] = 0
        start[count - 1] = 0
        return true
        #else
        return false
        #endif
    }

    /// Linux's `MADV_POPULATE_WRITE` (asm-generic/mman-common.h), which older C headers lack.
    private static let populateWrite: Int32 = 23

    /// A kept arena, or a new one. Its contents are garbage: every step writes its outputs before
    /// any step reads them.
    private func takeArena() -> UnsafeMutablePointer<Float> {
        let kept = arenaLock.withLock {
            while idleArenas.isEmpty && preparing { arenaLock.wait() }
            return idleArenas.popLast()
        }
        return kept ?? newArena()
    }

    private func newArena() -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: max(arenaCount, 1) * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(arenaCount, 1))
    }

    private func returnArena(_ arena: UnsafeMutablePointer<Float>) {
        let kept = arenaLock.withLock {
            guard idleArenas.count < Self.keptArenas else { return false }
            idleArenas.append(arena)
            return true
        }
        if !kept { arena.deallocate() }
    }

    private func execute(_ step: Step, arena: UnsafeMutablePointer<Float>, threads: Int) {
        let inputs = zip(step.inputs, step.inputShapes).map { operand, shape in
            switch operand {
            case .arena(let offset, let count): UnsafeBufferPointer(start: arena + offset, count: count)
            case .constant(let index):
                UnsafeBufferPointer(start: constants[index].baseAddress, count: shape.reduce(1, *))
            }
        }
        let outputs = zip(step.outputs, step.outputShapes).map { offset, shape in
            UnsafeMutableBufferPointer(start: arena + offset, count: shape.reduce(1, *))
        }
        step.kernel.run(inputs: inputs, inputShapes: step.inputShapes, outputs: outputs,
                        outputShapes: step.outputShapes, threads: threads, reference: reference)
    }
}

/// A node as the plan runs it, after the convolution fusions (see `ExecutionPlan.init`).
struct ScheduledNode {
    /// The node whose kernel runs, with its own inputs (a convolution still names its joined input).
    var node: Node
    /// The values the step reads, in the order its kernel takes them.
    var reads: [ValueID]
    /// The values it writes.
    var writes: [ValueID]
    /// For a convolution, one entry per part of its input: nil for a part read as is, or the
    /// resize or pooling through which it is read. `[nil]` for a convolution of one tensor read as is.
    var inputParts: [ConvolutionRows.RowProducer?]
    var residual: Bool
}

/// Product of a shape, nil on overflow.
func checkedCount(_ shape: [Int]) -> Int? {
    var count = 1
    for dimension in shape {
        guard dimension >= 0 else { return nil }
        let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
        if overflow { return nil }
        count = product
    }
    return count
}
