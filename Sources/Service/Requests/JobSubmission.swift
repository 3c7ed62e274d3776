import Foundation

/// What a `POST /v1/jobs` request carries: everything `POST /v1/matte` takes (`MatteRequest`), or a JSON
/// object `{"url": "https://...", "callback": "https://...", "mode": "fast", ...}` whose members are the
/// same options; plus `callback`, a URL called once the job is finished.
struct JobSubmission: Sendable {
    var image: [UInt8]?
    var backgroundImage: [UInt8]?
    /// A video to matte instead of a photo (`MatteRequest.video`); its options are `VideoJobOptions`.
    var video: [UInt8]?
    /// The options, as `MatteOptions.parse` reads them (`callback` taken out).
    var fields: [(name: String, value: String)]
    var callback: String?

    static func read(query: String?, contentType: String?, body: [UInt8]) throws(ServiceError) -> JobSubmission {
        let mediaType = contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        var submission: JobSubmission
        if mediaType == "application/json" {
            submission = JobSubmission(image: nil, backgroundImage: nil, video: nil, fields: try FormFields.parse(query ?? ""))
            guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
                throw .malformedForm("the body is not a JSON object")
            }
            for name in object.keys.sorted() {
                switch object[name] {
                case let text as String: submission.fields.append((name, text))
                case let number as Int: submission.fields.append((name, "\(number)"))
                default: throw .malformedForm("'\(name)' must be a string or a whole number")
                }
            }
        } else {
            let request = try MatteRequest.read(query: query, contentType: contentType, body: body)
            submission = JobSubmission(image: request.image, backgroundImage: request.backgroundImage, video: request.video,
                                       fields: request.fields)
        }
        let callbacks = submission.fields.filter { $0.name == "callback" }
        guard callbacks.count <= 1 else { throw .malformedForm("more than one 'callback'") }
        submission.callback = callbacks.first?.value
        submission.fields.removeAll { $0.name == "callback" }
        return submission
    }
}
