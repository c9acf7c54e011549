// "Have I seen these values?", answered by storage identity. Holding each array keeps its
// storage alive and copy-on-write (nobody can change it in place), so the same storage address
// means the same values. Used for the statistics kernels took while writing a result
// (`Kernels.Statistics`), for summaries (a summary is a full pass over the values) and for
// JSON Lines (values written once, then referenced).

// @inlinable throughout: TensorCore's recorder uses it on every traced op, and an unspecialized
// generic call across the module boundary cost 3% of a traced lesson-1 step (callgrind).
public struct RecentBuffers<Value> {
    public let limit: Int
    /// Storage address and count of each held buffer, searched without touching the arrays:
    /// looping over (array, value) pairs copied and released every entry, 6% of a traced
    /// linear-SGD step.
    @usableFromInline var keys: [(address: UnsafeRawPointer?, count: Int)] = []
    @usableFromInline var held: [[Float]] = []
    @usableFromInline var values: [Value] = []
    /// When each entry was last remembered or found; the stalest is replaced when full.
    /// NOTE: least recently used, not oldest: lesson 1's x and y are looked up at every step
    /// while three new buffers per step are remembered, and first-in-first-out pushed them out
    /// every few steps (2,000 second passes over each in 10,000 steps).
    @usableFromInline var used: [Int] = []
    @usableFromInline var clock = 0

    @inlinable public init(limit: Int) { self.limit = limit }

    /// What was remembered for this very storage, if it is among the `limit` most recently
    /// used buffers; a hit counts as a use.
    @inlinable public mutating func lookup(_ buffer: [Float]) -> Value? {
        lookup(buffer, changing: { _ in })
    }

    /// What was remembered for this storage after `change` (a hit counts as a use).
    @inlinable public mutating func lookup(_ buffer: [Float], changing change: (inout Value) -> Void) -> Value? {
        guard let i = index(of: buffer) else { return nil }
        clock += 1
        used[i] = clock
        change(&values[i])
        return values[i]
    }

    /// The first held buffer whose entry satisfies `match`, with that entry (a hit counts as a
    /// use): for callers that know an entry by what they stored in it, not by its storage.
    @inlinable public mutating func first(where match: (Value) -> Bool) -> (buffer: [Float], value: Value)? {
        guard let i = values.indices.first(where: { keys[$0].count >= 0 && match(values[$0]) }) else { return nil }
        clock += 1
        used[i] = clock
        return (held[i], values[i])
    }

    /// What was remembered for this storage, forgotten as it is handed out.
    @inlinable public mutating func take(_ buffer: [Float]) -> Value? {
        guard let i = index(of: buffer) else { return nil }
        keys[i] = (nil, -1)  // matches nothing, and is the first slot reused
        held[i] = []
        used[i] = 0
        return values[i]
    }

    /// Remember `value` for `buffer`, forgetting the least recently used entry when full.
    @inlinable public mutating func remember(_ buffer: [Float], _ value: Value) {
        clock += 1
        let key = RecentBuffers.key(buffer)
        if keys.count < limit {
            keys.append(key); held.append(buffer); values.append(value); used.append(clock)
            return
        }
        var stalest = 0
        for i in used.indices where used[i] < used[stalest] { stalest = i }
        keys[stalest] = key; held[stalest] = buffer; values[stalest] = value; used[stalest] = clock
    }

    @inlinable public mutating func removeAll() {
        keys.removeAll(); held.removeAll(); values.removeAll(); used.removeAll()
        clock = 0
    }

    @inlinable func index(of buffer: [Float]) -> Int? {
        let key = RecentBuffers.key(buffer)
        for i in keys.indices where keys[i].address == key.address && keys[i].count == key.count {
            return i
        }
        return nil
    }

    @inlinable static func key(_ buffer: [Float]) -> (address: UnsafeRawPointer?, count: Int) {
        (buffer.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }, buffer.count)
    }
}
