/// Why a model file could not be read or run. Thrown for untrusted input; never a trap.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    /// The bytes end before a structure they declare.
    case truncated(String)
    /// The bytes are not a model of the expected format, or a field holds an impossible value.
    case malformed(String)
    /// A valid model that uses something this engine does not implement.
    case unsupported(String)
    /// Input tensors given to `run` do not fit the model.
    case invalidInput(String)

    public var description: String {
        switch self {
        case .truncated(let what): "truncated model: \(what)"
        case .malformed(let what): "malformed model: \(what)"
        case .unsupported(let what): "unsupported model: \(what)"
        case .invalidInput(let what): "invalid input: \(what)"
        }
    }
}
