import Wire

/// UDP header (RFC 768): `source port | destination port | length | checksum`.
public struct UDPHeader: Sendable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var length: Int

    /// Parses the header; the payload is the smaller of the UDP length and the captured bytes
    /// (tcpdump's print-udp.c rule). A length below 8 is malformed, except 0 (IPv6 jumbograms).
    @inline(always)
    static func decode(_ input: inout ByteCursor) throws(DecodeError) -> (UDPHeader, ByteCursor) {
        let start = input.offset
        let fixed = try input.readHeader(8)
        let sourcePort = fixed.u16(0)
        let destinationPort = fixed.u16(2)
        let length = Int(fixed.u16(4))
        if length != 0 && length < 8 { throw .malformed(at: start, reason: "UDP length < 8") }
        let payload = length == 0 ? input.rest : input.takeAtMost(length &- 8)
        return (UDPHeader(sourcePort: sourcePort, destinationPort: destinationPort, length: length), payload)
    }
}
