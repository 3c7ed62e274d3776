import Parallelism

/// Writes `Image`s as PNG, WebP or JPEG files.
public enum ImageEncoder {
    /// Lossless PNG, 8 bits per sample: 1 channel -> grey, 3 -> RGB, 4 -> RGBA. Coded in strips on up to
    /// `threads` cores (see `PNGEncoding.swift`); by default all of them.
    public static func png(_ image: Image, threads: Int = processorCount) throws(ImageError) -> [UInt8] {
        try PNG.encode(image, threads: threads)
    }

    /// WebP of any channel count (grey is stored as RGB).
    ///
    /// - Parameter quality: 0...100 for lossy; nil for lossless with the colour of fully transparent
    ///   pixels kept exactly (libwebp's `exact`), so cut-outs can be un-premultiplied or re-matted later.
    public static func webp(_ image: Image, quality: Float? = nil) throws(ImageError) -> [UInt8] {
        try WebP.encode(image, quality: quality)
    }

    /// Baseline JPEG of a grey (1 channel) or RGB (3 channel) image.
    ///
    /// - Parameter quality: 1...100. At 90 and above chroma is not subsampled (4:4:4), below it is 4:2:0,
    ///   the convention ImageMagick follows.
    /// - Throws: `encodingFailed` for RGBA: JPEG has no alpha; flatten it first (`Image.flattened(over:)`).
    public static func jpeg(_ image: Image, quality: Int = 90) throws(ImageError) -> [UInt8] {
        try JPEG.encode(image, quality: quality)
    }

    /// Encodes in `format`.
    ///
    /// - Parameters:
    ///   - quality: 1...100 for JPEG (nil: 90) and lossy WebP (nil: lossless WebP); PNG ignores it.
    ///   - threads: cores the PNG coder may use (WebP and JPEG use one).
    public static func encode(_ image: Image, as format: ImageFormat, quality: Int? = nil,
                              threads: Int = processorCount) throws(ImageError) -> [UInt8] {
        switch format {
        case .png: try png(image, threads: threads)
        case .webp: try webp(image, quality: quality.map(Float.init))
        case .jpeg: try jpeg(image, quality: quality ?? 90)
        }
    }

    /// One image to encode, and how (`encode(_:as:quality:threads:)`'s parameters).
    public struct Job: Sendable {
        public var image: Image
        public var format: ImageFormat
        public var quality: Int?

        public init(_ image: Image, as format: ImageFormat, quality: Int? = nil) {
            self.image = image
            self.format = format
            self.quality = quality
        }
    }

    /// Encodes several images at once on up to `threads` workers (the outputs of one photo), each as
    /// `encode(_:as:quality:threads:)` would, byte for byte. The work is dealt out in pieces as workers
    /// become free (`inTurns`): each WebP or JPEG whole (one core), first, as they are the longest; then
    /// every PNG strip (`PNG.Strips`), image after image. So a JPEG composite is coded beside the
    /// matte's strips, and no worker waits at the end of one image while another still has strips left.
    ///
    /// - Returns: the files, in the order of `jobs`.
    /// - Throws: the first failing job's error, in the order of `jobs`.
    public static func encode(_ jobs: [Job], threads: Int = processorCount) throws(ImageError) -> [[UInt8]] {
        try encode(jobs, stripBytes: PNG.standardStripBytes, threads: threads)
    }

    static func encode(_ jobs: [Job], stripBytes: Int, threads: Int) throws(ImageError) -> [[UInt8]] {
        var strips: [PNG.Strips?] = []
        for job in jobs {
            strips.append(job.format == .png ? try PNG.Strips(job.image, stripBytes: stripBytes) : nil)
        }
        // The pieces: (job, strip index), the index nil for a whole image; whole images first.
        let pieces: [(job: Int, strip: Int?)] = jobs.indices.filter { strips[$0] == nil }.map { ($0, nil) }
            + jobs.indices.flatMap { job in (0..<(strips[job]?.count ?? 0)).map { (job, $0) } }
        // One slot per piece, each written by exactly one worker before `inTurns` returns.
        var wholes = [Result<[UInt8], ImageError>?](repeating: nil, count: pieces.count)
        var coded = [PNG.Strip?](repeating: nil, count: pieces.count)
        var scratch = [[UInt8]](repeating: [], count: max(1, min(threads, pieces.count)))
        wholes.withUnsafeMutableBufferPointer { wholes in
            coded.withUnsafeMutableBufferPointer { coded in
                scratch.withUnsafeMutableBufferPointer { scratch in
                    nonisolated(unsafe) let wholes = wholes, coded = coded, scratch = scratch
                    inTurns(pieces.count, threads: threads) { worker, piece in
                        let job = pieces[piece].job
                        if let strip = pieces[piece].strip {
                            // A strip piece belongs to a PNG job, whose strips were made above.
                            coded[piece] = strips[job]!.code(strip, scratch: &scratch[worker])
                        } else {
                            let job = jobs[job]
                            wholes[piece] = Result { () throws(ImageError) in
                                try encode(job.image, as: job.format, quality: job.quality, threads: 1)
                            }
                        }
                    }
                }
            }
        }
        var files: [[UInt8]] = []
        for job in jobs.indices {
            let mine = pieces.indices.filter { pieces[$0].job == job }
            if let strips = strips[job] {
                files.append(strips.file(mine.map { coded[$0] }))
            } else {
                // A whole job's one piece was encoded.
                files.append(try wholes[mine[0]]!.get())
            }
        }
        return files
    }
}
