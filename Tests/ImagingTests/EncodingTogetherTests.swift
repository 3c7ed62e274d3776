import Testing
@testable import Imaging

/// `ImageEncoder.encode(_:threads:)`, several images on shared workers: each file byte for byte the one
/// encoding it alone gives, whatever the mix of formats, strip size and thread count.
@Suite struct EncodingTogetherTests {
    static func jobs() -> [ImageEncoder.Job] {
        let matte = PNGEncodingTests.image(width: 301, height: 41, channels: 1, seed: 1)
        let cutout = PNGEncodingTests.image(width: 301, height: 41, channels: 4, seed: 2)
        let composite = PNGEncodingTests.image(width: 64, height: 64, channels: 3, seed: 3)
        return [ImageEncoder.Job(matte, as: .png), ImageEncoder.Job(cutout, as: .png),
                ImageEncoder.Job(composite, as: .jpeg, quality: 80), ImageEncoder.Job(cutout, as: .webp),
                ImageEncoder.Job(composite, as: .png), ImageEncoder.Job(composite, as: .webp, quality: 60)]
    }

    @Test(arguments: [1, 2, 3, 8])
    func everyFileIsTheOneEncodedAlone(threads: Int) throws {
        let jobs = Self.jobs()
        let alone = try jobs.map { try ImageEncoder.encode($0.image, as: $0.format, quality: $0.quality, threads: 1) }
        #expect(try ImageEncoder.encode(jobs, threads: threads) == alone, "\(threads) threads")
        // Small strips: many pieces per image, taken by the workers in turns.
        let smallStrips = try ImageEncoder.encode(jobs, stripBytes: 3 * 302 * 4, threads: threads)
        for (index, job) in jobs.enumerated() where job.format == .png {
            #expect(smallStrips[index] == (try PNG.encode(job.image, stripBytes: 3 * 302 * 4, threads: 1)))
            #expect(try ImageDecoder.decode(smallStrips[index]) == job.image)
        }
    }

    @Test func noJobsGiveNoFiles() throws {
        #expect(try ImageEncoder.encode([], threads: 2).isEmpty)
    }

    /// A job that cannot be encoded (RGBA as JPEG; a PNG with no rows) fails the whole call with its error.
    @Test func aFailingJobThrowsItsError() {
        let rgba = PNGEncodingTests.image(width: 9, height: 7, channels: 4, seed: 4)
        #expect(throws: ImageError.self) {
            try ImageEncoder.encode([ImageEncoder.Job(rgba, as: .png), ImageEncoder.Job(rgba, as: .jpeg)], threads: 2)
        }
        #expect(throws: ImageError.self) {
            try ImageEncoder.encode([ImageEncoder.Job(Image(width: 5, height: 0, channels: 1), as: .png)], threads: 2)
        }
    }
}
