// What an architecture diagram says, with no coordinates: which boxes exist and which layer's
// weights each arrow uses. The lecture's notation: rectangle = input, circle = hidden
// activations, triangle = output; arrows sharing a weight matrix share a colour.
// `ArchitectureLayout` turns one of these into a picture; `LessonArchitectures` holds the
// descriptions of the lesson's models.

/// A model drawn in the lecture's notation.
public struct Architecture: Equatable, Sendable {
    /// The shape a node is drawn with.
    public enum NodeKind: String, Equatable, Sendable {
        /// A rectangle: data going in (a character, a batch of inputs).
        case input
        /// A circle: a layer of hidden activations.
        case hidden
        /// A triangle: the output activations.
        case output
        /// A small junction where tensors are concatenated (`torch.cat((h, e(c)), 1)`).
        case concat
    }

    public struct Node: Equatable, Sendable {
        /// Unique within the architecture; edges refer to it.
        public var id: String
        public var kind: NodeKind
        /// Short text drawn inside the shape ("char 1", "h2").
        public var label: String
        /// The time step (column) in unrolled diagrams; nil puts the node in the only column.
        public var step: Int?

        public init(_ id: String, _ kind: NodeKind, label: String? = nil, step: Int? = nil) {
            self.id = id; self.kind = kind; self.label = label ?? id; self.step = step
        }
    }

    /// Which of the lecture's three weight colours an arrow gets.
    public enum WeightRole: String, Equatable, Sendable, CaseIterable {
        case inputToHidden, hiddenToHidden, hiddenToOutput
        /// An embedding lookup: no product, but its table (`e.weight`) is trained.
        case lookup
        /// Arrows that only move data (carrying `h` to the next step).
        case other

        public var color: Color {
            switch self {
            case .inputToHidden: return .inputToHidden
            case .hiddenToHidden: return .hiddenToHidden
            case .hiddenToOutput: return .hiddenToOutput
            case .lookup: return .lookup
            case .other: return .grey
            }
        }

        /// How the legend explains the colour.
        public var meaning: String {
            switch self {
            case .inputToHidden: return "input → hidden"
            case .hiddenToHidden: return "hidden → hidden"
            case .hiddenToOutput: return "hidden → output"
            case .lookup: return "a row of a trained table"
            case .other: return "no weights of its own"
            }
        }
    }

    /// The layer (weight matrix) an arrow applies. Arrows with equal layers use the same weights.
    public struct Layer: Equatable, Hashable, Sendable {
        /// The model's own name: `l_in`, `l_hidden`, `l_out`, `W_ih`, `W_hh`.
        public var name: String
        public var role: WeightRole
        public init(_ name: String, _ role: WeightRole) { self.name = name; self.role = role }
    }

    public struct Edge: Equatable, Sendable {
        public var from: String
        public var to: String
        public var layer: Layer
        public init(_ from: String, _ to: String, _ layer: Layer) {
            self.from = from; self.to = to; self.layer = layer
        }
    }

    /// A recurrent arrow in a rolled diagram: from a node back to itself (`from == to`) or back
    /// to a node before it (the concat model feeds `h` back into the concatenation).
    public struct Loop: Equatable, Sendable {
        public var from: String
        public var to: String
        public var layer: Layer
        public init(_ from: String, _ to: String, _ layer: Layer) {
            self.from = from; self.to = to; self.layer = layer
        }
    }

    public var title: String
    public var nodes: [Node]
    public var edges: [Edge]
    public var loops: [Loop]

    public init(title: String, nodes: [Node], edges: [Edge], loops: [Loop] = []) {
        self.title = title; self.nodes = nodes; self.edges = edges; self.loops = loops
    }

    public func node(_ id: String) -> Node? { nodes.first { $0.id == id } }

    /// Problems that would make the description undrawable (unknown ids, duplicates), or empty.
    public func validationErrors() -> [String] {
        var errors: [String] = []
        var seen = Set<String>()
        for n in nodes where !seen.insert(n.id).inserted { errors.append("duplicate node id '\(n.id)'") }
        for e in edges {
            for id in [e.from, e.to] where !seen.contains(id) { errors.append("edge \(e.from)→\(e.to): unknown node '\(id)'") }
        }
        for l in loops {
            for id in [l.from, l.to] where !seen.contains(id) { errors.append("loop \(l.from)→\(l.to): unknown node '\(id)'") }
        }
        return errors
    }
}

extension Architecture.Layer {
    // The lesson's layers, by the names in its code.
    public static let lIn = Self("l_in", .inputToHidden)
    public static let lHidden = Self("l_hidden", .hiddenToHidden)
    public static let lOut = Self("l_out", .hiddenToOutput)
    /// nn.RNN's input-to-hidden weights (it fuses l_in and l_hidden into one module).
    public static let wIH = Self("W_ih", .inputToHidden)
    /// nn.RNN's hidden-to-hidden weights.
    public static let wHH = Self("W_hh", .hiddenToHidden)
    /// The embedding lookup `e(c)` that turns a character into a vector of factors.
    public static let embedding = Self("e", .lookup)
    /// The previous hidden state carried into the next step unchanged.
    public static let carryH = Self("h", .other)
}
