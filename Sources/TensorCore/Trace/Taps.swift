// Intermediates by name. While a `Taps` is active it keeps a reference to every op result under
// its label (`h+in1`), and again under a name the model gives it (`in1`), so a test or the
// golden comparison can read forward values and (after backward) gradients by the lesson's
// names. A later tensor with the same label replaces an earlier one.

public final class Taps {
    /// The taps collecting on the calling thread's runtime, if any.
    public static var current: Taps? { Runtime.current.taps }

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
        let taps = Taps(), runtime = Runtime.current
        runtime.reportNewest()
        let previous = runtime.taps
        runtime.taps = taps
        defer { runtime.taps = previous }
        let result = try body()
        runtime.reportNewest()
        return (result, taps)
    }
}
