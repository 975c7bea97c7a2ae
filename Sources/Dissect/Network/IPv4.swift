import Wire

/// IPv4 header (RFC 791 §3.1).
///
///     0       4       8              16      19                      31
///     | ver 4 | IHL   | DSCP/ECN      | total length                  |
///     | identification                | flags | fragment offset       |
///     | TTL           | protocol      | header checksum               |
///     | source address                                                |
///     | destination address                                           |
///     | options (IHL > 5) …                                           |
public struct IPv4Header: Sendable {
    public var source: IPAddress
    public var destination: IPAddress
    public var protocolNumber: UInt8
    public var identification: UInt16
    public var timeToLive: UInt8
    public var trafficClass: UInt8
    /// Offset of this fragment's data within the original datagram, in bytes.
    public var fragmentOffset: Int
    public var moreFragments: Bool
    /// Payload bytes the header declares (the datagram on the wire), whatever was captured.
    public var payloadLength: Int

    public var isFragment: Bool { moreFragments || fragmentOffset != 0 }

    /// Parses the header and returns it with its payload; trailing link padding is cut off by the
    /// total length, and a capture cut short leaves the payload short (never an error by itself).
    @inline(always)
    static func decode(_ input: inout ByteCursor) throws(DecodeError) -> (IPv4Header, ByteCursor) {
        let start = input.offset
        let fixed = try input.readHeader(20)
        let versionAndLength = fixed.u8(0)
        guard versionAndLength >> 4 == 4 else { throw .malformed(at: start, reason: "IPv4 version") }
        let headerLength = Int(versionAndLength & 0x0F) &* 4
        guard headerLength >= 20 else { throw .malformed(at: start, reason: "IPv4 header length < 20") }
        let trafficClass = fixed.u8(1)
        let totalLength = Int(fixed.u16(2))
        let identification = fixed.u16(4)
        let flagsAndOffset = fixed.u16(6)
        let ttl = fixed.u8(8)
        let protocolNumber = fixed.u8(9)
        let source = IPAddress(v4: fixed.u32(12))
        let destination = IPAddress(v4: fixed.u32(16))
        try input.skip(headerLength &- 20)
        // A total length of 0 appears in captures of TSO/GSO segments: trust the captured bytes.
        if totalLength != 0 && totalLength < headerLength {
            throw .malformed(at: start, reason: "IPv4 total length < header length")
        }
        let payload = totalLength == 0 ? input.rest : input.takeAtMost(totalLength &- headerLength)
        let header = IPv4Header(
            source: source,
            destination: destination,
            protocolNumber: protocolNumber,
            identification: identification,
            timeToLive: ttl,
            trafficClass: trafficClass,
            fragmentOffset: Int(flagsAndOffset & 0x1FFF) &* 8,
            moreFragments: flagsAndOffset & 0x2000 != 0,
            payloadLength: totalLength == 0 ? payload.remaining : totalLength &- headerLength
        )
        return (header, payload)
    }
}
