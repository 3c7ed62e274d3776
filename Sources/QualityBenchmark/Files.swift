import Foundation
import Imaging
import Matting

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("matte-quality: \(message)\n".utf8))
    exit(1)
}

func note(_ message: String) {
    FileHandle.standardError.write(Data("matte-quality: \(message)\n".utf8))
}

func readBytes(_ path: String) -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
    return [UInt8](data)
}

func readImage(_ path: String) -> Image {
    do {
        return try ImageDecoder.decode(readBytes(path))
    } catch {
        fail("\(path): \(error)")
    }
}

func writeFile(_ bytes: [UInt8], to path: String) {
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { fail("cannot write \(path)") }
}

func writeJSON<Value: Encodable>(_ value: Value, to path: String) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    // A time the references lack is NaN.
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    guard let data = try? encoder.encode(value) else { fail("cannot encode \(path)") }
    writeFile([UInt8](data), to: path)
}

func readJSON<Value: Decodable>(_ type: Value.Type, from path: String) -> Value {
    do {
        return try JSONDecoder().decode(type, from: Data(readBytes(path)))
    } catch {
        fail("\(path): \(error)")
    }
}

/// The first channel of an 8-bit image (grey, or the red of a grey RGB image) as bytes.
func firstChannel(_ image: Image) -> [UInt8] {
    stride(from: 0, to: image.pixels.count, by: image.channels).map { image.pixels[$0] }
}

/// Channel `channel` of an 8-bit image as alpha in [0, 1].
func alphaPlane(_ image: Image, channel: Int = 0) -> Plane {
    precondition(channel < image.channels)
    return Plane(width: image.width, height: image.height,
                 values: stride(from: channel, to: image.pixels.count, by: image.channels).map { Float(image.pixels[$0]) / 255 })
}

/// A true or predicted alpha read from an 8-bit image file: grey, or the alpha channel of an RGBA one.
func readAlpha(_ path: String) -> Plane {
    let image = readImage(path)
    return alphaPlane(image, channel: image.channels == 4 ? 3 : 0)
}

/// `image` resized to `width` x `height`: bilinear per channel, or nearest (for trimaps).
func resized(_ image: Image, width: Int, height: Int, nearest: Bool) -> Image {
    if nearest {
        var pixels = [UInt8](repeating: 0, count: width * height * image.channels)
        for y in 0..<height {
            let sourceY = min(image.height - 1, y * image.height / height)
            for x in 0..<width {
                let sourceX = min(image.width - 1, x * image.width / width)
                for channel in 0..<image.channels {
                    pixels[(y * width + x) * image.channels + channel] =
                        image.pixels[(sourceY * image.width + sourceX) * image.channels + channel]
                }
            }
        }
        return Image(width: width, height: height, channels: image.channels, pixels: pixels)
    }
    var pixels = [UInt8](repeating: 0, count: width * height * image.channels)
    for channel in 0..<image.channels {
        let resizedPlane = alphaPlane(image, channel: channel).resized(width: width, height: height)
        for index in 0..<width * height {
            pixels[index * image.channels + channel] = UInt8(min(max(resizedPlane.values[index], 0), 1) * 255 + 0.5)
        }
    }
    return Image(width: width, height: height, channels: image.channels, pixels: pixels)
}

/// A raw little-endian float32 alpha (row-major, `width` x `height`), clamped to [0, 1]; nil if absent.
func readReferenceAlpha(_ path: String, width: Int, height: Int) -> Plane? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    guard data.count == width * height * 4 else {
        fail("\(path) holds \(data.count) bytes, not \(width)x\(height) float32 values")
    }
    let values = data.withUnsafeBytes { raw in
        (0..<width * height).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
    }
    return Plane(width: width, height: height, values: values.map { min(max($0, 0), 1) })
}

/// Right-aligns `text` in `width` columns.
func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
}

/// Left-aligns `text` in `width` columns.
func padRight(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

func format(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

func mean(_ values: [Double]) -> Double { values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count) }

func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
