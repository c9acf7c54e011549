// Every file the tensor core writes (safetensors, trace JSONL) appears whole or not at all: the
// bytes go to a temporary file beside the target, are flushed, and rename(2) moves them into
// place. A full disk, a file-size limit or a Ctrl-C leaves the old file (or none), never half of one.
//
// The destination is checked first (`checkDestination`): symlinks are followed to the file they
// name, and anything that is not a regular file, or is one of the command's inputs, is refused.

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
    /// Fail early, before any work, when `path` cannot be written, and say which file a write
    /// will really replace: a symlink is followed to its final target, which is then replaced
    /// (the link stays a link, as when a program writes through it). Refused: a directory, a
    /// device or pipe (rename(2) would swap a node such as /dev/full for a regular file when run
    /// as root), a dangling link, a missing or unwritable directory, and any file in `inputs`
    /// (what the command reads, as (what, path) pairs): writing over it would lose the input.
    /// With `probe`, also create and remove the temporary file: that catches what permission
    /// bits do not show (a read-only mount, /proc, running as root).
    @discardableResult
    public static func checkDestination(_ path: String, probe: Bool = false,
                                        notOverwriting inputs: [(what: String, path: String)] = []) throws -> String {
        guard !path.isEmpty else { throw FileWriteError(path: path, reason: "empty file name") }
        let target = try resolve(path)
        var st = stat()
        let exists = stat(target, &st) == 0
        if exists {
            let kind = st.st_mode & S_IFMT
            if kind == S_IFDIR { throw FileWriteError(path: path, reason: "is a directory, expected a file name") }
            if kind != S_IFREG {
                throw FileWriteError(path: path, reason: "\(target == path ? "exists and" : "leads to \(target), which") is not a regular file (a device, socket or pipe); refusing to replace it")
            }
            for input in inputs {
                var other = stat()
                if stat(input.path, &other) == 0 && other.st_dev == st.st_dev && other.st_ino == st.st_ino {
                    throw FileWriteError(path: path, reason: "is the \(input.what) this command reads (\(input.path)); refusing to overwrite an input")
                }
            }
        }
        let dir = directory(of: target)
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
        let name = target.split(separator: "/").last.map(String.init) ?? target
        if name.utf8.count + 16 > Int(NAME_MAX) {
            throw FileWriteError(path: path, reason: "file name is \(name.utf8.count) bytes; the limit is \(Int(NAME_MAX) - 16) (with room for the temporary file's suffix)")
        }
        if probe {
            let temp = temporaryPath(for: target)
            let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw FileWriteError(path: path, reason: "cannot create a file in \(dir) (\(errnoText()))") }
            close(fd)
            unlink(temp)
        }
        return target
    }

    /// The file a write to `path` replaces: `path` itself, or a symlink's final target. A link
    /// whose target cannot be resolved (dangling, or a pipe such as /dev/stdout redirected into
    /// `|`) is refused rather than replaced by a regular file.
    static func resolve(_ path: String) throws -> String {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            // Absent: written in its directory, whose own links are harmless to follow.
            return path
        }
        guard st.st_mode & S_IFMT == S_IFLNK else { return path }
        guard let real = realpath(path, nil) else {
            throw FileWriteError(path: path, reason: "is a symbolic link whose target cannot be resolved (\(errnoText())); refusing to replace the link\(path.hasPrefix("/dev/") ? " (use - for standard output where a command offers it)" : "")")
        }
        defer { free(real) }
        return String(cString: real)
    }

    /// Write `bytes` to `path` atomically. On any error the temporary file is removed and the
    /// target is untouched.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let target = try checkDestination(path)
        let temp = temporaryPath(for: target)
        let slot = TemporaryFiles.remember(temp)
        defer { TemporaryFiles.forget(slot) }
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
        if failure == nil && rename(temp, target) != 0 { failure = "renaming \(temp) into place: \(errnoText())" }
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
