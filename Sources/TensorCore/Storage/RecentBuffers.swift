// "Have I seen these values?", answered by storage identity. Holding each array keeps its
// storage alive and copy-on-write (nobody can change it in place), so the same storage address
// means the same values. Used for the statistics kernels took while writing a result
// (`Kernels.Statistics`), for summaries (a summary is a full pass over the values) and for
// JSON Lines (values written once, then referenced).

struct RecentBuffers<Value> {
    let limit: Int
    /// Storage address and count of each held buffer, searched without touching the arrays:
    /// looping over (array, value) pairs copied and released every entry, 6% of a traced
    /// linear-SGD step.
    private var keys: [(address: UnsafeRawPointer?, count: Int)] = []
    private var held: [[Float]] = []
    private var values: [Value] = []
    /// Where the next entry goes once the list is full (the oldest entry).
    private var next = 0

    init(limit: Int) { self.limit = limit }

    /// What was remembered for this very storage, if it is among the last `limit` buffers.
    func lookup(_ buffer: [Float]) -> Value? {
        let key = RecentBuffers.key(buffer)
        for i in keys.indices where keys[i].address == key.address && keys[i].count == key.count {
            return values[i]
        }
        return nil
    }

    /// What was remembered for this storage, forgotten as it is handed out.
    mutating func take(_ buffer: [Float]) -> Value? {
        let key = RecentBuffers.key(buffer)
        for i in keys.indices where keys[i].address == key.address && keys[i].count == key.count {
            keys[i] = (nil, -1)  // matches nothing until the slot is reused
            held[i] = []
            return values[i]
        }
        return nil
    }

    /// Remember `value` for `buffer`, forgetting the oldest entry when full.
    mutating func remember(_ buffer: [Float], _ value: Value) {
        let key = RecentBuffers.key(buffer)
        if keys.count < limit {
            keys.append(key); held.append(buffer); values.append(value)
            return
        }
        keys[next] = key; held[next] = buffer; values[next] = value
        next = (next + 1) % limit
    }

    mutating func removeAll() {
        keys.removeAll(); held.removeAll(); values.removeAll()
        next = 0
    }

    private static func key(_ buffer: [Float]) -> (address: UnsafeRawPointer?, count: Int) {
        (buffer.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }, buffer.count)
    }
}
