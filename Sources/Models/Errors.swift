/// A problem with what the user gave us (a file, a field, a flag), reported as one line that
/// says where and what was expected. The CLI prints `error: <message>` and exits non-zero.
public struct InputError: Error, CustomStringConvertible, Equatable {
    public let message: String
    /// A flag whose value is malformed in itself (out of range, not one of the choices): the
    /// CLI exits 64 for it, as for any other usage error; everything else wrong with what the
    /// command line names (a file, a lesson, data) exits 1.
    public let isUsage: Bool
    public init(_ message: String) { self.message = message; isUsage = false }
    public init(usage message: String) { self.message = message; isUsage = true }
    public var description: String { message }
    public static func == (a: InputError, b: InputError) -> Bool { a.message == b.message }
}
