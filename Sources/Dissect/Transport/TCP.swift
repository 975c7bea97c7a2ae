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

    public struct Flags: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let fin = Flags(rawValue: 0x01)
        public static let syn = Flags(rawValue: 0x02)
        public static let rst = Flags(rawValue: 0x04)
        public static let psh = Flags(rawValue: 0x08)
        public static let ack = Flags(rawValue: 0x10)
    }

    public static func decode(_ input: inout ByteCursor) throws(DecodeError) -> (TCPHeader, ByteCursor) {
        let start = input.offset
        let sourcePort = try input.read(UInt16.self)
        let destinationPort = try input.read(UInt16.self)
        let sequence = try input.read(UInt32.self)
        let acknowledgment = try input.read(UInt32.self)
        let offsetByte = try input.read(UInt8.self)
        let flags = Flags(rawValue: try input.read(UInt8.self))
        try input.skip(6)  // window, checksum, urgent pointer
        let headerLength = Int(offsetByte >> 4) &* 4
        guard headerLength >= 20 else { throw .malformed(at: start, reason: "TCP data offset < 5") }
        try input.skip(headerLength &- 20)  // options
        let header = TCPHeader(
            sourcePort: sourcePort, destinationPort: destinationPort, sequence: sequence,
            acknowledgment: acknowledgment, flags: flags)
        return (header, input.rest)
    }
}
