// The lesson's models as structural descriptions. No coordinates here: the layout engine places
// everything. Names follow the lesson's code (`l_in`, `l_hidden`, `l_out`, `e`).

extension Architecture {
    /// The lecture's first picture: a plain one-hidden-layer net
    /// (input → matrix product + ReLU → hidden → matrix product + softmax → output).
    public static func plainNN() -> Architecture {
        Architecture(
            title: "1 hidden layer NN",
            nodes: [Node("input", .input, label: "input: batch × #inputs"),
                    Node("hidden", .hidden, label: "hidden"),
                    Node("output", .output, label: "output")],
            edges: [Edge("input", "hidden", Layer("linear + relu", .inputToHidden)),
                    Edge("hidden", "output", Layer("linear + softmax", .hiddenToOutput))])
    }

    /// Lesson 1's model, y = a·x + b: one weight a, one bias b, and the loss it is fitted on.
    public static func linear() -> Architecture {
        Architecture(
            title: "Lesson 1: y = a·x + b, fitted by SGD",
            nodes: [Node("x", .input, label: "x (every point at once)"),
                    Node("ax", .hidden, label: "a·x"),
                    Node("pred", .output, label: "ŷ = a·x + b"),
                    Node("loss", .output, label: "loss")],
            edges: [Edge("x", "ax", Layer("× a (weight)", .inputToHidden)),
                    Edge("ax", "pred", Layer("+ b (bias)", .hiddenToOutput)),
                    Edge("pred", "loss", Layer("mean((ŷ − y)²)", .other))])
    }

    /// Char3Model: char 1 enters the first hidden layer; char 2 and char 3 enter the 2nd and 3rd
    /// through the same `l_in` (green); hidden layers are chained by `l_hidden` (orange); the
    /// last one predicts char 4 through `l_out` (blue). `chars` generalises it to CharN.
    public static func char3(chars: Int = 3) -> Architecture {
        precondition(chars >= 1, "char3 needs at least one input character")
        var nodes: [Node] = []
        var edges: [Edge] = []
        for i in 1...chars {
            nodes.append(Node("c\(i)", .input, label: "char \(i)"))
            nodes.append(Node("h\(i)", .hidden, label: "h\(i)"))
            edges.append(Edge("c\(i)", "h\(i)", .lIn))
            if i > 1 { edges.append(Edge("h\(i - 1)", "h\(i)", .lHidden)) }
        }
        nodes.append(Node("out", .output, label: "char \(chars + 1)"))
        edges.append(Edge("h\(chars)", "out", .lOut))
        return Architecture(title: chars == 3 ? "Char3Model" : "Char\(chars)Model", nodes: nodes, edges: edges)
    }

    /// CharLoopModel. Rolled: one hidden node whose `l_hidden` loop feeds it the previous h.
    /// Unrolled: one column per character (`steps` of them, 8 in the lesson).
    public static func charLoop(unrolled: Bool, steps: Int = 8) -> Architecture {
        recurrent(title: "CharLoopModel", inputLayer: .lIn, hiddenLayer: .lHidden,
                  unrolled: unrolled, steps: steps, outputEveryStep: false)
    }

    /// CharRnn: the same picture drawn with nn.RNN's weight names (`W_ih`, `W_hh`).
    public static func charRnn(unrolled: Bool, steps: Int = 8) -> Architecture {
        recurrent(title: "CharRnn (nn.RNN)", inputLayer: .wIH, hiddenLayer: .wHH,
                  unrolled: unrolled, steps: steps, outputEveryStep: false)
    }

    /// CharSeqRnn: like CharRnn but it predicts the next character after every step.
    public static func charSeqRnn(unrolled: Bool, steps: Int = 8) -> Architecture {
        recurrent(title: "CharSeqRnn", inputLayer: .wIH, hiddenLayer: .wHH,
                  unrolled: unrolled, steps: steps, outputEveryStep: true)
    }

