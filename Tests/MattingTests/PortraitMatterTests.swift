import Foundation
import Testing
import Imaging
@testable import Matting

/// The whole pipeline on the sample portraits: the person is kept, what is not the person is dropped.
@Suite struct PortraitMatterTests {
    static func mean(_ alpha: Image, x: Range<Int>, y: Range<Int>) -> Double {
        var sum = 0.0
        for row in y { for column in x { sum += Double(alpha.pixels[row * alpha.width + column]) } }
        return sum / Double(x.count * y.count) / 255
    }

    @Test(arguments: MattingOptions.Mode.allCases)
    func astronautKeepsThePersonAndDropsTheShuttleAndFlag(mode: MattingOptions.Mode) throws {
        let matter = try PortraitMatter(threads: 2)
        let photo = try SelfieSegmenterTests.photo("astronaut")
        let matte = try matter.matte(photo, options: MattingOptions(mode: mode, estimatesBackground: true))
        #expect(matte.alpha.width == 512 && matte.alpha.height == 512 && matte.alpha.channels == 1)
        #expect(matte.cutout.channels == 4)
        // Only best and fine mode estimate the background, and only when asked: the matte and the
        // cut-out are the same either way.
        #expect((matte.backgroundEstimate != nil) == (mode != .fast))
        if let background = matte.backgroundEstimate { #expect(background.width == 512 && background.channels == 3) }
        let unasked = try matter.matte(photo, options: MattingOptions(mode: mode))
        #expect(unasked.backgroundEstimate == nil)
        #expect(unasked.alpha == matte.alpha && unasked.cutout == matte.cutout)
        let face = Self.mean(matte.alpha, x: 190..<260, y: 90..<150)
        let suit = Self.mean(matte.alpha, x: 60..<250, y: 300..<480)
        let shuttle = Self.mean(matte.alpha, x: 370..<450, y: 10..<260)
        let flag = Self.mean(matte.alpha, x: 0..<15, y: 0..<300)
        #expect(face > 0.97, "face \(face)")
        #expect(suit > 0.97, "suit \(suit)")
        #expect(shuttle < 0.03, "shuttle \(shuttle)")
        #expect(flag < 0.05, "flag \(flag)")
    }

    /// Photos past the 20:1 shape limit are refused by the library itself, whoever decoded them; tiny
    /// photos within it are matted.
    @Test func elongatedPhotosAreRefused() throws {
        let matter = try PortraitMatter(threads: 2)
        for (width, height) in [(1, 21), (2_100, 100), (1, 1_000_000)] {
            let photo = Image(width: width, height: height, channels: 3, filling: 100)
            #expect(throws: ImageError.tooElongated(width: width, height: height, maximumRatio: 20)) {
                _ = try matter.matte(photo)
            }
        }
        for (width, height) in [(1, 1), (1, 20), (40, 2), (3, 3)] {
            for mode in MattingOptions.Mode.allCases {
                let matte = try matter.matte(Image(width: width, height: height, channels: 3, filling: 100),
                                             options: MattingOptions(mode: mode))
                #expect((matte.alpha.width, matte.alpha.height) == (width, height))
            }
        }
    }

    /// Fine mode on a photo larger than the working grid: best's matte, solved again on its band only
    /// (a 2x copy of a sample portrait; every pixel of it doubled, so the band has work to do).
    @Test func fineModeChangesOnlyTheBand() throws {
        let matter = try PortraitMatter(threads: 2)
        let small = try SelfieSegmenterTests.photo("grace_hopper").rgb()
        var photo = Image(width: small.width * 2, height: small.height * 2, channels: 3)
        for y in 0..<photo.height {
            for x in 0..<photo.width {
                for channel in 0..<3 {
                    photo.pixels[(y * photo.width + x) * 3 + channel] = small.pixels[((y / 2) * small.width + x / 2) * 3 + channel]
                }
            }
        }
        let best = try matter.matte(photo, options: MattingOptions(mode: .best))
        let fine = try matter.matte(photo, options: MattingOptions(mode: .fine))
        #expect((fine.alpha.width, fine.alpha.height) == (photo.width, photo.height))
        let differences = zip(best.alpha.pixels, fine.alpha.pixels).map { abs(Int($0) - Int($1)) }
        let changed = differences.filter { $0 > 0 }.count
        #expect(changed > 0 && changed < photo.pixelCount / 5, "\(changed) of \(photo.pixelCount) changed")
        #expect(Double(differences.reduce(0, +)) / Double(photo.pixelCount) < 255 * 0.03)
        #expect(Self.mean(fine.alpha, x: 400..<600, y: 300..<500) > 0.95)
    }

    /// In any-subject mode the person prior is off: the result follows the detail branch alone.
    @Test func anySubjectModeRuns() throws {
        let matter = try PortraitMatter(threads: 2)
        let photo = try SelfieSegmenterTests.photo("grace_hopper")
        let matte = try matter.matte(photo, options: MattingOptions(subject: .any))
        #expect(Self.mean(matte.alpha, x: 200..<300, y: 150..<250) > 0.95)
        #expect(Self.mean(matte.alpha, x: 0..<40, y: 0..<100) < 0.05)
    }

