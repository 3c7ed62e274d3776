import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Imaging
import Matting
import NIOCore
import Service
import Testing

/// `POST /v1/matte` happy paths, with the real models (`scripts/fetch-assets` fetches them).
@Suite struct MatteAPITests {
    func decode(_ bytes: [UInt8]) throws -> Image { try ImageDecoder.decode(bytes) }

    @Test func rawPNGGivesACutout() async throws {
        let (app, _) = try TestApp.make(TestApp.configuration(), models: try await RealModels.require())
        try await app.test(.router) { client in
            let response = try await client.matte(try Samples.png(width: 48, height: 64))
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "image/png")
            #expect(response.headers[HTTPField.Name("Server-Timing")!]?.contains("inference;dur=") == true)
            let cutout = try decode(response.bytes)
            #expect((cutout.width, cutout.height, cutout.channels) == (48, 64, 4))
        }
    }

    @Test func rawJPEGWithOptionsInTheQuery() async throws {
        let (app, _) = try TestApp.make(TestApp.configuration(), models: try await RealModels.require())
        try await app.test(.router) { client in
            let response = try await client.matte(try Samples.jpeg(), query: "output=alpha&format=png&mode=best",
                                                  contentType: "image/jpeg")
            #expect(response.status == .ok)
            let alpha = try decode(response.bytes)
            #expect((alpha.width, alpha.height, alpha.channels) == (48, 64, 1))
        }
    }

    @Test func multipartWithFormFields() async throws {
        let (app, _) = try TestApp.make(TestApp.configuration(), models: try await RealModels.require())
        let form = Samples.multipart([
            ("image", "photo.png", "image/png", try Samples.png(width: 40, height: 30)),
            ("output", nil, nil, Samples.text("composite")),
            ("background", nil, nil, Samples.text("#ff0000")),
            ("format", nil, nil, Samples.text("jpeg")),
        ])
        try await app.test(.router) { client in
            let response = try await client.matte(form.body, contentType: form.contentType)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "image/jpeg")
            let composite = try decode(response.bytes)
            #expect((composite.width, composite.height, composite.channels) == (40, 30, 3))
        }
    }

    @Test func multipartWithABackgroundImage() async throws {
        let (app, _) = try TestApp.make(TestApp.configuration(), models: try await RealModels.require())
        let form = Samples.multipart([
            ("image", "photo.png", "image/png", try Samples.png(width: 40, height: 30)),
            ("background", "beach.jpg", "image/jpeg", try Samples.jpeg(width: 100, height: 20)),
        ])
        try await app.test(.router) { client in
            // A background file alone implies output=composite, background=image.
            let response = try await client.matte(form.body, contentType: form.contentType)
            #expect(response.status == .ok)
            let composite = try decode(response.bytes)
            #expect((composite.width, composite.height, composite.channels) == (40, 30, 3))
        }
    }

    @Test func jsonAnswerHasBothImagesAndTimings() async throws {
        let (app, _) = try TestApp.make(TestApp.configuration(), models: try await RealModels.require())
        try await app.test(.router) { client in
            let response = try await client.matte(try Samples.png(width: 32, height: 24), query: "output=composite&background=blur",
                                                  accept: "application/json")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(response.bytes)) as? [String: Any])
            #expect(json["width"] as? Int == 32)
            #expect(json["height"] as? Int == 24)
            let alpha = try decode(Array(try #require(Data(base64Encoded: json["alpha"] as? String ?? ""))))
            #expect((alpha.width, alpha.channels) == (32, 1))
            let cutout = try decode(Array(try #require(Data(base64Encoded: json["cutout"] as? String ?? ""))))
            #expect((cutout.width, cutout.channels) == (32, 4))
            let composite = try decode(Array(try #require(Data(base64Encoded: json["composite"] as? String ?? ""))))
            #expect((composite.width, composite.channels) == (32, 3))
            let timings = try #require(json["timings"] as? [String: Double])
            for stage in ["decode", "inference", "postprocess", "composite", "encode", "total"] {
                #expect(timings[stage] != nil, "timings lack \(stage)")
            }
        }
    }

    /// Every output in every format it allows: (query, content type, channels).
    @Test(arguments: [
        ("output=cutout&format=png", "image/png", 4),
        ("output=cutout&format=webp", "image/webp", 4),
        ("output=alpha&format=png", "image/png", 1),
        ("output=composite&format=png", "image/png", 3),
        ("output=composite&format=webp&background=%2300ff00", "image/webp", 3),
        ("output=composite&format=jpeg&background=blur", "image/jpeg", 3),
        ("output=composite&format=jpg&background=336699", "image/jpeg", 3),
    ])
    func everyOutputAndFormat(query: String, type: String, channels: Int) async throws {
        let (app, _) = try TestApp.make(TestApp.configuration(), models: try await RealModels.require())
        try await app.test(.router) { client in
            let response = try await client.matte(try Samples.png(width: 20, height: 20), query: query)
            #expect(response.status == .ok, "\(query)")
            #expect(response.headers[.contentType] == type)
            let image = try decode(response.bytes)
            #expect(image.width == 20 && image.height == 20)
            // WebP cut-outs may decode without alpha when every pixel is opaque.
            #expect(image.channels == channels || (type == "image/webp" && channels == 4 && image.channels == 3))
        }
    }

    /// The matte is always PNG: asking for it alone in another format is refused, naming why.
    @Test func alphaInAnotherFormatIsRefused() async throws {
        let (app, _) = try TestApp.make(TestApp.configuration(), models: ModelStore(ready: EllipseMatter()))
        try await app.test(.router) { client in
            let response = try await client.matte(try Samples.png(width: 20, height: 20), query: "output=alpha&format=webp")
            #expect(response.status == .badRequest)
            #expect(try response.errorBody().message.contains("the matte is always PNG"))
        }
    }

    /// `quality` reaches the encoder: a JPEG composite at quality 40 is smaller than at 95.
    @Test func qualityIsHonoured() async throws {
        let (app, _) = try TestApp.make(TestApp.configuration(), models: ModelStore(ready: EllipseMatter()))
        try await app.test(.router) { client in
            var sizes: [Int] = []
            for quality in [40, 95] {
                let response = try await client.matte(try Samples.png(width: 96, height: 64),
                                                      query: "output=composite&format=jpeg&background=blur&quality=\(quality)")
                #expect(response.status == .ok)
                sizes.append(response.bytes.count)
            }
            #expect(sizes[0] < sizes[1], "\(sizes)")
            let png = try await client.matte(try Samples.png(), query: "quality=40")
            #expect(png.status == .badRequest)
            #expect(try png.errorBody().message.contains("png is always lossless"))
        }
    }

    @Test func colourCompositeUsesTheColourWhereThereIsNoPerson() async throws {
        // The stand-in matter makes the corners background, so they must be the colour asked for.
        let (app, _) = try TestApp.make(TestApp.configuration(), models: ModelStore(ready: EllipseMatter()))
        try await app.test(.router) { client in
            let response = try await client.matte(try Samples.png(width: 30, height: 30),
                                                  query: "output=composite&background=%23102030")
            #expect(response.status == .ok)
            let image = try decode(response.bytes)
            #expect(Array(image.pixels[0..<3]) == [0x10, 0x20, 0x30])
        }
    }

    @Test func urlEncodedFormIsAccepted() async throws {
        let (app, _) = try TestApp.make(TestApp.configuration(), models: ModelStore(ready: EllipseMatter()))
        try await app.test(.router) { client in
            // Without --allow-url-fetch a url is refused, which proves the form was read.
            let response = try await client.matte(Samples.text("url=https%3A%2F%2Fexample.com%2Fp.jpg&output=alpha"),
                                                  contentType: "application/x-www-form-urlencoded")
            #expect(response.status == .forbidden)
            #expect(try response.errorBody().code == "url_fetching_disabled")
        }
    }
}
