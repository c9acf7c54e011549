// Every file Diagrams writes goes through here: whole or not at all. A reader (a browser
// refreshing the gallery, a test) never sees a half-written PNG, because we write a temporary
// file in the same directory and rename it over the target, which POSIX makes atomic.

import Foundation

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
        let dir = url.deletingLastPathComponent()
        try makeDirectory(dir)
        let temp = dir.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        guard FileManager.default.createFile(atPath: temp.path, contents: data) else {
            throw DiagramError.cannotWrite(path: url.path, reason: "cannot create a file in \(dir.path) (permissions?)")
        }
        if rename(temp.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temp)
            throw DiagramError.cannotWrite(path: url.path, reason: reason)
        }
    }
}
