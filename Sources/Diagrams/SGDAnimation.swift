/// The fitted line y = a·x + b at one frame of the SGD animation.
public struct LineFit: Equatable, Sendable {
    public var a: Float
    public var b: Float
    public init(a: Float, b: Float) { self.a = a; self.b = b }
}
