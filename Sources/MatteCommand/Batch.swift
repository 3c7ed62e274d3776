import ArgumentParser
import Foundation
import Imaging
import Matting
import MattingIO
import Video

extension MatteCommand {
    /// Processes every input: read, decode, matte, encode, write. Returns how many inputs failed; throws
    /// `ExitCode.failure` when nothing can run at all (no samples, no models, no output folder).
    ///
    /// Each input is one `MattingRequest` run by the library's `run`, on as many workers as there are cores
    /// (`BatchPipeline`), reported in input order.
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
        let request = try matteRequest()
        let (items, problems) = InputSource.gather(arguments, recursive: recursive)
        let names = OutputNaming.names(for: items)

        let reader = InputReader(fetcher: URLFetcher(maxBytes: maxDownloadBytes), standardInput: standardInput)
        let background: ImageInput?
        do {
            if case .image(let location)? = try BackgroundChoice.parse(self.background) {
                background = .decoded(try Self.backgroundImage(location, reader: reader, pixelLimit: maxPixels))
            } else {
                background = nil
            }
        } catch {
            console.writeError("matte: --background \(printable("\(error)"))\n")  // `<path>: <reason>`
            throw ExitCode.failure
        }

        let writer = OutputWriter(directory: outputDirectory)
        // Two photos or more: a worker per core (or `--workers`), the cores shared among them (see
        // `BatchPipeline`), U-2-Net-p taking turns on all of them; one photo: all cores.
        // A watched folder's photos come a few at a time: the workers from the start.
        let cores = threads ?? ProcessInfo.processInfo.activeProcessorCount
        let workers = max(1, min(self.workers ?? cores, watch ? .max : items.count))
        let matter: PortraitMatter
        do {
            // The networks load while the first photos are read and decoded; a model file that is
            // missing stops the batch here, one that cannot be read as a model fails each input.
            matter = try PortraitMatter.loading(modelDirectory: modelDirectory ?? ModelFiles.defaultDirectory,
                                                threads: max(1, cores / workers),
                                                detailTurnThreads: workers > 1 ? cores : nil)
            try writer.createDirectory()
        } catch {
            console.writeError("matte: \(error)\n")
            throw ExitCode.failure
        }

        let timings = self.timings
        /// Mattes `items` (named `names`) and reports them; returns how many failed, `problems` included.
        func matte(_ items: [InputItem], names: [String], problems: [InputProblem]) -> Int {
            let report = ProgressReport(console: console, total: items.count)
            for problem in problems { report.problem(problem.argument, problem.reason) }
            BatchPipeline.run(
                items.count, workers: workers,
                process: { index -> Result<(MattingResult, [String], BatchTimes, Duration), any Error> in
                    Result {
                        let clock = ContinuousClock()
                        let start = clock.now
                        let bytes = try reader.read(items[index])
                        let read = clock.now - start
                        let result = try matter.run(request, photo: .encoded(bytes), background: background)
                        let files = OutputFiles(name: names[index])
                        let writeStart = clock.now
                        var outputs = result.files.map { (files.fileName($0), $0.bytes) }
                        if let check = result.check {
                            outputs.append((files.name + "_check.json",
                                            Array((check.json(path: items[index].displayName) + "\n").utf8)))
                        }
                        try writer.write(outputs)
                        let times = BatchTimes(read: read, photo: result.timings, write: clock.now - writeStart)
                        return (result, outputs.map(\.0), times, clock.now - start)
                    }
                },
                report: { index, outcome in
                    let item = items[index]
                    switch outcome {
                    case .success(let (result, written, times, elapsed)):
                        report.succeeded(item.displayName, outputs: [writer.path(of: written[0])] + written.dropFirst(),
                                         elapsed: elapsed)
                        for warning in result.warnings {
                            report.warned(item.displayName, "\(warning.code.rawValue): \(warning.message)")
                        }
                        if timings {
                            report.output("\(printable(item.displayName)): \(times.summary)\n")
                            if !result.timings.matting.stages.isEmpty { report.output("  post-process: \(times.postprocessSummary)\n") }
                        }
                    case .failure(let error):
                        report.failed(item.displayName, Self.reason(error))
                    }
                })
            report.summary()
            return report.failed
        }

