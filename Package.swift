// swift-tools-version:6.0
// Unrolled: replay lesson-6 models one tensor operation at a time.
// Dependencies point one way: Files → Trace → TensorCore (+CBLAS, CLAPACK) → Formats → {Models → LessonEngine,
// Diagrams (+CCairo)} → Book → UnrolledCLI → unrolled, unrolled-dev.
import PackageDescription

// Every target, tests included, in Swift 6 language mode (full data-race checking): state shared
// between threads is a session's `Runtime`, immutable, or behind a Mutex or an Atomic. Two places
// are checked by hand instead: TraceRecorder (@unchecked Sendable: its thread and its queue touch
// separate state) and TemporaryFiles (nonisolated(unsafe): plain C memory a signal handler reads).
let swift6: [SwiftSetting] = [.swiftLanguageMode(.v6)]

// The kernels' SIMD8<Float> loops compiled for baseline x86-64 (SSE2) run as two 4-lane halves;
// for AVX2 + FMA ("haswell", x86-64-v3: every x86 server CPU since 2013) one instruction each.
// `unrolled` refuses to start on an older CPU with one line naming the fix;
// `UNROLLED_PORTABLE=1 swift build ...` builds TensorCore for baseline x86-64 instead.
#if arch(x86_64)
let portable = Context.environment["UNROLLED_PORTABLE"] == "1"
let cpuSettings: [SwiftSetting] = portable ? [] : [.unsafeFlags(["-target-cpu", "haswell"])]
#else
let cpuSettings: [SwiftSetting] = []
#endif
// `UNROLLED_NO_TRACE=1 swift build --scratch-path .build/no-trace ...` compiles every tracing
// branch out of TensorCore: bench/compare.py (work `trace-off`) times tracing `off` against it.
let noTrace: [SwiftSetting] = Context.environment["UNROLLED_NO_TRACE"] == "1" ? [.define("UNROLLED_NO_TRACE")] : []
let kernelSettings: [SwiftSetting] = swift6 + cpuSettings + noTrace

let package = Package(
    name: "Unrolled",
    // MARK: products
    products: [
        .executable(name: "unrolled", targets: ["unrolled"]),
        .executable(name: "unrolled-dev", targets: ["unrolled-dev"]),
        .library(name: "TensorCore", targets: ["TensorCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swiftcsv/SwiftCSV", from: "0.10.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/pointfreeco/swift-snapshot-testing", from: "1.19.7"),
    ],
    targets: [
        // MARK: system libraries
        // BLAS provider hidden behind the standard cblas_* interface (BLIS on Debian; see shim.h).
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS",
                       providers: [.apt(["libblis-dev"])]),
        // LAPACK's C interface, for the SVD behind the collab lesson's PCA.
        .systemLibrary(name: "CLAPACK", path: "Sources/CLAPACK",
                       providers: [.apt(["liblapacke-dev"])]),
        .systemLibrary(name: "CCairo", path: "Sources/CCairo", pkgConfig: "cairo",
                       providers: [.apt(["libcairo2-dev"])]),

        // MARK: targets
        // Atomic writes, temporaries removed on signals, input-file checks: Glibc only.
        .target(name: "Files", swiftSettings: swift6),
        // The trace as data: events, levels, statistics, sinks, JSON Lines, float text.
        .target(name: "Trace", dependencies: ["Files"], swiftSettings: swift6),
        .target(name: "TensorCore", dependencies: ["CBLAS", "CLAPACK", "Trace", "Files"], exclude: ["README.md"], swiftSettings: kernelSettings),
        // Files that hold tensors: safetensors (Foundation's JSON for the header).
        .target(name: "Formats", dependencies: ["TensorCore", "Files"], swiftSettings: swift6),
        .target(name: "Models",
                dependencies: ["TensorCore", "Formats", .product(name: "SwiftCSV", package: "SwiftCSV"),
                               .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                               .product(name: "Crypto", package: "swift-crypto")], exclude: ["README.md"], swiftSettings: swift6),
        .target(name: "LessonEngine",
                dependencies: ["TensorCore", "Formats", "Models", .product(name: "Yams", package: "Yams")],
                exclude: ["README.md"], swiftSettings: swift6),
        .target(name: "Diagrams", dependencies: ["CCairo", "TensorCore"], exclude: ["README.md"],
                swiftSettings: swift6),
        // The lesson book: HTML pages; its CSS, JavaScript and seed code are files in Resources/.
        .target(name: "Book", dependencies: ["LessonEngine", "Diagrams", "Models", "TensorCore",
                                             .product(name: "Yams", package: "Yams"),
                                             .product(name: "ZIPFoundation", package: "ZIPFoundation")],
                exclude: ["README.md"], resources: [.copy("Resources")], swiftSettings: swift6),
        // The commands of `unrolled`, a library so that `unrolled-dev` runs their own input checks.
        .target(name: "UnrolledCLI",
                dependencies: ["CBLAS", "TensorCore", "Formats", "Models", "LessonEngine", "Diagrams", "Book",
                               .product(name: "ArgumentParser", package: "swift-argument-parser")],
                swiftSettings: swift6),
        .executableTarget(name: "unrolled", dependencies: ["UnrolledCLI"], swiftSettings: swift6),
        // Developer tools kept out of the user's binary: `fuzz` and make bench's `bench-run`.
        .executableTarget(name: "unrolled-dev",
                          dependencies: ["UnrolledCLI", "LessonEngine", "Models", "Formats", "TensorCore",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: swift6),
        .executableTarget(name: "unrolled-bench", dependencies: ["TensorCore", "CBLAS",
                                                               .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: swift6),

        // MARK: tests
        // Helpers every test target shares (finding the corpus as the CLI does).
        .target(name: "UnrolledTestSupport", dependencies: ["Models"], path: "Tests/Support", swiftSettings: swift6),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "Trace", "Files", "Formats"],
                    resources: [.copy("Fixtures")], swiftSettings: swift6),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "TensorCore", "Formats", "UnrolledTestSupport",
                                                     .product(name: "ZIPFoundation", package: "ZIPFoundation")],
                    resources: [.copy("Fixtures")], swiftSettings: swift6),
        // Fingerprints and help snapshots stay in the source tree (__Snapshots__ beside the test file)
        // so that SNAPSHOT_TESTING_RECORD=all can re-record them in place.
        .testTarget(name: "LessonEngineTests", dependencies: ["LessonEngine", "Models", "TensorCore", "Formats", "UnrolledTestSupport",
                                                           .product(name: "SnapshotTesting", package: "swift-snapshot-testing")],
                    exclude: ["__Snapshots__"], swiftSettings: swift6),
        .testTarget(name: "DiagramsTests", dependencies: ["Diagrams", "TensorCore"],
                    swiftSettings: swift6),
        // The fuzzer against the commands' real input checks.
        .testTarget(name: "DevToolsTests", dependencies: ["unrolled-dev", "UnrolledCLI", "LessonEngine"], swiftSettings: swift6),
        .testTarget(name: "CLITests", dependencies: ["unrolled", "Book", "Models", "TensorCore", "Formats", "UnrolledTestSupport",
                                                   .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                                                   .product(name: "SnapshotTesting", package: "swift-snapshot-testing")], exclude: ["__Snapshots__"], swiftSettings: swift6),
    ]
)
