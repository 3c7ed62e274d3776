import ArgumentParser
import Foundation
import Matting
import TestSupport
import Testing
@testable import MatteCommand

private let checksAvailable = (try? PhotoChecker()) != nil

/// `matte check` and `matte --check` on the sample photos. Skipped when the model files are missing
/// (`scripts/fetch-assets` fetches them).
@Suite(.enabled(if: checksAvailable, "model files missing: run scripts/fetch-assets"))
struct CheckCommandTests {
    static let portrait = ModelFiles.samplesDirectory + "/grace_hopper.jpg"
    static let coffee = ModelFiles.samplesDirectory + "/extra/coffee.png"

    static func check(_ arguments: [String]) throws -> (status: Int32, console: CapturedConsole) {
        let command = try #require(try MatteCommand.parseAsRoot(["check"] + arguments) as? Check)
        let console = CapturedConsole()
        let status = try command.run(console: console.console, standardInput: FileHandle(forReadingAtPath: "/dev/null")!)
        return (status, console)
    }

    @Test func cleanPortraitIsOkAndExitsZero() throws {
        let (status, console) = try Self.check(["-i", Self.portrait, "--threads", "1"])
        #expect(status == 0)
        #expect(console.output == "\(Self.portrait): ok\n")
    }

    @Test func photoWithoutPeopleWarnsAndExitsTwo() throws {
        let (status, console) = try Self.check(["-i", Self.portrait, Self.coffee, "--threads", "1"])
        #expect(status == 2)
        let lines = console.output.split(separator: "\n")
        #expect(lines.count >= 3 && lines[1].hasPrefix("\(Self.coffee): no_person"))
        #expect(lines[2].hasPrefix("  no_person: "))
    }

    @Test func jsonHasTheFields() throws {
        let (status, console) = try Self.check(["-i", Self.portrait, "--json"])
        #expect(status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(console.output.utf8)) as? [String: Any])
        #expect(object["path"] as? String == Self.portrait)
        #expect(object["width"] as? Int == 512 && object["height"] as? Int == 600)
        let faces = try #require(object["faces"] as? [[String: Any]])
        #expect(faces.count == 1 && (faces[0]["keypoints"] as? [Any])?.count == 6)
        let box = try #require(faces[0]["box"] as? [String: Double])
        #expect(box["x"]! > 150 && box["x"]! < 190 && box["width"]! > 170 && box["width"]! < 220)
        for key in ["person_fraction", "sharpness"] { #expect(object[key] is Double, "\(key)") }
        let exposure = try #require(object["exposure"] as? [String: Double])
        #expect(exposure["face_mean"] != nil && exposure["background_mean"] != nil)
        #expect((object["warnings"] as? [Any])?.isEmpty == true)
    }

    @Test func unreadableInputExitsOne() throws {
        let (status, console) = try Self.check(["-i", "/nonexistent/photo.jpg", Self.portrait])
        #expect(status == 1)
        #expect(console.error.hasPrefix("matte: /nonexistent/photo.jpg: "))
        #expect(console.output == "\(Self.portrait): ok\n")
    }

    @Test func bareCheckMeansReport() throws {
        #expect(MatteCommand.spelledOut(["-i", "a.jpg", "--check"]) == ["-i", "a.jpg", "--check=report"])
        #expect(MatteCommand.spelledOut(["--check", "-i", "a.jpg"]) == ["--check=report", "-i", "a.jpg"])
        #expect(MatteCommand.spelledOut(["--check", "strict", "-i", "a.jpg"]) == ["--check", "strict", "-i", "a.jpg"])
        #expect(MatteCommand.spelledOut(["check", "--check"]) == ["check", "--check"])
        let command = try MatteCommand.parse(MatteCommand.spelledOut(["-i", "a.jpg", "--check"]))
        #expect(try command.matteRequest().check == .report)
    }

    /// `--check` writes `<name>_check.json` beside the outputs; `--check strict` skips a photo with a
    /// warning, as a failure naming the reason, and writes nothing for it.
    @Test func matteWithChecks() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let output = folder.path + "/out"
        let reported = try EndToEndTests.run(MatteCommand.spelledOut(
            ["-i", Self.portrait, Self.coffee, "-d", output, "--mode", "fast", "--check"]))
        #expect(reported.failed == 0)
        let json = try String(contentsOfFile: output + "/grace_hopper_check.json", encoding: .utf8)
        #expect(json.hasPrefix("{\"path\":\"\(Self.portrait)\"") && json.contains("\"warnings\":[]"))
        #expect(FileManager.default.fileExists(atPath: output + "/coffee_check.json"))
        #expect(reported.console.error.contains("matte: \(Self.coffee): warning: no_person: "))

        let strictOutput = folder.path + "/strict"
        let strict = try EndToEndTests.run(["-i", Self.portrait, Self.coffee, "-d", strictOutput, "--mode", "fast",
                                            "--check", "strict"])
        #expect(strict.failed == 1)
        #expect(strict.console.error.contains("matte: \(Self.coffee): skipped by --check strict: no_person: "))
        #expect(!FileManager.default.fileExists(atPath: strictOutput + "/coffee_alpha.png"))
        #expect(FileManager.default.fileExists(atPath: strictOutput + "/grace_hopper_alpha.png"))
    }
}
