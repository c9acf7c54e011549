import Foundation

/// The `unrolled` binary the CLI tests run, and a process of it set up as a user outside the
/// checkout would run it: in a folder of the test's, lessons found through UNROLLED_LESSONS.
enum UnrolledProcess {
    /// The executable sits beside the test bundle (on Linux the bundle URL is that directory).
    static let binary: URL = {
        let bundle = Bundle(for: CLITests.self).bundleURL
        for dir in [bundle, bundle.deletingLastPathComponent()] {
            let url = dir.appendingPathComponent("unrolled")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return bundle.appendingPathComponent("unrolled")
    }()

    static func make(_ args: [String], in dir: String, environment extra: [String: String] = [:]) -> Process {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        var env = ProcessInfo.processInfo.environment
        env["UNROLLED_LESSONS"] = CLITests.root.appendingPathComponent("lessons").path
        env.merge(extra) { $1 }
        p.environment = env
        return p
    }
}