        if watch { return watchFolder(arguments[0], request: request, writer: writer, console: console, matte: matte) }
        if skipExisting {
            let kept = items.indices.filter { !Self.outputsAreCurrent(items[$0], name: names[$0], request: request, writer: writer) }
            if kept.count < items.count {
                console.writeError("skipped \(items.count - kept.count) input(s) whose outputs are newer\n")
            }
            return matte(kept.map { items[$0] }, names: kept.map { names[$0] }, problems: problems)
        }
        return matte(items, names: names, problems: problems)
    }

    /// Watches `folder` until SIGINT or SIGTERM: every poll (twice a second) mattes the images that have
    /// stopped growing since the last and whose outputs are missing or older. Returns how many failed.
    func watchFolder(_ folder: String, request: MattingRequest, writer: OutputWriter, console: Console,
                     matte: ([InputItem], [String], [InputProblem]) -> Int) -> Int {
        let stop = StopRequest()
        let watcher = WatchFolder(folder: folder, recursive: recursive)
        console.writeError("watching \(printable(folder)) for new images (stop with Ctrl-C)\n")
        var failed = 0
        while !stop.isRequested {
            let found = (try? InputSource.gather(folder, recursive: recursive)) ?? []
            let names = OutputNaming.names(for: found)
            let ready = Set(watcher.poll(found.compactMap { item in
                if case .file(let path) = item.location { return path } else { return nil }
            }))
            let picked = found.indices.filter { index in
                guard case .file(let path) = found[index].location, ready.contains(path) else { return false }
                return !Self.outputsAreCurrent(found[index], name: names[index], request: request, writer: writer)
            }
            if !picked.isEmpty {
                failed += matte(picked.map { found[$0] }, picked.map { names[$0] }, [])
            }
            stop.sleep(seconds: 0.5)
        }
        console.writeError("stopped watching \(printable(folder))\n")
        return failed
    }

    /// Whether every output `request` makes of the file `item` (named `name`) exists and is newer than it.
    static func outputsAreCurrent(_ item: InputItem, name: String, request: MattingRequest, writer: OutputWriter) -> Bool {
        guard case .file(let path) = item.location else { return false }
        let files = OutputFiles(name: name)
        let outputs = request.resolvedOutputs.map { output in
            writer.path(of: files.fileName(output, format: output == .alpha ? .png : request.format))
        }
        return WatchFolder.outputsAreCurrent(input: path, outputs: outputs)
    }

    /// The background image named by `--background`, read and decoded once for the batch. Errors name
    /// it: `<path>: <reason>`.
    static func backgroundImage(_ location: String, reader: InputReader, pixelLimit: Int) throws -> Image {
        let item: InputItem
        if InputSource.looksLikeURL(location) {
            guard let url = URL(string: location) else { throw InputProblem(argument: location, reason: "not a valid URL") }
            item = InputItem(location: .url(url), displayName: location)
        } else {
            item = InputItem(location: .file(path: location), displayName: location)
        }
        do {
            return try ImageDecoder.decode(try reader.read(item), options: DecodeOptions(pixelLimit: pixelLimit))
        } catch let problem as InputProblem {
            throw InputProblem(argument: location, reason: problem.reason)
        } catch {
            throw InputProblem(argument: location, reason: "\(error)")
        }
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

/// One input's time per stage, for `--timings`: the library's stages between reading and writing.
struct BatchTimes {
    var read: Duration
    var photo: PhotoTimings
    var write: Duration

    /// `read 1.0 ms, decode 12.3 ms, pre-process ..., inference ..., post-process ..., composite ..., encode ..., write ...`.
    var summary: String {
        let stages = photo.stages.map { stage in
            (stage.name.replacingOccurrences(of: "process", with: "-process"), stage.time)
        }
        return Self.list([("read", read)] + stages + [("write", write)])
    }

    /// The parts of post-process: `fusion 0.2 ms, downsample 1.9 ms, solve 9.0 ms (laplacian 5.1 ms, ...), ...`;
    /// a part named with leading spaces in `StageTimings.stages` is a part of the one before it.
    var postprocessSummary: String {
        var parts: [(name: String, time: Duration, parts: [(String, Duration)])] = []
        for (name, time) in photo.matting.stages {
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
