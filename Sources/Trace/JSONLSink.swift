// A trace sink that writes JSON Lines: one event per line, in the field names and layout that
// `TraceEvent`'s Codable conformance uses, so `JSONDecoder` reads each line back into an equal
// event. The file appears at `path` only when `close()` succeeds (written to a temporary file
// beside it, then renamed), so a reader never sees half a trace.
//
// JSON has no NaN or infinities; like `JSONEncoder`'s `.convertToString` strategy we write them
// as the strings "NaN", "Infinity" and "-Infinity". Decode with
// `.convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")`.
//
// Hand-written rather than JSONEncoder: TensorCore does not depend on Foundation, and a `full`
// trace is mostly float arrays, which this writes straight into one byte buffer with nine
// significant digits (FloatText.swift; `make bench` measures both).

import Dispatch
import Files
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct TraceFileError: Error, CustomStringConvertible {
    public let description: String
}

public final class JSONLSink: TraceSink {
    public let path: String
    /// The file `close()` replaces: `path`, or the file a symlink at `path` names.
    private let target: String
    private let temporaryPath: String
    private let slot: Int?
    /// Written by the recorder's queue (`receive`), then by whoever calls `close()`.
    private let state: Mutex<State>
    /// Write to the file once this many bytes are buffered.
    private static let flushThreshold = 1 << 20

    private struct State {
        /// The temporary file, or 1 for `-` (standard output, written directly rather than
        /// through C's shared `stdout`); nil once closed.
        var fd: Int32?
        var buffer = JSONBuffer()
        /// The first write error; reported by `close()`, which then publishes nothing.
        var failure: String?
    }

    /// Start a trace file at `path` (replaced on `close()` if it exists; a symlink's target is
    /// replaced, the link kept). `-` streams to standard output instead, with no temporary file.
    /// `inputs` are files the caller reads, which the trace must not overwrite.
    public init(path: String, inputs: [(what: String, path: String)] = []) throws {
        self.path = path
        var state = State()
        state.buffer.bytes.reserveCapacity(JSONLSink.flushThreshold + (1 << 16))
        if path == "-" {
            target = "-"
            temporaryPath = "-"
            slot = nil
            state.fd = STDOUT_FILENO
            self.state = Mutex(state)
            return
        }
        do { target = try AtomicFile.checkDestination(path, notOverwriting: inputs) } catch let e as FileWriteError {
            throw TraceFileError(description: e.reason)
        }
        temporaryPath = AtomicFile.temporaryPath(for: target)
        slot = TemporaryFiles.remember(temporaryPath)
        let fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else {
            TemporaryFiles.forget(slot)
            throw TraceFileError(description: "cannot create \(temporaryPath): \(JSONLSink.errnoText())")
        }
        state.fd = fd
        self.state = Mutex(state)
    }

    public func receive(_ event: TraceEvent) {
        state.withLock { state in
            guard state.fd != nil else { return }
            state.buffer.event(event, referencingRepeats: true)
            state.buffer.bytes.append(UInt8(ascii: "\n"))
            if state.buffer.bytes.count >= JSONLSink.flushThreshold { flush(&state) }
        }
    }

    /// Write what is buffered and move the file into place. Calling it again does nothing.
    public func close() throws {
        // nil when already closed; otherwise the first write or close error, if any.
        let outcome: String?? = state.withLock { state in
            guard let fd = state.fd else { return nil }
            flush(&state)
            state.fd = nil
            if target != "-" && JSONLSink.closeFile(fd) != 0 && state.failure == nil {
                state.failure = "closing \(temporaryPath): \(JSONLSink.errnoText())"
            }
            return .some(state.failure)
        }
        guard case .some(var failure) = outcome else { return }
        if target == "-" {
            if let failure { throw TraceFileError(description: failure) }
            return
        }
        defer { TemporaryFiles.forget(slot) }
        if failure == nil && rename(temporaryPath, target) != 0 {
            failure = "renaming \(temporaryPath) to \(target): \(JSONLSink.errnoText())"
        }
        if let failure {
            unlink(temporaryPath)
            throw TraceFileError(description: failure)
        }
    }

