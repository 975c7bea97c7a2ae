import Wire

/// The frames of an opened Initial packet, walked for their CRYPTO data (RFC 9000 §19). Initial
/// packets may carry only PADDING, PING, ACK, CRYPTO and CONNECTION_CLOSE (§12.4, Table 3):
///
///     PADDING 0x00 | PING 0x01
///     ACK 0x02–0x03: largest (i) | delay (i) | range count (i) | first range (i) | (gap (i) | range (i))… | [ECN: 3 × (i)]
///     CRYPTO 0x06: offset (i) | length (i) | data
///     CONNECTION_CLOSE 0x1c: error code (i) | frame type (i) | reason length (i) | reason
public enum QUICFrames {
    /// Calls `crypto` with each CRYPTO frame's stream offset and data, in packet order. Throws at
    /// the first frame that does not parse or may not appear in an Initial packet; the frames
    /// before it were already handed over.
    public static func forEachCrypto(
        _ plaintext: UnsafeRawBufferPointer,
        _ crypto: (UInt64, UnsafeRawBufferPointer) -> Void
    ) throws(DecodeError) {
        var input = ByteCursor(plaintext)
        while !input.isAtEnd {
            let start = input.offset
            switch try input.readQUICVarint() {
            case 0x00, 0x01: continue
            case let type where type == 0x02 || type == 0x03:
                try skipACK(&input, ecn: type == 0x03)
            case 0x06:
                let offset = try input.readQUICVarint()
                let data = try input.take(try input.readQUICLength())
                crypto(offset, data.bytes)
            case 0x1C:
                _ = try input.readQUICVarint()  // error code
                _ = try input.readQUICVarint()  // frame type
                try input.skip(try input.readQUICLength())
            default:
                throw .malformed(at: start, reason: "QUIC frame type not allowed in an Initial packet")
            }
        }
    }

    private static func skipACK(_ input: inout ByteCursor, ecn: Bool) throws(DecodeError) {
        _ = try input.readQUICVarint()  // largest acknowledged
        _ = try input.readQUICVarint()  // ACK delay
        let rangeCount = try input.readQUICVarint()
        _ = try input.readQUICVarint()  // first ACK range
        // Each further range takes at least two bytes: a larger count cannot fit what is left.
        guard rangeCount <= UInt64(input.remaining / 2) else {
            throw .malformed(at: input.offset, reason: "QUIC ACK range count")
        }
        for _ in 0..<rangeCount {
            _ = try input.readQUICVarint()  // gap
            _ = try input.readQUICVarint()  // range length
        }
        if ecn { for _ in 0..<3 { _ = try input.readQUICVarint() } }  // ECT(0), ECT(1), ECN-CE counts
    }
}
