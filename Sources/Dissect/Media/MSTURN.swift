import Wire

/// Microsoft's multiplexed TURN frame (MS-TURN §2.2.3, §3.2.4.6; used when MS-VERSION ≥ 5):
/// relayed data for one MTURN session, sent without a STUN header.
///
///      0                   1                   2                   3
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |         0xFF10                |   length (bytes that follow)  |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |               MTURN session id (64 bits)                      |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |               data (RTP, RTCP, STUN …)                        |
public struct MSTURNMultiplexedFrame: Sendable {
    public static let marker: UInt16 = 0xFF10
    public var sessionID: UInt64
    /// Where the relayed data lies, counted from the frame's first byte.
    public var data: Range<Int>

    public init(parsing input: inout ByteCursor) throws(DecodeError) {
        let start = input.offset
        guard try input.read(UInt16.self) == Self.marker else {
            throw .malformed(at: start, reason: "not an MS-TURN multiplexed frame")
        }
        let length = Int(try input.read(UInt16.self))
        guard length >= 8 else { throw .malformed(at: start &+ 2, reason: "MS-TURN frame length") }
        sessionID = try input.read(UInt64.self)
        try input.skip(length &- 8)
        data = 12..<(length &+ 4)
    }
}

/// The 4-byte header MS-TURN puts before each message over TCP (MS-TURN §2.1; nDPI's msn.c
/// accepts type 0x02 followed by a STUN header):
///
///     | type 8 (0x02 TURN control, 0x03 end-to-end data) | reserved 8 | size 16 |
public struct MSTURNTCPHeader: Sendable {
    public var type: UInt8
    public var size: Int

    public init(parsing input: inout ByteCursor) throws(DecodeError) {
        let start = input.offset
        type = try input.read(UInt8.self)
        guard type == 0x02 || type == 0x03, try input.read(UInt8.self) == 0 else {
            throw .malformed(at: start, reason: "MS-TURN TCP framing")
        }
        size = Int(try input.read(UInt16.self))
    }
}
