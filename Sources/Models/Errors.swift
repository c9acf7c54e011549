/// A problem with what the user gave us (a file, a field, a flag), reported as one line that
/// says where and what was expected. The CLI prints `error: <message>` and exits non-zero.
public struct InputError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