    /// A sink dropped without `close()` leaves no file behind: an unfinished trace is discarded.
    deinit {
        if let fd = state.withLock({ $0.fd }), target != "-" {
            _ = JSONLSink.closeFile(fd)
            unlink(temporaryPath)
            TemporaryFiles.forget(slot)
        }
    }

    private func flush(_ state: inout State) {
        guard let fd = state.fd, !state.buffer.bytes.isEmpty else { return }
        // Whatever the program printed before stays before the trace.
        if fd == STDOUT_FILENO { fflush(nil) }
        let complete = state.buffer.bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                done += n
            }
            return true
        }
        if !complete && state.failure == nil {
            state.failure = "writing \(temporaryPath): \(JSONLSink.errnoText())"
        }
        state.buffer.bytes.removeAll(keepingCapacity: true)
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }

    /// close(2), which `close()` hides inside this class.
    private static func closeFile(_ fd: Int32) -> Int32 {
        #if canImport(Glibc)
        return Glibc.close(fd)
        #else
        return Darwin.close(fd)
        #endif
    }
}

/// JSON text for trace events, appended to one growing byte buffer (no per-value allocation:
/// number descriptions fit Swift's small-string storage).
struct JSONBuffer {
    var bytes: [UInt8] = []

    /// Large value arrays written recently, held so that their storage cannot be reused: the
    /// same storage means the same values. In a full CharSeqRnn step 42% of the values were
    /// repeats (add and reshape pass `grad` through; a single contribution becomes the next
    /// rule's incoming `grad`); they are written as a `values_from` reference instead.
    var recent = RecentBuffers<Written>(limit: 16)
    static let referenceMinimum = 1024

    /// Where a held array's values were written, and the tensors (ids) that have had them: an
    /// event lists a tensor made by an earlier op without its values, and `run(of:within:)`
    /// finds them here by its id.
    struct Written {
        var place: ValuesReference
        var ids: [Int]
        /// All of the tensor's values, not only a block of a gradient.
        var whole: Bool
    }

    mutating func event(_ e: TraceEvent, referencingRepeats: Bool = false) {
        raw("{\"seq\":"); int(e.seq)
        raw(",\"phase\":"); string(e.phase.rawValue)
        raw(",\"op\":"); string(e.op)
        raw(",\"label\":"); string(e.label)
        raw(",\"attributes\":"); string(e.attributes)
        raw(",\"expression\":"); string(e.expression)
        raw(",\"inputs\":"); tensors(e.inputs, seq: e.seq, side: .inputs, referencing: referencingRepeats)
        raw(",\"outputs\":")
        tensors(e.outputs, seq: e.seq, side: .outputs, referencing: referencingRepeats, within: e.inputs)
        raw("}")
    }

    /// `within`: tensors written just before (the event's inputs) whose values may contain an
    /// output's values as one run.
    mutating func tensors(_ ts: [TracedTensor], seq: Int, side: ValuesReference.Side, referencing: Bool,
                          within: [TracedTensor] = []) {
        raw("[")
        for (i, t) in ts.enumerated() {
            if i > 0 { raw(",") }
            tensor(t, at: referencing ? ValuesReference(seq: seq, side: side, index: i) : nil,
                   within: referencing ? within : [])
        }
        raw("]")
    }

