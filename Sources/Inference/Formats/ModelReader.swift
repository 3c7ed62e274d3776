/// Reads a model file of any supported format into a `Graph`, choosing the front end by the file's
/// contents: TFLite (identifier `TFL3` at byte 4), else ONNX (a protobuf whose first field is one of
/// `ModelProto`'s, in practice `ir_version`: byte 0x08).
///
/// Why readers of our own rather than the formats' generated code (flatc's Swift for the TFLite schema,
/// swift-protobuf for onnx.proto): they read only the fields the graph needs and skip the rest, check
/// every length and offset of untrusted bytes (fuzzed in the tests and by `Fuzz/`), and bring no runtime
/// or code generator (on these machines a first build with swift-protobuf's plugin alone takes 9.5
/// minutes). Measured: the ONNX reader parses U-2-Net-p (4.6 MB, 1.1 M weights) in 6 ms, fastest of three
/// (`ONNXReaderTests.readsU2NetpQuickly`).
public enum ModelReader {
    /// - Parameter name: the file's name, for error messages.
    public static func read(_ bytes: [UInt8], name: String) throws(ModelError) -> Graph {
        if bytes.count >= 8, bytes[4...7].elementsEqual("TFL3".utf8) {
            return try TFLiteReader.read(bytes)
        }
        if ONNXModel.startsLikeModel(bytes) {
            return try ONNXReader.read(bytes)
        }
        throw .unsupported("\(name) is neither a TFLite model (no TFL3 identifier) nor an ONNX model")
    }
}
