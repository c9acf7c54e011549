// Animated PNG without ffmpeg. An APNG is a PNG whose first frame is the ordinary image (so
// old viewers still show something) plus:
//   acTL  (after IHDR)  number of frames, number of plays (0 = forever)
//   fcTL  before each frame: its size, offset, delay, dispose/blend operations
//   fdAT  frames 2…n: the same zlib data an IDAT would hold, prefixed by a sequence number
// fcTL and fdAT share one sequence counter starting at 0. Cairo encodes each frame as a PNG;
// we keep its IHDR once and re-wrap its IDAT data.

public enum APNG {
    /// Combine same-sized PNG files into one animated PNG that loops forever.
    /// - Parameter delayMilliseconds: how long each frame is shown.
    public static func assemble(frames: [[UInt8]], delayMilliseconds: Int) throws -> [UInt8] {
        guard !frames.isEmpty else { throw DiagramError.invalidInput("an APNG needs at least one frame") }
        let parsed = try frames.map { try PNGFile.chunks($0) }
        guard let ihdr = parsed[0].first, ihdr.type == "IHDR" else {
            throw DiagramError.invalidInput("frame 1 is not a PNG with an IHDR chunk")
        }
        for (i, chunks) in parsed.enumerated() where chunks.first?.data != ihdr.data {
            throw DiagramError.invalidInput("APNG frame \(i + 1) differs in size or pixel format from frame 1")
        }
        let width = BigEndian.uint32(ihdr.data, at: 0), height = BigEndian.uint32(ihdr.data, at: 4)

        var out = PNGFile.signature
        out += ihdr.encoded
        out += PNGChunk(type: "acTL", data: BigEndian.bytes(UInt32(frames.count)) + BigEndian.bytes(UInt32(0))).encoded
        var sequence: UInt32 = 0
        for (i, chunks) in parsed.enumerated() {
            out += frameControl(sequence: sequence, width: width, height: height, delayMilliseconds: delayMilliseconds).encoded
            sequence += 1
            for idat in chunks where idat.type == "IDAT" {
                if i == 0 {
                    out += idat.encoded
                } else {
                    out += PNGChunk(type: "fdAT", data: BigEndian.bytes(sequence) + idat.data).encoded
                    sequence += 1
                }
            }
        }
        out += PNGChunk(type: "IEND", data: []).encoded
        return out
    }

    /// fcTL: a full-canvas frame shown for `delayMilliseconds`, drawn over nothing (each frame
    /// is a complete picture, so no blending with the previous one).
    static func frameControl(sequence: UInt32, width: UInt32, height: UInt32, delayMilliseconds: Int) -> PNGChunk {
        var data = BigEndian.bytes(sequence)
        data += BigEndian.bytes(width) + BigEndian.bytes(height)
        data += BigEndian.bytes(UInt32(0)) + BigEndian.bytes(UInt32(0))          // x, y offset
        data += BigEndian.bytes(UInt16(clamping: delayMilliseconds)) + BigEndian.bytes(UInt16(1000))
        data += [0, 0]                                                            // dispose none, blend source
        return PNGChunk(type: "fcTL", data: data)
    }
}
