import Wire

/// TCP header (RFC 9293 §3.1).
///
///     | source port 16 | destination port 16 |
///     | sequence number 32                   |
///     | acknowledgment number 32             |
///     | data offset 4 | res 4 | flags 8 | window 16 |
///     | checksum 16 | urgent pointer 16 | options …  |
public struct TCPHeader: Sendable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var sequence: UInt32
    public var acknowledgment: UInt32
    public var flags: Flags
    /// The advertised window, unscaled: tshark's duplicate-ACK test compares it with the last one.
    public var window: UInt16

    public init(
        sourcePort: UInt16,
        destinationPort: UInt16,
        sequence: UInt32,
        acknowledgment: UInt32,
        flags: Flags,
        window: UInt16 = 0
    ) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.sequence = sequence
        self.acknowledgment = acknowledgment
        self.flags = flags
        self.window = window
    }

    public struct Flags: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let fin = Flags(rawValue: 0x01)
        public static let syn = Flags(rawValue: 0x02)
        public static let rst = Flags(rawValue: 0x04)
        public static let psh = Flags(rawValue: 0x08)
        public static let ack = Flags(rawValue: 0x10)
    }

    @inline(always)
    static func decode(_ input: inout ByteCursor) throws(DecodeError) -> (TCPHeader, ByteCursor) {
        let start = input.offset
        let fixed = try input.readHeader(20)
        let sourcePort = fixed.u16(0)
        let destinationPort = fixed.u16(2)
        let sequence = fixed.u32(4)
        let acknowledgment = fixed.u32(8)
        let offsetByte = fixed.u8(12)
        let flags = Flags(rawValue: fixed.u8(13))
        let headerLength = Int(offsetByte >> 4) &* 4
        guard headerLength >= 20 else { throw .malformed(at: start, reason: "TCP data offset < 5") }
        try input.skip(headerLength &- 20)  // options
        let header = TCPHeader(
            sourcePort: sourcePort,
            destinationPort: destinationPort,
            sequence: sequence,
            acknowledgment: acknowledgment,
            flags: flags,
            window: fixed.u16(14)
        )
        return (header, input.rest)
    }
}
