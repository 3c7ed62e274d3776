import FuzzSupport
import Inference

/// Feeds each input to `TFLiteReader.read` as a whole `.tflite` file, and plans every graph it accepts.
///
/// Model files are untrusted input (`matte --models DIR` reads whatever is there), and the reader follows
/// FlatBuffer offsets found in the file itself: every offset, vector length, vtable and tensor shape is
/// the file's to choose. A graph the reader accepts then goes through `ExecutionPlan` (shape inference,
/// fusions, kernel choice, weight packing, arena layout), which relies on the reader's checks; planning
/// costs about as much as reading, so both run on every accepted input. Errors are the expected outcome;
/// a trap, an out-of-bounds access (AddressSanitizer), a leak, a hang or runaway memory is a bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    readAndPlan { try TFLiteReader.read(bytes(data, size)) }
    return 0
}
