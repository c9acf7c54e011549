// Errors the CLI shows to a learner as they are: each message says what failed and where.

import Foundation

public enum DiagramError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The output directory could not be made (a file is in the way, no permission, …).
    case cannotCreateDirectory(path: String, reason: String)
    /// A file could not be written.
    case cannotWrite(path: String, reason: String)
    /// Cairo reported an error status.
    case cairo(String)
    /// The caller passed data a picture cannot be drawn from.
    case invalidInput(String)

    public var description: String {
        switch self {
        case .cannotCreateDirectory(let path, let reason):
            return "cannot create output directory \(path): \(reason)"
        case .cannotWrite(let path, let reason):
            return "cannot write \(path): \(reason)"
        case .cairo(let message):
            return message
        case .invalidInput(let message):
            return "cannot draw: \(message)"
        }
    }

    public var errorDescription: String? { description }
}
