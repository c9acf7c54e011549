// Just enough of the PNG file format to splice Cairo's PNGs into an animated PNG and to let
// tests read sizes and check CRCs. Layout: 8-byte signature, then chunks of
// [length: UInt32 BE][type: 4 ASCII bytes][data][CRC-32 of type+data].

/// One chunk of a PNG file.
public struct PNGChunk: Equatable, Sendable {
    public var type: String
    public var data: [UInt8]
    /// The CRC stored in the file (for chunks that were read) — compare with `computedCRC`.
    public var storedCRC: UInt32

    public init(type: String, data: [UInt8]) {
        self.type = type; self.data = data
        storedCRC = CRC32.checksum(Array(type.utf8) + data)
    }

    public var computedCRC: UInt32 { CRC32.checksum(Array(type.utf8) + data) }

    /// The chunk as it appears in a file.
    public var encoded: [UInt8] {
        var out = BigEndian.bytes(UInt32(data.count))
        out += Array(type.utf8)
        out += data
        out += BigEndian.bytes(computedCRC)
        return out
    }
}

public enum PNGFile {
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Split a PNG (or APNG) file into chunks. Throws if the signature or a length is wrong.
    public static func chunks(_ bytes: [UInt8]) throws -> [PNGChunk] {
        guard bytes.count >= 8, Array(bytes[0..<8]) == signature else {
            throw DiagramError.invalidInput("not a PNG file (bad signature)")
        }
        var chunks: [PNGChunk] = []
        var i = 8
        while i + 12 <= bytes.count {
            let length = Int(BigEndian.uint32(bytes, at: i))
            guard i + 12 + length <= bytes.count else {
                throw DiagramError.invalidInput("PNG chunk at byte \(i) runs past the end of the file")
            }
            let type = String(decoding: bytes[(i + 4)..<(i + 8)], as: UTF8.self)
            var chunk = PNGChunk(type: type, data: Array(bytes[(i + 8)..<(i + 8 + length)]))
            chunk.storedCRC = BigEndian.uint32(bytes, at: i + 8 + length)
            chunks.append(chunk)
            i += 12 + length
        }
        return chunks
    }

    /// Width and height from the IHDR chunk.
    public static func size(_ bytes: [UInt8]) throws -> (width: Int, height: Int) {
        guard let ihdr = try chunks(bytes).first, ihdr.type == "IHDR", ihdr.data.count == 13 else {
            throw DiagramError.invalidInput("PNG has no IHDR chunk first")
        }
        return (Int(BigEndian.uint32(ihdr.data, at: 0)), Int(BigEndian.uint32(ihdr.data, at: 4)))
    }
}

/// CRC-32 as PNG (and zlib) define it: polynomial 0xEDB88320, reflected, inverted.
public enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}

enum BigEndian {
    static func bytes(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    static func bytes(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }

    static func uint32(_ b: [UInt8], at i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }

    static func uint16(_ b: [UInt8], at i: Int) -> UInt16 { UInt16(b[i]) << 8 | UInt16(b[i + 1]) }
}
