// "Have I seen these values?" for the trace, answered by storage identity. Holding each array
// keeps its storage alive and copy-on-write (nobody can change it in place), so the same storage
// address means the same values. Used for summaries (a summary is a full pass over the values)
// and for JSON Lines (values written once, then referenced).

struct RecentBuffers<Value> {
    let limit: Int
    private var entries: [(values: [Float], value: Value)] = []

    init(limit: Int) { self.limit = limit }

    /// What was remembered for this very storage, if it is among the last `limit` buffers.
    func lookup(_ values: [Float]) -> Value? {
        let address = values.withUnsafeBufferPointer { $0.baseAddress }
        for entry in entries where entry.values.count == values.count {
            if entry.values.withUnsafeBufferPointer({ $0.baseAddress }) == address { return entry.value }
        }
        return nil
    }

    /// Remember `value` for `values`, forgetting the oldest entry when full.
    mutating func remember(_ values: [Float], _ value: Value) {
        if entries.count == limit { entries.removeFirst() }
        entries.append((values, value))
    }

    mutating func removeAll() { entries.removeAll() }
}
