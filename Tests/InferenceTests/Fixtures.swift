import Foundation
import Inference

/// Test data: golden tensors committed under Tests/Fixtures (made by scripts/references), and model
/// files fetched by scripts/fetch-assets.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    /// Raw little-endian float32 file under Tests/Fixtures.
    static func floats(_ relativePath: String) throws -> [Float] {
        let data = try Data(contentsOf: root.appendingPathComponent(relativePath))
        return data.withUnsafeBytes { raw in
            (0..<data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }

    static var modelDirectory: String {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["MATTE_MODELS"], !path.isEmpty { return path }
        let cache = environment["XDG_CACHE_HOME"].map { $0 + "/matte" } ?? NSHomeDirectory() + "/.cache/matte"
        return cache + "/models"
    }

    struct MissingModel: Error, CustomStringConvertible {
        var path: String
        var description: String { "\(path) is missing: run scripts/fetch-assets" }
    }

    /// Bytes of a model file; throws (failing the test) when it has not been fetched.
    static func model(_ name: String) throws -> [UInt8] {
        let path = modelDirectory + "/" + name
        guard let data = FileManager.default.contents(atPath: path) else { throw MissingModel(path: path) }
        return [UInt8](data)
    }

    static func maxAbsoluteDifference(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
        return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }
}