    /// CharLoopConcatModel: `inp = cat(h, e(c))`, then `relu(l_in(inp))`, then
    /// `h = tanh(l_hidden(·))`. The concatenation is drawn as a junction before `l_in`.
    public static func charLoopConcat(unrolled: Bool, steps: Int = 8) -> Architecture {
        let title = "CharLoopConcatModel"
        guard unrolled else {
            return Architecture(
                title: title,
                nodes: [Node("c", .input, label: "char n"),
                        Node("cat", .concat, label: "cat(h, e(c))"),
                        Node("inp", .hidden, label: "inp"),
                        Node("h", .hidden, label: "h"),
                        Node("out", .output, label: "next")],
                edges: [Edge("c", "cat", .embedding), Edge("cat", "inp", .lIn),
                        Edge("inp", "h", .lHidden), Edge("h", "out", .lOut)],
                loops: [Loop("h", "cat", .carryH)])
        }
        precondition(steps >= 1, "an unrolled diagram needs at least one step")
        // h starts as zeros and is concatenated at the first step too.
        var nodes: [Node] = [Node("h0", .input, label: "h = 0", step: 1)], edges: [Edge] = [Edge("h0", "cat1", .carryH)]
        for i in 1...steps {
            nodes += [Node("c\(i)", .input, label: "char \(i)", step: i),
                      Node("cat\(i)", .concat, label: "cat", step: i),
                      Node("inp\(i)", .hidden, label: "inp\(i)", step: i),
                      Node("h\(i)", .hidden, label: "h\(i)", step: i)]
            edges += [Edge("c\(i)", "cat\(i)", .embedding), Edge("cat\(i)", "inp\(i)", .lIn),
                      Edge("inp\(i)", "h\(i)", .lHidden)]
            if i > 1 { edges.append(Edge("h\(i - 1)", "cat\(i)", .carryH)) }
        }
        nodes.append(Node("out", .output, label: "char \(steps + 1)", step: steps))
        edges.append(Edge("h\(steps)", "out", .lOut))
        return Architecture(title: "\(title), unrolled (\(steps) chars)", nodes: nodes, edges: edges)
    }

    /// The shared shape of the loop models: input → hidden (looping) → output.
    static func recurrent(title: String, inputLayer: Layer, hiddenLayer: Layer, unrolled: Bool,
                          steps: Int, outputEveryStep: Bool) -> Architecture {
        guard unrolled else {
            return Architecture(
                title: title,
                nodes: [Node("c", .input, label: "char n"), Node("h", .hidden, label: "h"),
                        Node("out", .output, label: outputEveryStep ? "char n+1" : "next")],
                edges: [Edge("c", "h", inputLayer), Edge("h", "out", .lOut)],
                loops: [Loop("h", "h", hiddenLayer)])
        }
        precondition(steps >= 1, "an unrolled diagram needs at least one step")
        var nodes: [Node] = [], edges: [Edge] = []
        for i in 1...steps {
            nodes += [Node("c\(i)", .input, label: "char \(i)", step: i),
                      Node("h\(i)", .hidden, label: "h\(i)", step: i)]
            edges.append(Edge("c\(i)", "h\(i)", inputLayer))
            if i > 1 { edges.append(Edge("h\(i - 1)", "h\(i)", hiddenLayer)) }
            if outputEveryStep || i == steps {
                nodes.append(Node("out\(i)", .output, label: "char \(i + 1)", step: i))
                edges.append(Edge("h\(i)", "out\(i)", .lOut))
            }
        }
        return Architecture(title: "\(title), unrolled (\(steps) chars)", nodes: nodes, edges: edges)
    }

    /// Every lesson picture, by the name the CLI and the gallery use.
    public static func lessonDiagrams(steps: Int = 8) -> [(name: String, architecture: Architecture)] {
        [("linear", linear()),
         ("plain-nn", plainNN()),
         ("char3", char3()),
         ("charloop-rolled", charLoop(unrolled: false)),
         ("charloop-unrolled", charLoop(unrolled: true, steps: steps)),
         ("charloop-concat-rolled", charLoopConcat(unrolled: false)),
         ("charloop-concat-unrolled", charLoopConcat(unrolled: true, steps: steps)),
         ("charrnn-rolled", charRnn(unrolled: false)),
         ("charrnn-unrolled", charRnn(unrolled: true, steps: steps)),
         ("charseqrnn-rolled", charSeqRnn(unrolled: false)),
         ("charseqrnn-unrolled", charSeqRnn(unrolled: true, steps: steps))]
    }
}
