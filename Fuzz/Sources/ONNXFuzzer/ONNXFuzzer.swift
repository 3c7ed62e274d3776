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
    readAndPlan { try ModelReader.read(bytes(data, size), name: "the input") }
    return 0
}
