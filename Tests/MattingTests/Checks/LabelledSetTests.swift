import Foundation
import Testing
import Imaging
@testable import Matting

/// The checks on the labelled set (`LabelledSet`): every clean portrait passes without a warning,
/// every photo without people gets `no_person`, and each code's catches and false alarms are printed
/// as a table (scripts/check-report shows it).
@Suite struct LabelledSetTests {
    @Test func catchesWhatItShould() throws {
        let checker = try PhotoChecker()
        let cases = try LabelledSet.make(
            face: { name, image in
                try #require(try checker.faceDetector.faces(in: image).first, "no face in \(name)").box
            },
            person: { image in
                try checker.segmenter.probabilities(for: image, threads: 2).resized(width: image.width, height: image.height)
            })
        var caught: [CheckWarning.Code: Int] = [:], labelled: [CheckWarning.Code: Int] = [:]
        var falseAlarms: [CheckWarning.Code: Int] = [:]
        print("case | expected | got | faces | person | sharpness | face mean | person mean | background mean")
        for item in cases {
            let check = try checker.check(item.image, threads: 2)
            let got = Set(check.warnings.map(\.code))
            for code in item.expected {
                labelled[code, default: 0] += 1
                if got.contains(code) { caught[code, default: 0] += 1 }
            }
            for code in got.subtracting(item.expected) { falseAlarms[code, default: 0] += 1 }
            func figure(_ value: Float?) -> String { value.map { String(format: "%.3f", $0) } ?? "-" }
            print("\(item.name) | \(item.expected.map(\.rawValue).sorted().joined(separator: ",")) | \(check.verdict) | "
                  + "\(check.faces.count) | \(figure(check.personFraction)) | \(figure(check.sharpness)) | "
                  + "\(figure(check.exposure.faceMean)) | \(figure(check.exposure.personMean)) | \(figure(check.exposure.backgroundMean))")
            if item.expected.isEmpty, item.name.split(separator: " ").count == 1 {
                #expect(check.warnings.isEmpty, "clean portrait \(item.name): \(check.verdict)")
            }
            if item.expected == [.noPerson] {
                #expect(got.contains(.noPerson), "\(item.name) without people: \(check.verdict)")
            }
        }
        print("code | caught | labelled | false alarms (of \(cases.count) cases)")
        for code in CheckWarning.Code.allCases {
            print("\(code.rawValue) | \(caught[code, default: 0]) | \(labelled[code, default: 0]) | \(falseAlarms[code, default: 0])")
            // What the thresholds were chosen to give: two thirds caught at least, two false alarms at most.
            #expect(3 * caught[code, default: 0] >= 2 * labelled[code, default: 0], "\(code.rawValue) catches too few")
            #expect(falseAlarms[code, default: 0] <= 2, "\(code.rawValue) raises too many false alarms")
        }
    }
}
