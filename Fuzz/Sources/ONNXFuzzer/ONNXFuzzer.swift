import FuzzSupport
import Inference

/// Feeds each input to `ModelReader.read` as a whole model file, and plans every graph it accepts.
///
/// `ModelReader` picks the front end from the first bytes, so inputs that start like a protobuf reach
/// `ONNXReader`: a walk of nested length-delimited messages (`ModelProto`, `GraphProto`, `NodeProto`,
/// `TensorProto`, ...), then the translation to the graph, which folds PyTorch's shape arithmetic (`Shape`,
/// `Gather`, `Slice`, `Concat`, ...) into constants. Lengths, varints, dimensions, data types, attribute
/// values and the wiring of nodes all come from the file. Accepted graphs go through `ExecutionPlan`, as
/// when a model is loaded. Errors are the expected outcome; a trap, an out-of-bounds access, a leak, a hang
/// or runaway memory is a bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let graph: Graph
    do {
        graph = try ModelReader.read(bytes(data, size), name: "the input")
    } catch {
        report("refused: \(error)")
        return 0
    }
    do {
        let plan = try ExecutionPlan(graph: graph)
        report("read \(graph.nodes.count) nodes; planned \(plan.stepDescriptions.count) steps")
    } catch {
        report("read \(graph.nodes.count) nodes; not planned: \(error)")
    }
    return 0
}
