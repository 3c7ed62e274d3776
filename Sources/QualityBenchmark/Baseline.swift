import Foundation
import Imaging
import Matting

/// Another build of `matte` (say, the previous commit's) scored beside ours in the same run: the
/// portraits and composites parts run it once over all their photos and read back its mattes as the
/// method `matte best, baseline`. Its time per photo is the wall-clock time of that one batch divided
/// by the photos, start-up included, so it is not comparable with the per-photo times of the others.
struct Baseline {
    /// Path of the `matte` executable.
    var executable: String
    /// Its mattes, `<folder>/<photo's file name without extension>_alpha.png`.
    var folder: String
    var secondsPerPhoto: Double

    /// Runs `executable` in best mode on `photos` with `subject` and `threads` cores, writing the mattes
    /// to a fresh temporary folder. Stops the benchmark, naming the binary, if it fails.
    static func run(_ executable: String, photos: [String], subject: BranchFusion.Subject, threads: Int) -> Baseline {
        let folder = NSTemporaryDirectory() + "matte-quality-baseline-\(UUID().uuidString)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--mode", "best", "--subject", subject.rawValue, "--outputs", "alpha",
                             "--threads", String(threads), "--output-dir", folder, "--input"] + photos
        process.standardOutput = FileHandle.nullDevice
        let clock = ContinuousClock()
        let start = clock.now
        do {
            try process.run()
        } catch {
            fail("cannot run the baseline \(executable): \(error)")
        }
        process.waitUntilExit()
        let seconds = (clock.now - start).seconds
        guard process.terminationStatus == 0 else {
            fail("the baseline \(executable) exited with \(process.terminationStatus) on \(photos.count) photos")
        }
        return Baseline(executable: executable, folder: folder, secondsPerPhoto: seconds / Double(max(photos.count, 1)))
    }

    /// The baseline's matte of the photo whose file name, without extension, is `name`.
    func alpha(named name: String) -> Plane {
        readAlpha("\(folder)/\(name)_alpha.png")
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: folder)
    }
}
