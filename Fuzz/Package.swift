// swift-tools-version:6.1
import PackageDescription

/// libFuzzer targets for matte's readers of untrusted bytes, kept apart from the main package so that its
/// `swift build` and `swift test` never build them. `scripts/fuzz` builds this package with
/// `--sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address` (libFuzzer supplies `main`; each target only
/// defines `LLVMFuzzerTestOneInput`) and `-Xswiftc -enable-testing` (the request target reads internal
/// types of `Service`); built without them, the targets do not link or do not run.
let native: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "native"])]

let package = Package(
    name: "matte-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "matte", path: ".."),
    ],
    targets: [
        /// What the targets share: the input as bytes, `MATTE_FUZZ_VERBOSE` reports for replays, and reading
        /// then planning a model.
        .target(name: "FuzzSupport", dependencies: [.product(name: "Inference", package: "matte")]),
        .executableTarget(name: "TFLiteFuzzer", dependencies: ["FuzzSupport", .product(name: "Inference", package: "matte")],
                          swiftSettings: native),
        .executableTarget(name: "ONNXFuzzer", dependencies: ["FuzzSupport", .product(name: "Inference", package: "matte")],
                          swiftSettings: native),
        .executableTarget(name: "DecodeFuzzer", dependencies: ["FuzzSupport", .product(name: "Imaging", package: "matte")],
                          swiftSettings: native),
        .executableTarget(name: "RequestFuzzer", dependencies: ["FuzzSupport", .product(name: "Service", package: "matte")],
                          swiftSettings: native),
    ]
)
