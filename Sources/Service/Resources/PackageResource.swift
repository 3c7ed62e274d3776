import Foundation

/// Text files shipped in this target's resource bundle (`Bundle.module`: beside the executable as
/// `matte_Service.resources`, else in the build folder).
enum PackageResource {
    /// The UTF-8 text of the resource `name`. A missing resource is a broken build or installation, so
    /// it stops the process, naming the bundle that lacks it.
    static func text(_ name: String) -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil),
              let text = try? String(contentsOf: url, encoding: .utf8)
        else { fatalError("\(name) is missing from the resource bundle \(Bundle.module.bundlePath)") }
        return text
    }
}
