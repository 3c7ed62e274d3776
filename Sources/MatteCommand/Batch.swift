import ArgumentParser
import Foundation
import Imaging
import Matting

extension MatteCommand {
    /// Processes every input: read, decode, matte, encode, write. Returns how many inputs failed; throws
    /// `ExitCode.failure` when nothing can run at all (no samples, no models, no output folder).
    func runBatch(console: Console, standardInput: FileHandle) throws -> Int {
        Self.keepFreedMemory()
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
        let plan = try outputPlan()
        let (items, problems) = InputSource.gather(arguments, recursive: recursive)
        let names = OutputNaming.names(for: items)

        let reader = InputReader(fetcher: URLFetcher(maxBytes: maxDownloadBytes), standardInput: standardInput)
        let decodeOptions = DecodeOptions(pixelLimit: maxPixels, maximumAspectRatio: PortraitMatter.maximumAspectRatio)

        let backdrop: Backdrop
        do {
            backdrop = try Self.backdrop(for: plan.background, reader: reader, decodeOptions: DecodeOptions(pixelLimit: maxPixels))
        } catch {
            console.writeError("matte: --background \(printable("\(error)"))\n")  // `<path>: <reason>`
            throw ExitCode.failure
        }

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

        let report = ProgressReport(console: console, total: items.count)
        for problem in problems { report.problem(problem.argument, problem.reason) }
        for (item, name) in zip(items, names) {
            let files = OutputFiles(name: name, format: plan.format)
            let start = ContinuousClock.now
            do {
                let times = try process(item, into: files, plan: plan, backdrop: backdrop, reader: reader,
                                        decodeOptions: decodeOptions, matter: matter, writer: writer)
                let written = plan.kinds.map(files.fileName)
                report.succeeded(item.displayName, outputs: [writer.path(of: written[0])] + written.dropFirst(),
                                 elapsed: ContinuousClock.now - start)
                if timings {
                    report.output("\(printable(item.displayName)): \(times.summary)\n")
                    if !times.matting.stages.isEmpty { report.output("  post-process: \(times.postprocessSummary)\n") }
                }
            } catch {
                report.failed(item.displayName, Self.reason(error))
            }
        }
        report.summary()
        return report.failed
    }

    /// The composite's backdrop: white when no background is given; an image background is read and
    /// decoded here, once for the batch. Errors name the background: `<path>: <reason>`.
    static func backdrop(for choice: BackgroundChoice?, reader: InputReader, decodeOptions: DecodeOptions) throws -> Backdrop {
        switch choice {
        case nil: return Colour(red: 255, green: 255, blue: 255).backdrop
        case .backdrop(let backdrop): return backdrop
        case .image(let location):
            let item: InputItem
            if InputSource.looksLikeURL(location) {
                guard let url = URL(string: location) else { throw InputProblem(argument: location, reason: "not a valid URL") }
                item = InputItem(location: .url(url), displayName: location)
            } else {
                item = InputItem(location: .file(path: location), displayName: location)
            }
            do {
                return .image(try ImageDecoder.decode(try reader.read(item), options: decodeOptions))
            } catch let problem as InputProblem {
                throw InputProblem(argument: location, reason: problem.reason)
            } catch {
                throw InputProblem(argument: location, reason: "\(error)")
            }
        }
    }

    /// One input from bytes to files; nothing is written unless every step before writing succeeded.
    private func process(_ item: InputItem, into files: OutputFiles, plan: OutputPlan, backdrop: Backdrop,
                         reader: InputReader, decodeOptions: DecodeOptions, matter: PortraitMatter,
                         writer: OutputWriter) throws -> StageTimes {
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
        let composite = plan.kinds.contains(.composite) ? Composite.make(matte, over: backdrop, threads: matter.threads) : nil
        times.composite = lap()
        // One image at a time: the PNG encoder spreads each image over all cores itself.
        let encoded = try plan.kinds.map { kind in
            switch kind {
            case .alpha: (files.fileName(kind), try ImageEncoder.png(matte.alpha))
            case .cutout: (files.fileName(kind), try ImageEncoder.encode(matte.cutout, as: plan.format, quality: plan.quality))
            // `composite` is made whenever the plan holds it.
            case .composite: (files.fileName(kind), try ImageEncoder.encode(composite!, as: plan.format, quality: plan.quality))
            }
        }
        times.encode = lap()
        try writer.write(encoded)
        times.write = lap()
        times.matting = matte.timings
        return times
    }

    /// Lets freed memory of up to 32 MB a block be reused rather than given back. glibc maps each
    /// block over 128 KB apart and unmaps it when freed, so every full-resolution plane of every stage
    /// was faulted in page by page anew (a third of a 1080p photo's page faults); kept in the heap,
    /// freed blocks serve the next stage and the next photo. A batch's peak memory is about the same.
    static func keepFreedMemory() {
        #if os(Linux)
        _ = mallopt(mmapThreshold, 32 << 20)
        _ = mallopt(trimThreshold, 1 << 30)
        #endif
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
    var composite: Duration = .zero
    var encode: Duration = .zero
    var write: Duration = .zero

    /// `read 1.0 ms, decode 12.3 ms, pre-process ..., inference ..., post-process ..., composite ..., encode ..., write ...`.
    var summary: String {
        let stages: [(String, Duration)] = [
            ("read", read), ("decode", decode), ("pre-process", matting.preprocess),
            ("inference", matting.inference), ("post-process", matting.postprocess),
            ("composite", composite), ("encode", encode), ("write", write),
        ]
        return Self.list(stages)
    }

    /// The parts of post-process: `fusion 0.2 ms, downsample 1.9 ms, solve 9.0 ms (laplacian 5.1 ms, ...), ...`;
    /// a part named with leading spaces in `StageTimings.stages` is a part of the one before it.
    var postprocessSummary: String {
        var parts: [(name: String, time: Duration, parts: [(String, Duration)])] = []
        for (name, time) in matting.stages {
            if name.hasPrefix(" "), !parts.isEmpty {
                parts[parts.count - 1].parts.append((name.trimmingCharacters(in: .whitespaces), time))
            } else {
                parts.append((name, time, []))
            }
        }
        return parts.map { part in
            Self.list([(part.name, part.time)]) + (part.parts.isEmpty ? "" : " (\(Self.list(part.parts)))")
        }.joined(separator: ", ")
    }

    private static func list(_ stages: [(String, Duration)]) -> String {
        stages.map { "\($0.0) \(String(format: "%.1f", $0.1 / .milliseconds(1))) ms" }.joined(separator: ", ")
    }
}

#if os(Linux)
/// glibc's `mallopt` (malloc.h, which the Glibc module does not export) and its parameters
/// `M_TRIM_THRESHOLD` and `M_MMAP_THRESHOLD`.
@_silgen_name("mallopt")
private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32
private let trimThreshold: Int32 = -1
private let mmapThreshold: Int32 = -3
#endif
