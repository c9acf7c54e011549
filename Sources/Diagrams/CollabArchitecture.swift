// The collab lesson's EmbeddingDotBias in the lecture's notation: two inputs (a batch of user
// and movie indices), their embedding rows and biases, the dot product, and the sigmoid range.

extension Architecture {
    public static func embeddingDotBias(factors: Int = 50) -> Architecture {
        Architecture(
            title: "EmbeddingDotBias",
            nodes: [Node("users", .input, label: "users"),
                    Node("items", .input, label: "movies"),
                    Node("u", .hidden, label: "u(users) ×\(factors)"),
                    Node("i", .hidden, label: "i(items) ×\(factors)"),
                    Node("ub", .hidden, label: "ub(users)"),
                    Node("ib", .hidden, label: "ib(items)"),
                    Node("dot", .concat, label: "(u·i).sum(1)"),
                    Node("pred", .output, label: "sigmoid(res)·(max−min)+min")],
            edges: [Edge("users", "u", Layer("u", .inputToHidden)),
                    Edge("items", "i", Layer("i", .inputToHidden)),
                    Edge("users", "ub", Layer("ub", .hiddenToHidden)),
                    Edge("items", "ib", Layer("ib", .hiddenToHidden)),
                    Edge("u", "dot", Layer("·", .other)),
                    Edge("i", "dot", Layer("·", .other)),
                    Edge("dot", "pred", Layer("+", .other)),
                    Edge("ub", "pred", Layer("+", .other)),
                    Edge("ib", "pred", Layer("+", .other))])
    }
}
