// Lesson 6's two networks in the lecture's notation: EmbeddingNet (user and movie factors side
// by side, dropout, one hidden layer, dropout, the sigmoid range) and MixedInputModel (an
// embedding per categorical column, batch norm on the continuous ones, Linear → ReLU →
// BatchNorm → Dropout blocks, the output layer).

extension Architecture {
    public static func embeddingNet(factors: Int = 50, hidden: Int = 10) -> Architecture {
        Architecture(
            title: "EmbeddingNet",
            nodes: [Node("users", .input, label: "users"),
                    Node("movies", .input, label: "movies"),
                    Node("u", .hidden, label: "u(users) ×\(factors)"),
                    Node("m", .hidden, label: "m(movies) ×\(factors)"),
                    Node("cat", .hidden, label: "drop1(cat) ×\(2 * factors)"),
                    Node("h", .hidden, label: "drop2(relu) ×\(hidden)"),
                    Node("pred", .output, label: "sigmoid range")],
            edges: [Edge("users", "u", Layer("u", .inputToHidden)),
                    Edge("movies", "m", Layer("m", .inputToHidden)),
                    Edge("u", "cat", Layer("cat", .other)),
                    Edge("m", "cat", Layer("cat", .other)),
                    Edge("cat", "h", Layer("lin1", .hiddenToHidden)),
                    Edge("h", "pred", Layer("lin2", .hiddenToOutput))])
    }

    public static func mixedInput(szs: [Int] = [500, 100]) -> Architecture {
        var nodes = [Node("users", .input, label: "users"),
                     Node("movies", .input, label: "movies"),
                     Node("conts", .input, label: "year, log ratings"),
                     Node("e0", .hidden, label: "embs.0(users)"),
                     Node("e1", .hidden, label: "embs.1(movies)"),
                     Node("bn", .hidden, label: "bn(conts)"),
                     Node("cat", .hidden, label: "cat(emb_drop, bn)")]
        var edges = [Edge("users", "e0", Layer("embs.0", .inputToHidden)),
                     Edge("movies", "e1", Layer("embs.1", .inputToHidden)),
                     Edge("conts", "bn", Layer("bn", .other)),
                     Edge("e0", "cat", Layer("cat", .other)),
                     Edge("e1", "cat", Layer("cat", .other)),
                     Edge("bn", "cat", Layer("cat", .other))]
        var previous = "cat"
        for (i, size) in szs.enumerated() {
            // The block's ops ride on its arrow so the node stays small: Linear → ReLU → BatchNorm → Dropout.
            nodes.append(Node("l\(i)", .hidden, label: "h\(i) ×\(size)"))
            edges.append(Edge(previous, "l\(i)", Layer("lins.\(i) → relu → bns.\(i) → drops.\(i)", .hiddenToHidden)))
            previous = "l\(i)"
        }
        nodes.append(Node("pred", .output, label: "sigmoid·y_range"))
        edges.append(Edge(previous, "pred", Layer("outp", .hiddenToOutput)))
        return Architecture(title: "MixedInputModel", nodes: nodes, edges: edges)
    }
}
