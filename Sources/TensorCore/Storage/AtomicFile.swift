// Every file the tensor core writes (safetensors, trace JSONL) appears whole or not at all: the
// bytes go to a temporary file beside the target, are flushed, and rename(2) moves them into
// place. A full disk, a file-size limit or a Ctrl-C leaves the old file (or none), never half of one.
//
// The destination is checked first: rename(2) would happily replace a device node such as
// /dev/full with a regular file when run as root, so anything that exists and is not a regular
// file is refused.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct FileWriteError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }
}

public enum AtomicFile {
    /// Fail early, before any work, when `path` cannot be written: its directory is missing or
    /// not writable, or the path names a directory, device or pipe.
    /// With `probe`, also create and remove the temporary file: that catches what permission
    /// bits do not show (a read-only mount, /proc, running as root).
    public static func checkDestination(_ path: String, probe: Bool = false) throws {
        guard !path.isEmpty else { throw FileWriteError(path: path, reason: "empty file name") }
        var st = stat()
        if lstat(path, &st) == 0 {
            let kind = st.st_mode & S_IFMT
            if kind == S_IFDIR { throw FileWriteError(path: path, reason: "is a directory, expected a file name") }
            // A symlink to a regular file is replaced by the new file, which is what `mv` would do.
            if kind != S_IFREG && kind != S_IFLNK {
                throw FileWriteError(path: path, reason: "exists and is not a regular file (a device, socket or pipe); refusing to replace it")
            }
        }
        let dir = directory(of: path)
        var dst = stat()
        guard stat(dir, &dst) == 0 else {
            throw FileWriteError(path: path, reason: "directory \(dir) does not exist")
        }
        guard dst.st_mode & S_IFMT == S_IFDIR else {
            throw FileWriteError(path: path, reason: "\(dir) is not a directory")
        }
        guard access(dir, W_OK) == 0 else {
            throw FileWriteError(path: path, reason: "directory \(dir) is not writable (\(errnoText()))")
        }
        if probe {
            let temp = temporaryPath(for: path)
            let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw FileWriteError(path: path, reason: "cannot create a file in \(dir) (\(errnoText()))") }
            close(fd)
            unlink(temp)
        }
    }

    /// Write `bytes` to `path` atomically. On any error the temporary file is removed and the
    /// target is untouched.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try checkDestination(path)
        let temp = temporaryPath(for: path)
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileWriteError(path: path, reason: "cannot create temporary file \(temp) (\(errnoText()))") }
        var failure: String?
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = posixWrite(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = "writing \(temp): \(errnoText())"
                    return
                }
                done += n
            }
        }
        if failure == nil && fsync(fd) != 0 && errno != EINVAL { failure = "flushing \(temp): \(errnoText())" }
        if close(fd) != 0 && failure == nil { failure = "closing \(temp): \(errnoText())" }
        if failure == nil && rename(temp, path) != 0 { failure = "renaming \(temp) into place: \(errnoText())" }
        if let failure {
            unlink(temp)
            throw FileWriteError(path: path, reason: failure)
        }
    }

    /// `dir/.name.tmp-PID`: hidden, beside the target (rename(2) is atomic only within one file
    /// system), and distinct per process.
    public static func temporaryPath(for path: String) -> String {
        let dir = directory(of: path)
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
        return (dir == "." && !path.hasPrefix("./") ? "" : dir + "/") + ".\(name).tmp-\(getpid())"
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = String(path[..<slash])
        return dir.isEmpty ? "/" : dir
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }

    private static func posixWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
        #if canImport(Glibc)
        return Glibc.write(fd, p, n)
        #else
        return Darwin.write(fd, p, n)
        #endif
    }
}
