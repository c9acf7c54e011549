// The collab lesson's EmbeddingDotBias in the lecture's notation: two inputs (a batch of user
// and movie indices), their embedding rows and biases (four lookups, green), the dot product,
// and the sigmoid range.

extension Architecture {
    public static func embeddingDotBias(factors: Int = 50) -> Architecture {
        Architecture(
            title: "EmbeddingDotBias",
            // Biases outside, factors inside: no arrow crosses, and the bias arrows pass beside
            // the dot product rather than through it.
            nodes: [Node("users", .input, label: "users"),
                    Node("items", .input, label: "movies"),
                    Node("ub", .hidden, label: "ub(users)"),
                    Node("u", .hidden, label: "u(users) ×\(factors)"),
                    Node("i", .hidden, label: "i(items) ×\(factors)"),
                    Node("ib", .hidden, label: "ib(items)"),
                    Node("dot", .hidden, label: "(u·i).sum(1)"),
                    Node("pred", .output, label: "sigmoid(res)·(max−min)+min")],
            edges: [Edge("users", "u", Layer("u", .inputToHidden)),
                    Edge("users", "ub", Layer("ub", .inputToHidden)),
                    Edge("items", "i", Layer("i", .inputToHidden)),
                    Edge("items", "ib", Layer("ib", .inputToHidden)),
                    Edge("u", "dot", Layer("·", .other)),
                    Edge("i", "dot", Layer("·", .other)),
                    Edge("dot", "pred", Layer("+", .other)),
                    Edge("ub", "pred", Layer("+", .other)),
                    Edge("ib", "pred", Layer("+", .other))])
    }
}
