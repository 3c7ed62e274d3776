import Foundation
import MultipartKit
import NIOCore

/// A `multipart/form-data` body (RFC 7578) split into its parts by multipart-kit's `MultipartParser`, with
/// the checks that make it safe on untrusted bytes around it: malformed input is a `ServiceError` (400),
/// never a trap, a hang or an unbounded allocation.
///
/// What the parser (4.7.1) does not do, and what is done around it:
/// - It looks each byte of a part's header names up in a 128-entry table, so a byte above 0x7F there
///   indexes past it and traps. `checkHeaderNames` reads every header block first (from each
///   `--boundary` CRLF to its blank line, at most `maxHeaderBytes`) and refuses such a byte before the
///   parser sees the body.
/// - It hands the content over cut at every carriage return, one buffer each (20 MB of CRs cost it
///   5.7 s). The body goes in `feedBytes` at a time; between pieces the parts (`maxParts`) and the
///   content's pieces (`maxPiecesPerByte`: a JPEG has about one CR per 256 bytes) are counted, and a body
///   over either is refused after at most one piece.
/// - It has no end-of-input call: a body cut short ends quietly. After the body a delimiter line is
///   fed: a parser past the closing `--boundary--` ignores it; anywhere else it reacts (a header,
///   content, a part's end or a syntax error), and the body was truncated.
/// - A part's name is `MultipartPart.name`; repeated names are kept as separate parts (its
///   `FormDataDecoder` would merge them, letting a second `image` replace the first), and the caller
///   refuses the repeats it cares about.
public struct MultipartForm: Sendable {
    public struct Part: Sendable {
        public var name: String
        /// Present when the part is a file upload.
        public var filename: String?
        public var contentType: String?
        public var content: [UInt8]

        /// Whether the part carries a file rather than a text value: it has a filename, or a Content-Type
        /// other than text/plain.
        public var isFile: Bool {
            filename != nil || (contentType.map { !$0.lowercased().hasPrefix("text/plain") } ?? false)
        }
    }

    public var parts: [Part]

    /// Most parts accepted; more is refused as malformed.
    public static let maxParts = 32
    /// Most bytes of headers accepted in one part.
    public static let maxHeaderBytes = 8192
    /// Bytes handed to the parser at a time, between the checks of the counts.
    static let feedBytes = 65536
    /// The content may come in at most one piece per this many bytes of body (plus `feedBytes` / 16).
    static let maxPiecesPerByte = 16

