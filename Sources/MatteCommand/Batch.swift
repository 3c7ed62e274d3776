import ArgumentParser
import Foundation
import Imaging
import Matting

extension MatteCommand {
    /// Processes every input: read, decode, matte, encode, write. Returns how many inputs failed; throws
    /// `ExitCode.failure` when nothing can run at all (no samples, no models, no output folder).
    func runBatch(console: Console, standardInput: FileHandle) throws -> Int {
        let arguments: [String]
        if inputs.isEmpty {
            let samples = ModelFiles.samplesDirectory
            guard FileManager.default.fileExists(atPath: samples) else {
                console.writeError("""
                    matte: no --input given and the sample portraits are missing (\(samples)); \
                    fetch them with \(ModelFiles.fetchCommand), or name images with --input\n
                    """)
                throw ExitCode.failure
            }
            arguments = [samples]
        } else {
            arguments = inputs
        }
        let (items, problems) = InputSource.gather(arguments, recursive: recursive)
        let names = OutputNaming.names(for: items)

        let writer = OutputWriter(directory: outputDirectory)
        let matter: PortraitMatter
        do {
            matter = try PortraitMatter(modelDirectory: modelDirectory ?? ModelFiles.defaultDirectory,
                                        threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
            try writer.createDirectory()
        } catch {
            console.writeError("matte: \(error)\n")
            throw ExitCode.failure
        }

        let reader = InputReader(fetcher: URLFetcher(maxBytes: maxDownloadBytes), standardInput: standardInput)
        var decodeOptions = DecodeOptions()
        decodeOptions.pixelLimit = maxPixels

        let report = ProgressReport(console: console, total: items.count)
        for problem in problems { report.problem(problem.argument, problem.reason) }
        for (item, name) in zip(items, names) {
            let files = OutputFiles(name: name, cutoutFormat: format)
            let start = ContinuousClock.now
            do {
                let times = try process(item, into: files, reader: reader, decodeOptions: decodeOptions,
                                        matter: matter, writer: writer)
                report.succeeded(item.displayName, outputs: [writer.path(of: files.alpha), files.cutout],
                                 elapsed: ContinuousClock.now - start)
                if timings { report.output("\(item.displayName): \(times.summary)\n") }
            } catch {
                report.failed(item.displayName, Self.reason(error))
            }
        }
        report.summary()
        return report.failed
    }

    /// One input from bytes to files; nothing is written unless every step before writing succeeded.
    private func process(_ item: InputItem, into files: OutputFiles, reader: InputReader, decodeOptions: DecodeOptions,
                         matter: PortraitMatter, writer: OutputWriter) throws -> StageTimes {
        var times = StageTimes()
        let clock = ContinuousClock()
        var mark = clock.now
        func lap() -> Duration {
            let now = clock.now
            defer { mark = now }
            return now - mark
        }

        let bytes = try reader.read(item)
        times.read = lap()
        let image = try ImageDecoder.decode(bytes, options: decodeOptions)
        times.decode = lap()
        let matte = try matter.matte(image, options: MattingOptions(mode: mode, subject: subject))
        _ = lap()
        let format = format
        let encoded = try concurrently([
            { @Sendable in try ImageEncoder.png(matte.alpha) },
            { @Sendable in
                switch format {
                case .png: try ImageEncoder.png(matte.cutout)
                case .webp: try ImageEncoder.webp(matte.cutout, quality: nil)
                }
            },
        ])
        let alpha = encoded[0], cutout = encoded[1]
        times.encode = lap()
        try writer.write([(files.alpha, alpha), (files.cutout, cutout)])
        times.write = lap()
        times.matting = matte.timings
        return times
    }

    /// The reason part of `matte: <input>: <reason>`.
    static func reason(_ error: Error) -> String {
        switch error {
        case let problem as InputProblem: problem.reason
        default: "\(error)"
        }
    }
}

/// One input's time per stage, for `--timings`.
struct StageTimes {
    var read: Duration = .zero
    var decode: Duration = .zero
    var matting = StageTimings()
    var encode: Duration = .zero
    var write: Duration = .zero

    /// `read 1.0 ms, decode 12.3 ms, pre-process ..., inference ..., post-process ..., encode ..., write ...`.
    var summary: String {
        let stages: [(String, Duration)] = [
            ("read", read), ("decode", decode), ("pre-process", matting.preprocess),
            ("inference", matting.inference), ("post-process", matting.postprocess),
            ("encode", encode), ("write", write),
        ]
        return stages.map { "\($0.0) \(String(format: "%.1f", $0.1 / .milliseconds(1))) ms" }
            .joined(separator: ", ")
    }
}
