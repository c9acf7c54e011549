/// What a character lesson's data takes in memory at its peak, estimated from the corpus file's
/// size before reading it (one byte per character assumed, as for any text of at most 255
/// distinct characters), so a corpus too large for the machine is refused up front.
///
/// Reading holds the file and its indices together (2 bytes a character). After that the
/// indices stay (1 byte), joined by the seed's validation split while numpy's permutation is
/// computed (4 bytes per row, then 0.8 for the validation rows kept) and by each epoch's stored
/// batch order (4 bytes per training row); above `KeyedPermutation.storedLimit` rows neither is
/// stored. Calibrated against measured peak RSS in docs/robustness.md.
public enum DataMemory {
    /// The process before any data: runtime, BLAS, code and the decoder's table (measured 40 MB).
    public static let baseBytes = 40 << 20

    public static func peakBytes(fileBytes b: Int, layout: Layout, seqLength: Int, crossValidated: Bool) -> Int {
        let rows = layout == .sequences ? b / seqLength : layout == .char3 ? b / 3 : b
        let reading = 2 * b
        var splitting = 0, training = b
        if crossValidated {
            let stored = rows <= KeyedPermutation.storedLimit
            let valid = stored ? rows / 5 * 4 : 0
            splitting = b + (stored ? 4 * rows + valid : 0)
            training += valid + rows / 8 + (stored ? 4 * (rows - rows / 5) : 0)
        } else {
            training += rows <= KeyedPermutation.storedLimit ? 4 * rows : 0
        }
        return baseBytes + Swift.max(reading, splitting, training)
    }

    /// Refuse a corpus whose data alone would not fit `budget`, with the estimate.
    public static func check(corpus path: String, fileBytes: Int, layout: Layout, seqLength: Int, crossValidated: Bool,
                             budget: Int, budgetText: (Int) -> String) throws {
        let estimate = peakBytes(fileBytes: fileBytes, layout: layout, seqLength: seqLength, crossValidated: crossValidated)
        guard estimate > budget else { return }
        throw InputError("corpus \(path): \(budgetText(fileBytes)) of text needs about \(budgetText(estimate)) to read, split and train on in the \(layout.rawValue) layout; the memory budget is \(budgetText(budget)) (half this machine's memory, at most 8 GB): use a smaller corpus")
    }
}
