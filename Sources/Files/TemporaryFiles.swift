// Temporary files that a signal must not leave behind. The paths live in fixed C buffers, not a
// Swift array, because a signal handler may only read plain memory and call async-signal-safe
// functions such as unlink(2) and _exit(2). Signals are process-wide, so this table is too.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum TemporaryFiles {
    static let slots = 16
    static let slotBytes = Int(PATH_MAX) + 1
    nonisolated(unsafe) static let table: UnsafeMutablePointer<CChar> = {
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: slots * slotBytes)
        p.initialize(repeating: 0, count: slots * slotBytes)
        return p
    }()
    nonisolated(unsafe) static var lock = pthread_mutex_t()
    nonisolated(unsafe) static var lockReady: Bool = {
        pthread_mutex_init(&lock, nil)
        return true
    }()

    /// Remember `path` until `forget(_:)`; returns its slot, or nil when the table is full or
    /// the path too long (the file is then only removed on the normal error paths).
    @discardableResult
    public static func remember(_ path: String) -> Int? {
        _ = lockReady
        pthread_mutex_lock(&lock); defer { pthread_mutex_unlock(&lock) }
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count < slotBytes else { return nil }
        for s in 0..<slots where table[s * slotBytes] == 0 {
            let slot = table + s * slotBytes
            for (i, b) in bytes.enumerated().reversed() { slot[i] = CChar(bitPattern: b) }
            slot[bytes.count] = 0
            // The first byte last: a handler never sees a half-copied path.
            slot[0] = CChar(bitPattern: bytes[0])
            return s
        }
        return nil
    }

    public static func forget(_ slot: Int?) {
        guard let slot else { return }
        _ = lockReady
        pthread_mutex_lock(&lock); defer { pthread_mutex_unlock(&lock) }
        table[slot * slotBytes] = 0
    }

    /// How many paths are remembered now (tests).
    public static var count: Int { (0..<slots).filter { table[$0 * slotBytes] != 0 }.count }

    /// Unlink every remembered file. Async-signal-safe: no locks, no allocation.
    public static func removeAllFromSignalHandler() {
        for s in 0..<slots where table[s * slotBytes] != 0 {
            unlink(table + s * slotBytes)
            table[s * slotBytes] = 0
        }
    }
}
