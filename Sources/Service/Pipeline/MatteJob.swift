import Imaging
import Matting

/// One `POST /v1/matte` request's CPU work, from image bytes to encoded results, in library calls only:
/// decode (with the pixel limit), matte, composite, encode. Runs inside an inference slot.
struct MatteJob: Sendable {
    var image: [UInt8]
    var backgroundImage: [UInt8]?
    var options: MatteOptions
    var maxPixels: Int
    /// Whether the answer is JSON (alpha and cut-out PNGs, plus the composite) rather than one image.
    var wantsJSON: Bool

    /// Milliseconds per stage.
    struct Timings: Sendable, Encodable {
        var decode = 0.0
        var preprocess = 0.0
        var inference = 0.0
        var postprocess = 0.0
        var composite = 0.0
        var encode = 0.0
    }

    struct Result: Sendable {
        var width: Int
        var height: Int
        /// The requested output in the requested format.
        var body: [UInt8]
        /// For JSON answers: the matte and the cut-out as PNG.
        var alphaPNG: [UInt8]?
        var cutoutPNG: [UInt8]?
        var timings: Timings
    }

    func run(matter: any PortraitMatting) throws(ServiceError) -> Result {
        var timings = Timings()
        let clock = ContinuousClock()
        var mark = clock.now
        func lap() -> Double {
            let now = clock.now
            defer { mark = now }
            return milliseconds(now - mark)
        }

        let photo: Image
        do {
            photo = try ImageDecoder.decode(image, options: DecodeOptions(pixelLimit: maxPixels,
                                                                          maximumAspectRatio: PortraitMatter.maximumAspectRatio))
        } catch { throw .image(error, role: "image") }
        var backdropImage: Image?
        if let backgroundImage {
            do { backdropImage = try ImageDecoder.decode(backgroundImage, options: DecodeOptions(pixelLimit: maxPixels)) } catch {
                throw .image(error, role: "background")
            }
        }
        timings.decode = lap()

        let matte: Matte
        do { matte = try matter.matte(photo, options: self.options.matting) } catch let error as ImageError {
            throw .image(error, role: "image")
        } catch {
            throw ServiceError(.internalServerError, code: "matting_failed", "matting failed: \(error)")
        }
        _ = lap()
        timings.preprocess = milliseconds(matte.timings.preprocess)
        timings.inference = milliseconds(matte.timings.inference)
        timings.postprocess = milliseconds(matte.timings.postprocess)

        let outputImage: Image
        switch self.options.output {
        case .cutout: outputImage = matte.cutout
        case .alpha: outputImage = matte.alpha
        case .composite:
            outputImage = Composite.make(matte, over: self.options.backdrop(image: backdropImage))
            timings.composite = lap()
        }

        do {
            let body = try ImageEncoder.encode(outputImage, as: self.options.format)
            var result = Result(width: photo.width, height: photo.height, body: body, timings: timings)
            if wantsJSON {
                result.alphaPNG = self.options.output == .alpha && self.options.format == .png ? body : try ImageEncoder.png(matte.alpha)
                result.cutoutPNG = self.options.output == .cutout && self.options.format == .png ? body : try ImageEncoder.png(matte.cutout)
            }
            result.timings.encode = lap()
            return result
        } catch {
            throw .image(error, role: "output")
        }
    }
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) * 1e-15
}
