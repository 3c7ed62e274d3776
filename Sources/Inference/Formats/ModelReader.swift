/// Reads a model file of any supported format into a `Graph`, choosing the front end by the file's
/// contents: TFLite (identifier `TFL3` at byte 4), else ONNX (a protobuf whose first field is one of
/// `ModelProto`'s, in practice `ir_version`: byte 0x08).
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
