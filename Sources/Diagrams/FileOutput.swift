// Every file Diagrams writes goes through here: whole or not at all. A reader (a browser
// refreshing the gallery, a test) never sees a half-written PNG, because we write a temporary
// file in the same directory and rename it over the target, which POSIX makes atomic.

import Foundation
import TensorCore

enum FileOutput {
    /// Create `dir` (and parents) unless it exists as a directory.
    static func makeDirectory(_ dir: URL) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { return }
            throw DiagramError.cannotCreateDirectory(path: dir.path, reason: "a file with that name exists")
        }
        // mkdir(2) one level at a time rather than FileManager, whose errors on Linux read
        // "The operation could not be completed"; errno names the problem and the level names where.
        var path = ""
        for component in dir.standardizedFileURL.pathComponents {
            path = component == "/" ? "/" : (path == "/" ? "/" : path + "/") + component
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
                if isFolder.boolValue { continue }
                throw DiagramError.cannotCreateDirectory(path: dir.path, reason: "\(path) is a file, not a folder")
            }
            if mkdir(path, 0o755) != 0 && errno != EEXIST {
                throw DiagramError.cannotCreateDirectory(path: dir.path, reason: "\(path): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Write `bytes` to `url` atomically (temporary file beside it, then rename).
    static func write(_ bytes: [UInt8], to url: URL) throws {
        try write(Data(bytes), to: url)
    }

    static func write(_ text: String, to url: URL) throws {
        try write(Data(text.utf8), to: url)
    }

    static func write(_ data: Data, to url: URL) throws {
        try makeDirectory(url.deletingLastPathComponent())
        // TensorCore's AtomicFile: temporary file beside the target, fsync, rename; it refuses to
        // replace anything that is not a regular file (a device like /dev/full, a socket).
        do {
            try AtomicFile.write([UInt8](data), to: url.path)
        } catch let error as FileWriteError {
            throw DiagramError.cannotWrite(path: url.path, reason: error.reason)
        }
    }
}
