// Inputs that must be ordinary files (weights, checkpoints, corpora, lesson files) are checked
// before they are opened: opening a FIFO for reading blocks until someone writes to it, and
// reading a device such as /dev/zero never ends.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum InputFile {
    /// Why `path` cannot be read as a regular file, or nil when it can be opened and read:
    /// "no such file", "is a directory", "not a regular file (a pipe)", or strerror's text.
    public static func problem(_ path: String) -> String? {
        var st = stat()
        guard stat(path, &st) == 0 else { return errno == ENOENT ? "no such file" : String(cString: strerror(errno)) }
        switch st.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: return "is a directory, expected a file"
        case S_IFIFO: return "not a regular file (a named pipe); reading it could wait for ever"
        case S_IFCHR, S_IFBLK: return "not a regular file (a device)"
        case S_IFSOCK: return "not a regular file (a socket)"
        default: return "not a regular file"
        }
        // O_NONBLOCK: should the file be swapped for a FIFO after stat, open still returns.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        close(fd)
        return nil
    }

    /// Size in bytes of a regular file (0 when it cannot be read).
    public static func size(_ path: String) -> Int {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : 0
    }
}
