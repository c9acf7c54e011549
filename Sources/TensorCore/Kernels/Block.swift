// Gradients that cover one block of a larger tensor (the backward of `select` and `slice`).
// Adding the block in place, instead of first writing it into a zero tensor of the input's full
// size, is what keeps an RNN's backward linear in its length: CharRnn selects each of 8 time
// steps from `rnn.ih(e(cs))` [8, 512, 256], and every step's gradient used to be a fresh
// 1M-value zero buffer (memset) plus a 1M-value add into the accumulated gradient.

extension Kernels {
    /// `full += block` placed at `b`.
    public static func addBlock(_ full: inout [Float], _ block: [Float], _ b: TensorBlock) {
        precondition(full.count == b.fullCount && block.count == b.count, "addBlock: sizes do not match \(b)")
        full.withUnsafeMutableBufferPointer { f in
            block.withUnsafeBufferPointer { g in
                let run = b.length * b.inner
                for a in 0..<b.outer {
                    let dst = f.baseAddress! + (a * b.n + b.start) * b.inner, src = g.baseAddress! + a * run
                    add(src, into: dst, count: run)
                }
            }
        }
    }

    /// The whole tensor: `block` at `b`, zeros elsewhere (for readers that want dense values).
    public static func expand(_ block: [Float], _ b: TensorBlock) -> [Float] { b.expand(block) }
}
