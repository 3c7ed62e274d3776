import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Matting
import NIOCore
import Service
import Testing

/// `POST /v1/check`, and the checks in `/v1/matte`'s JSON answers, with the real models.
@Suite struct CheckAPITests {
    static func sample(_ relativePath: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: ModelFiles.samplesDirectory + "/" + relativePath)))
    }

    @Test func checkAnswersJSON() async throws {
        let (app, _) = try TestApp.make(TestApp.configuration(), models: try await RealModels.require())
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/v1/check", method: .post, headers: [.contentType: "image/jpeg"],
                                                    body: ByteBuffer(bytes: try Self.sample("grace_hopper.jpg")))
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(response.bytes)) as? [String: Any])
            #expect(json["width"] as? Int == 512 && json["height"] as? Int == 600)
            #expect((json["faces"] as? [Any])?.count == 1)
            #expect((json["warnings"] as? [Any])?.isEmpty == true)

            let coffee = try await client.execute(uri: "/v1/check", method: .post, headers: [.contentType: "image/png"],
                                                  body: ByteBuffer(bytes: try Self.sample("extra/coffee.png")))
            let warnings = try #require((try JSONSerialization.jsonObject(with: Data(coffee.bytes)) as? [String: Any])?["warnings"] as? [[String: String]])
            #expect(warnings.contains { $0["code"] == "no_person" })

            let empty = try await client.execute(uri: "/v1/check", method: .post, headers: [.contentType: "image/png"], body: ByteBuffer())
            #expect(empty.status == .badRequest)
            let unknown = try await client.execute(uri: "/v1/check?mode=fast", method: .post, headers: [.contentType: "image/jpeg"],
                                                   body: ByteBuffer(bytes: try Self.sample("grace_hopper.jpg")))
            #expect(unknown.status == .badRequest)
        }
    }

    @Test func matteJSONCarriesTheCheckAndStrictRefuses() async throws {
        let (app, _) = try TestApp.make(TestApp.configuration(), models: try await RealModels.require())
        try await app.test(.router) { client in
            let response = try await client.matte(try Self.sample("extra/coffee.png"), query: "mode=fast", accept: "application/json")
            #expect(response.status == .ok)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(response.bytes)) as? [String: Any])
            let check = try #require(json["check"] as? [String: Any])
            #expect(check["person_fraction"] is Double)
            let warnings = try #require(json["warnings"] as? [[String: String]])
            #expect(warnings.contains { $0["code"] == "no_person" })

            let strict = try await client.matte(try Self.sample("extra/coffee.png"), query: "mode=fast&check=strict")
            #expect(strict.status == .unprocessableContent)
            #expect(String(decoding: strict.bytes, as: UTF8.self).contains("check_failed"))
        }
    }
}