    /// Where `values` appear as one run inside an input of event `seq`, starting at a multiple of
    /// their length: what `select` along the first axis makes (`ih[t]`, `outp[-1]`) and what a
    /// `stack` along it gives back to each part in backward. A CharSeqRnn step's full trace wrote
    /// 29 MB of its 233 MB twice that way. Compared bit for bit, so a match is always the same
    /// values, whatever op made them. An input listed without values (made by an earlier op)
    /// is found in `recent` by its id.
    mutating func run(of values: [Float], within inputs: [TracedTensor], seq: Int) -> ValuesReference? {
        let n = values.count
        guard n >= JSONBuffer.referenceMinimum else { return nil }
        for (i, input) in inputs.enumerated() where input.block == nil {
            let container: (place: ValuesReference, values: [Float])
            if let v = input.storedValues {
                container = (ValuesReference(seq: seq, side: .inputs, index: i), v)
            } else if input.valuesFrom == nil,
                      let held = recent.first(where: { $0.whole && $0.ids.contains(input.id) }) {
                container = (held.value.place, held.buffer)
            } else {
                continue
            }
            let whole = container.values
            guard whole.count > n, whole.count % n == 0 else { continue }
            let found = values.withUnsafeBytes { v in
                whole.withUnsafeBytes { w -> Int? in
                    for k in 0..<(whole.count / n)
                    where memcmp(w.baseAddress! + k * n * 4, v.baseAddress!, n * 4) == 0 {
                        return k * n
                    }
                    return nil
                }
            }
            if let offset = found {
                let p = container.place
                return ValuesReference(seq: p.seq, side: p.side, index: p.index, offset: offset)
            }
        }
        return nil
    }

    /// The earlier place these (large) values were written, or nil after remembering this one.
    mutating func reference(to t: TracedTensor, _ values: [Float], from here: ValuesReference) -> ValuesReference? {
        guard values.count >= JSONBuffer.referenceMinimum else { return nil }
        let id = t.id
        if let earlier = recent.lookup(values, changing: { if !$0.ids.contains(id) { $0.ids.append(id) } }) {
            return earlier.place
        }
        recent.remember(values, Written(place: here, ids: [id], whole: t.block == nil))
        return nil
    }

    mutating func tensor(_ t: TracedTensor, at here: ValuesReference? = nil, within: [TracedTensor] = []) {
        raw("{\"id\":"); int(t.id)
        raw(",\"label\":"); string(t.label)
        raw(",\"shape\":[")
        for (i, d) in t.shape.enumerated() {
            if i > 0 { raw(",") }
            int(d)
        }
        raw("],\"kind\":"); string(t.kind.rawValue)
        // Absent optionals are left out, as JSONEncoder does; the decoder reads them as nil.
        if let s = t.summary { raw(",\"summary\":"); summary(s) }
        if let v = t.storedValues {
            if let here, let earlier = reference(to: t, v, from: here) {
                valuesFrom(earlier)
            } else if let here, t.block == nil, let run = run(of: v, within: within, seq: here.seq) {
                valuesFrom(run)
            } else {
                raw(",\"values\":"); floats(v)
            }
        } else if let r = t.valuesFrom {
            valuesFrom(r)
        }
        if let b = t.block {
            raw(",\"block\":{\"outer\":"); int(b.outer)
            raw(",\"n\":"); int(b.n)
            raw(",\"inner\":"); int(b.inner)
            raw(",\"start\":"); int(b.start)
            raw(",\"length\":"); int(b.length)
            raw("}")
        }
        raw("}")
    }

    mutating func valuesFrom(_ r: ValuesReference) {
        raw(",\"values_from\":{\"seq\":"); int(r.seq)
        raw(",\"side\":"); string(r.side.rawValue)
        raw(",\"index\":"); int(r.index)
        if r.offset != 0 { raw(",\"offset\":"); int(r.offset) }
        raw("}")
    }

    mutating func summary(_ s: ValueSummary) {
        raw("{\"count\":"); int(s.count)
        raw(",\"mean\":"); number(s.mean)
        raw(",\"std\":"); number(s.std)
        raw(",\"min\":"); number(s.min)
        raw(",\"max\":"); number(s.max)
        raw(",\"l2\":"); number(s.l2)
        raw(",\"nan\":"); int(s.nan)
        raw(",\"inf\":"); int(s.inf)
        raw("}")
    }