    /// Networks loaded in the background (`loading`) matte as networks loaded up front; with two cores
    /// the selfie network runs beside U-2-Net-p's resize, and the selfie's output and the whole matte
    /// are those of one core, to the bit.
    @Test func backgroundLoadingAndBranchesSideBySideGiveTheSameMatte() throws {
        let photo = try SelfieSegmenterTests.photo("grace_hopper")
        let oneCore = try PortraitMatter(threads: 1).matte(photo)
        let sideBySide = try PortraitMatter.loading(threads: 2).matte(photo)
        #expect(sideBySide.person?.values == oneCore.person?.values)
        #expect(sideBySide.alpha.pixels == oneCore.alpha.pixels)
        #expect(sideBySide.cutout.pixels == oneCore.cutout.pixels)
    }

    /// A missing model file stops `loading` at once, naming it; a file that is not a model fails every
    /// `matte` (and `waitUntilLoaded`) with its path instead, and the process goes on.
    @Test func loadingReportsMissingAndBrokenModels() throws {
        let folder = NSTemporaryDirectory() + "matte-models-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let missing = #expect(throws: MattingError.self) { try PortraitMatter.loading(modelDirectory: folder) }
        guard case .modelMissing(let missingPath, _)? = missing else { Issue.record("\(String(describing: missing))"); return }
        #expect(missingPath == folder + "/" + ModelFiles.u2netp)

        try FileManager.default.copyItem(atPath: ModelFiles.defaultDirectory + "/" + ModelFiles.selfie,
                                         toPath: folder + "/" + ModelFiles.selfie)
        try Data([0x08, 0x07, 0xFF, 0x00]).write(to: URL(fileURLWithPath: folder + "/" + ModelFiles.u2netp))
        let matter = try PortraitMatter.loading(modelDirectory: folder, threads: 2)
        for mode in MattingOptions.Mode.allCases {
            let broken = #expect(throws: MattingError.self) {
                try matter.matte(Image(width: 8, height: 8, channels: 3, filling: 90), options: MattingOptions(mode: mode, subject: .any))
            }
            guard case .model(let path, _)? = broken else { Issue.record("\(String(describing: broken))"); return }
            #expect(path == folder + "/" + ModelFiles.u2netp)
        }
        // The person branch alone needs only the selfie network, which loaded.
        _ = try matter.matte(Image(width: 8, height: 8, channels: 3, filling: 90), options: MattingOptions(mode: .fast))
        #expect(throws: MattingError.self) { try matter.waitUntilLoaded() }
        #expect(throws: MattingError.self) { try PortraitMatter(modelDirectory: folder) }
    }

    /// The detail branch's file given apart from the model folder (the quality benchmark's
    /// `--detail-model`): a missing one is named at once, one that is not a model fails with its path,
    /// and U-2-Net-p given so mattes as the default does.
    @Test func detailModelIsReadFromTheGivenPath() throws {
        let folder = NSTemporaryDirectory() + "matte-detail-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let missingPath = folder + "/missing.onnx"
        let missing = #expect(throws: MattingError.self) { try PortraitMatter.loading(detailModel: missingPath) }
        guard case .modelMissing(let reported, _)? = missing else { Issue.record("\(String(describing: missing))"); return }
        #expect(reported == missingPath)

        let brokenPath = folder + "/broken.onnx"
        try Data([0x08, 0x07, 0xFF, 0x00]).write(to: URL(fileURLWithPath: brokenPath))
        let broken = #expect(throws: MattingError.self) { try PortraitMatter(detailModel: brokenPath) }
        guard case .model(let brokenReported, _)? = broken else { Issue.record("\(String(describing: broken))"); return }
        #expect(brokenReported == brokenPath)

        let copyPath = folder + "/detail.onnx"
        try FileManager.default.copyItem(atPath: ModelFiles.defaultDirectory + "/" + ModelFiles.u2netp, toPath: copyPath)
        let photo = try SelfieSegmenterTests.photo("grace_hopper")
        let given = try PortraitMatter(threads: 2, detailModel: copyPath).matte(photo)
        let standard = try PortraitMatter(threads: 2).matte(photo)
        #expect(given.alpha.pixels == standard.alpha.pixels)
    }

    /// U-2-Net-p taking turns in one arena (a batch's workers): calls from several threads at once each
    /// get the matte the same call gets alone.
    @Test func detailNetworkTurnsGiveTheSameMattes() async throws {
        let photos = try ["astronaut", "grace_hopper", "astronaut", "grace_hopper"].map { try SelfieSegmenterTests.photo($0) }
        let turns = try PortraitMatter(threads: 1, detailTurnThreads: 2)
        let expected = try photos.map { try turns.matte($0).alpha.pixels }
        let mattes = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            for (index, photo) in photos.enumerated() {
                group.addTask { (index, try turns.matte(photo).alpha.pixels) }
            }
            var mattes = [[UInt8]](repeating: [], count: photos.count)
            for try await (index, pixels) in group { mattes[index] = pixels }
            return mattes
        }
        for index in photos.indices { #expect(mattes[index] == expected[index], "photo \(index)") }
    }
}