    /// The boundary parameter of a `multipart/form-data` Content-Type, or nil when the type is another.
    /// - Throws: when the type is multipart/form-data but the boundary is missing or invalid.
    public static func boundary(contentType: String) throws(ServiceError) -> String? {
        let parameters = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let type = parameters.first, type.lowercased() == "multipart/form-data" else { return nil }
        for parameter in parameters.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else { continue }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            // RFC 2046: 1 to 70 characters.
            guard (1...70).contains(value.utf8.count) else { throw .malformedForm("boundary must be 1 to 70 characters") }
            return value
        }
        throw .malformedForm("multipart/form-data without a boundary parameter")
    }

    /// Splits `body` into parts.
    public init(body: [UInt8], boundary: String) throws(ServiceError) {
        try Self.checkHeaderNames(body, boundary: boundary)
        let collector = Collector()
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in collector.header(name, value) }
        parser.onBody = { buffer in collector.content(buffer) }
        parser.onPartComplete = { collector.partComplete() }

        var start = 0
        while start < body.count {
            let end = min(body.count, start + Self.feedBytes)
            do {
                try parser.execute(ByteBuffer(bytes: body[start..<end]))
            } catch {
                throw .malformedForm("a delimiter or a part's headers are not as multipart/form-data has them")
            }
            if let failure = collector.failure { throw failure }
            guard collector.parts.count <= Self.maxParts else { throw .malformedForm("more than \(Self.maxParts) parts") }
            guard collector.pieces <= (Self.feedBytes + end) / Self.maxPiecesPerByte else {
                throw .malformedForm("the content is cut by more carriage returns than an upload has")
            }
            start = end
        }

        // A parser past the closing delimiter ignores what follows; anywhere else it reacts.
        collector.reacted = false
        let truncated = "the closing '--\(boundary)--' is missing (truncated body?)"
        do {
            try parser.execute(Array("\r\n--\(boundary)\r\n".utf8))
        } catch {
            throw .malformedForm(truncated)
        }
        guard !collector.reacted else { throw .malformedForm(truncated) }
        guard !collector.parts.isEmpty || collector.sawHeader else {
            throw .malformedForm("no '--\(boundary)' delimiter in the body")
        }
        if let failure = collector.failure { throw failure }
        parts = collector.parts
    }

    /// What the parser's callbacks report, gathered into parts.
    private final class Collector {
        var parts: [Part] = []
        var headers = HTTPHeaders()
        var headerBytes = 0
        var content: [UInt8] = []
        /// Buffers the content came in, over all parts.
        var pieces = 0
        /// Whether any callback came since this was last cleared.
        var reacted = false
        var sawHeader = false
        var failure: ServiceError?

        func header(_ name: String, _ value: String) {
            reacted = true
            sawHeader = true
            headers.add(name: name, value: value)
        }

        func content(_ buffer: ByteBuffer) {
            reacted = true
            pieces += 1
            content.append(contentsOf: buffer.readableBytesView)
        }

        func partComplete() {
            reacted = true
            do throws(ServiceError) {
                parts.append(try MultipartForm.part(headers: headers, content: content))
            } catch {
                failure = failure ?? error
            }
            headers = HTTPHeaders()
            content = []
        }
    }

    /// One part from its headers and content.
    static func part(headers: HTTPHeaders, content: [UInt8]) throws(ServiceError) -> Part {
        guard let name = MultipartPart(headers: headers, body: ByteBuffer()).name, !name.isEmpty else {
            throw .malformedForm("a part has no Content-Disposition name")
        }
        // `filename=...` among the disposition's parameters, as `MultipartPart.name` reads `name=...`.
        let filename = headers.first(name: "Content-Disposition")?.split(separator: ";")
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.lowercased().hasPrefix("filename=") }
            .map { String($0.dropFirst("filename=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        return Part(name: name, filename: filename, contentType: headers.first(name: "Content-Type"), content: content)
    }

    /// Refuses a byte above 0x7F in a header name, and header blocks longer than `maxHeaderBytes`.
    ///
    /// The parser reads headers only right after `--boundary` CRLF, line by line (`name: value` CRLF)
    /// until a blank line. Every such place is looked at: each occurrence of `--boundary` CRLF (also those
    /// the parser would take for content, so nothing it reads is missed), then each line's bytes before
    /// its first `:`. Occurrences inside a block already read are skipped, so each byte is read once.
    static func checkHeaderNames(_ body: [UInt8], boundary: String) throws(ServiceError) {
        let delimiter = Array("--\(boundary)\r\n".utf8)
        let carriageReturn = UInt8(ascii: "\r"), colon = UInt8(ascii: ":")
        let problem: ServiceError? = body.withUnsafeBufferPointer { bytes in
            var searchFrom = 0
            while let found = Self.find(delimiter, in: bytes, from: searchFrom) {
                let blockStart = found + delimiter.count
                var position = blockStart
                // Line by line until the blank line that ends the block (or the body's end).
                while position < bytes.count && bytes[position] != carriageReturn {
                    while position < bytes.count && bytes[position] != colon && bytes[position] != carriageReturn {
                        if bytes[position] > 0x7F { return .malformedForm("a part's header name is not ASCII") }
                        position += 1
                    }
                    while position < bytes.count && bytes[position] != carriageReturn { position += 1 }
                    position += 2  // CR LF
                    if position - blockStart > Self.maxHeaderBytes {
                        return .malformedForm("a part's headers are longer than \(Self.maxHeaderBytes) bytes")
                    }
                }
                searchFrom = max(found + 1, position)
            }
            return nil
        }
        if let problem { throw problem }
    }

    /// First index at or after `from` where `pattern` occurs in `bytes`: each place `pattern`'s last byte
    /// occurs is compared backwards. For `--boundary` CRLF that byte is LF, which occurs once in the
    /// pattern, so two places compared deeply cannot overlap and the search reads each byte at most twice.
    static func find(_ pattern: [UInt8], in bytes: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        guard let last = pattern.indices.last, from >= 0 else { return nil }
        var end = from + last
        while end < bytes.count {
            if bytes[end] == pattern[last] {
                var matched = 0
                while matched < last && bytes[end - 1 - matched] == pattern[last - 1 - matched] { matched += 1 }
                if matched == last { return end - last }
            }
            end += 1
        }
        return nil
    }
}
