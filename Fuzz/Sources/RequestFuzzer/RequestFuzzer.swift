import FuzzSupport
@testable import Service

/// Feeds each input to the service's request parsing: `MatteRequest.read` (the query string, then a
/// multipart or url-encoded form or a bare image body, as the Content-Type says), then `MatteOptions.parse`
/// over the fields found and the `MattingRequest` they make (`validate()`), as `POST /v1/matte` does
/// before it decodes anything.
///
/// An input is three parts split at its first two line feeds: the query string, the Content-Type header
/// (empty: none), and the body, e.g.
///
///     output=composite&background=blur
///     multipart/form-data; boundary=b
///     --b\r\nContent-Disposition: form-data; name="image"; filename="p.png"\r\n\r\n...\r\n--b--\r\n
///
/// With fewer line feeds the missing parts are empty. Neither a query string nor a header value can hold
/// a line feed, so the split loses nothing a client could send. Errors are `ServiceError`s (4xx answers);
/// a trap, an out-of-bounds access, a leak or a hang is a bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var parts = bytes(data, size).split(separator: UInt8(ascii: "\n"), maxSplits: 2, omittingEmptySubsequences: false)
    while parts.count < 3 { parts.append([]) }
    let query = String(decoding: parts[0], as: UTF8.self)
    let contentType = parts[1].isEmpty ? nil : String(decoding: parts[1], as: UTF8.self)
    do {
        let request = try MatteRequest.read(query: query, contentType: contentType, body: Array(parts[2]))
        let options = try MatteOptions.parse(request.fields, backgroundFile: request.backgroundImage != nil)
        let matting = try options.request(maxPixels: 50_000_000, json: contentType?.contains("json") ?? false)
        report("fields \(request.fields.map(\.name)), image \(request.image?.count ?? 0) bytes, "
               + "background \(request.backgroundImage?.count ?? 0) bytes; request \(matting)")
    } catch {
        report("refused: \(error)")
    }
    return 0
}
