// Named intermediates. When a model calls `t.named("in1")` or a layer labels its output, an
// active `Taps` keeps a reference under that name, so a test or the golden comparison can read
// forward values and (after backward) gradients by the lesson's names.

public final class Taps {
    nonisolated(unsafe) public static var current: Taps?

    public private(set) var order: [String] = []
    public private(set) var tensors: [String: Tensor] = [:]

    public init() {}

    func record(_ name: String, _ t: Tensor) {
        if tensors[name] == nil { order.append(name) }
        tensors[name] = t
    }

    public subscript(name: String) -> Tensor? { tensors[name] }

    /// Collect every named tensor made while `body` runs.
    public static func collect<R>(_ body: () throws -> R) rethrows -> (R, Taps) {
        let taps = Taps()
        let previous = current
        current = taps
        defer { current = previous }
        return (try body(), taps)
    }
}
