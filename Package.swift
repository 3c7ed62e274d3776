// swift-tools-version:6.1
import PackageDescription

/// Numeric code is built for the CPU it runs on: without this, SIMD multiply-adds become
/// library calls (no FMA or AVX in the default x86-64 target) and kernels run ~100x slower.
let native: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "native"])]

let package = Package(
    name: "matte",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "matte", targets: ["MatteCommand"]),
        .executable(name: "matte-benchmark", targets: ["InferenceBenchmark"]),
        .executable(name: "matte-quality", targets: ["QualityBenchmark"]),
        .library(name: "Matting", targets: ["Matting"]),
        .library(name: "Inference", targets: ["Inference"]),
        .library(name: "Imaging", targets: ["Imaging"]),
        .library(name: "MattingIO", targets: ["MattingIO"]),
        /// For the request-parsing fuzz target (Fuzz/), which reads internal types through `@testable import`.
        .library(name: "Service", targets: ["Service"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // The HTTP service. Default traits (swift-configuration support, full Foundation) are not needed.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // The service's metrics: swift-metrics instruments exported by a Prometheus registry.
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // The durable job queue (`/v1/jobs`, `matte worker`) on PostgreSQL.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // The service's multipart/form-data bodies (`MultipartParser`), read behind our own limits.
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
    ],
    targets: [
        // C libraries from Debian's -dev packages (installed by scripts/install-dependencies).
        .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG", pkgConfig: "libturbojpeg",
                       providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CSPNG", path: "Sources/CSPNG", pkgConfig: "spng",
                       providers: [.apt(["libspng-dev"])]),
        .systemLibrary(name: "CWebP", path: "Sources/CWebP", pkgConfig: "libwebp",
                       providers: [.apt(["libwebp-dev"])]),
        .systemLibrary(name: "CEXIF", path: "Sources/CEXIF", pkgConfig: "libexif",
                       providers: [.apt(["libexif-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),

        /// libcurl (headers from libcurl4-openssl-dev), opened with dlopen when a URL is first fetched
        /// rather than linked, so that a process that fetches nothing does not load it at start.
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("dl")]),

        /// The bfloat16 inner kernels of the convolutions: C with AVX512_BF16 intrinsics, compiled for that
        /// target function by function and called only when cpuid says the CPU has it (`Precision`).
        .target(name: "CBFloat16"),
        /// Tensors, the format-neutral graph, model-file readers, CPU kernels, execution.
        /// Loops split over the cores (`parallelFor`), through a helper thread kept awake between them.
        .target(name: "Parallelism", swiftSettings: native),
        .target(name: "Inference", dependencies: ["CBFloat16", "Parallelism"], swiftSettings: native),
        /// Image buffers, codecs (JPEG, PNG, WebP), EXIF orientation.
        .target(name: "Imaging", dependencies: ["CTurboJPEG", "CSPNG", "CWebP", "CEXIF", "CZlib", "Parallelism"],
                swiftSettings: native),
        /// The matting pipeline: pre-processing, networks, fusion, refinement, compositing, and the one
        /// request type every front door runs (`MattingRequest`).
        .target(name: "Matting", dependencies: ["Inference", "Imaging", "Parallelism"], swiftSettings: native),
        /// What the front doors share around the library: gathering inputs (files, folders, standard input,
        /// URLs through libcurl, with the address policy), naming outputs and writing them atomically.
        .target(name: "MattingIO", dependencies: ["Matting", "Imaging", "CCurl", "Parallelism"], swiftSettings: native),
        /// Durable jobs: their states, records and leases, the store protocol the service and the workers
        /// ask, the retry back-off, and running a job (a photo, or a video through `Video`). No database code
        /// (so the service and its fuzz target need none).
        .target(name: "Jobs", dependencies: ["Matting", "Video"], swiftSettings: native),
        /// The job queue on PostgreSQL: schema and migrations, the store, claiming under a lease, and the
        /// worker loop that runs each job through `JobRequest.run`.
        .target(name: "PostgresJobs", dependencies: [
            "Jobs", "Matting",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ], swiftSettings: native),
        /// The HTTP service (`matte serve`): routes, limits, metrics and the web page over `Matting`. The page and
        /// the OpenAPI document are resources: SwiftPM copies them into `matte_Service.resources` beside the
        /// executables, where `Bundle.module` finds them (keep that folder with the binary when copying it).
        .target(name: "Service", dependencies: [
            "Matting", "MattingIO", "Imaging", "Jobs", "Video",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "MultipartKit", package: "multipart-kit"),
        ], resources: [.copy("Resources/index.html"), .copy("Resources/openapi.yaml")], swiftSettings: native),
        /// Video and frame streams: FFmpeg run as separate processes with raw frames over pipes, raw frame
        /// readers and writers, frames overlapped through the matting, temporal steadying, watched folders.
        .target(name: "Video", dependencies: ["Matting", "Imaging"], swiftSettings: native),
        /// The `matte` command: a thin layer of options over `Matting` (and `Service` for `matte serve`,
        /// `Video` for `matte video`).
        .executableTarget(name: "MatteCommand", dependencies: [
            "Matting", "MattingIO", "Service", "Video", "Jobs", "PostgresJobs",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
        ], swiftSettings: native),

        /// Times our inference beside the reference runtimes (scripts/benchmark drives both).
        .executableTarget(name: "InferenceBenchmark", dependencies: [
            "Inference", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: native),
        /// Trimap-based matte quality on the alphamatting.com set (scripts/quality-benchmark).
        .executableTarget(name: "QualityBenchmark", dependencies: [
            "Matting", "Imaging", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: native),

        .testTarget(name: "ParallelismTests", dependencies: ["Parallelism"], swiftSettings: native),
        .testTarget(name: "InferenceTests", dependencies: ["Inference"], swiftSettings: native),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging"], swiftSettings: native),
        .testTarget(name: "MattingTests", dependencies: ["Matting"], swiftSettings: native),
        /// Helpers for the test targets: temporary folders, a small HTTP server on loopback, test databases,
        /// a job store in memory, video clips made by ffmpeg.
        .target(name: "TestSupport", dependencies: [
            "PostgresJobs", "Jobs", "Matting", "Video", .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
        ], path: "Tests/TestSupport"),
        .testTarget(name: "MattingIOTests", dependencies: ["MattingIO", "TestSupport"], swiftSettings: native),
        .testTarget(name: "VideoTests", dependencies: ["Video", "Matting", "Imaging", "TestSupport"], swiftSettings: native),
        .testTarget(name: "MatteCommandTests", dependencies: ["MatteCommand", "TestSupport"], swiftSettings: native),
        .testTarget(name: "JobsTests", dependencies: [
            "Jobs", "PostgresJobs", "Matting", "Imaging", "TestSupport", .product(name: "PostgresNIO", package: "postgres-nio"),
        ], swiftSettings: native),
        .testTarget(name: "ServiceTests", dependencies: [
            "Service", "Matting", "MattingIO", "Imaging", "Jobs", "PostgresJobs", "TestSupport",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
        ], swiftSettings: native),
    ]
)