    mutating func floats(_ values: [Float]) {
        raw("[")
        if values.count < JSONBuffer.parallelFloats {
            values.withUnsafeBufferPointer { JSONBuffer.append($0, 0..<$0.count, to: &bytes) }
        } else {
            // Big arrays print on both cores: training has usually finished while its trace is
            // still being written (a full CharSeqRnn step: 0.1 s of training, seconds of text).
            let half = values.count / 2
            let parts = Mutex<[[UInt8]]>([[], []])
            DispatchQueue.concurrentPerform(iterations: 2) { k in
                let range = k == 0 ? 0..<half : half..<values.count
                let text = values.withUnsafeBufferPointer { JSONBuffer.text($0, range, leadingComma: k == 1) }
                parts.withLock { $0[k] = text }
            }
            let (first, second) = parts.withLock { ($0[0], $0[1]) }
            bytes.append(contentsOf: first)
            bytes.append(contentsOf: second)
        }
        raw("]")
    }

    static let parallelFloats = 1 << 16

    static func append(_ p: UnsafeBufferPointer<Float>, _ range: Range<Int>, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: text(p, range, leadingComma: false))
    }

    /// `p[range]` comma-separated, written through a pointer into capacity reserved for the
    /// widest case (appending byte by byte checked uniqueness and capacity for every byte).
    /// Zeros (common in gradients) are written directly, as `description` spells them.
    static func text(_ p: UnsafeBufferPointer<Float>, _ range: Range<Int>, leadingComma: Bool) -> [UInt8] {
        let needed = range.count * (FloatText.maximumWidth + 2) + 1
        return FloatText.Tables.shared.withPointers { tables in  // once per array, not per value
            [UInt8](unsafeUninitializedCapacity: needed) { out, initialized in
                var n = 0
                let o = out.baseAddress!
                if leadingComma { o[0] = UInt8(ascii: ","); n = 1 }
                for i in range {
                    if i > range.lowerBound { o[n] = UInt8(ascii: ","); n += 1 }
                    let v = p[i]
                    if v == 0 {
                        if v.sign == .minus { o[n] = UInt8(ascii: "-"); n += 1 }
                        o[n] = UInt8(ascii: "0"); o[n + 1] = UInt8(ascii: "."); o[n + 2] = UInt8(ascii: "0"); n += 3
                    } else if v.isFinite {
                        n += FloatText.write(v, to: o + n, tables: tables)
                    } else {
                        for c in (v.isNaN ? "\"NaN\"" : v < 0 ? "\"-Infinity\"" : "\"Infinity\"").utf8 { o[n] = c; n += 1 }
                    }
                }
                initialized = n
            }
        }
    }

    /// Shortest text that reads back as the same value; non-finite values as strings (see top).
    mutating func number<F: BinaryFloatingPoint & CustomStringConvertible>(_ v: F) {
        if v.isFinite {
            raw(v.description)
        } else {
            raw(v.isNaN ? "\"NaN\"" : v < 0 ? "\"-Infinity\"" : "\"Infinity\"")
        }
    }

    mutating func int(_ v: Int) { raw(String(v)) }

    mutating func raw(_ s: String) { bytes.append(contentsOf: s.utf8) }

    /// A JSON string: quotes, backslashes and control characters escaped, the rest as UTF-8.
    mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case UInt8(ascii: "\n"): raw("\\n")
            case UInt8(ascii: "\r"): raw("\\r")
            case UInt8(ascii: "\t"): raw("\\t")
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                raw("\\u00")
                bytes.append(hex[Int(c >> 4)])
                bytes.append(hex[Int(c & 0xf)])
            default: bytes.append(c)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// One event as one JSON line, exactly as `JSONLSink` writes it (for `step --json`).
public enum TraceJSON {
    public static func line(_ event: TraceEvent) -> String {
        var buffer = JSONBuffer()
        buffer.event(event)
        return String(decoding: buffer.bytes, as: UTF8.self)
    }
}
