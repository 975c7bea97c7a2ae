import Wire

/// An SSTP packet (MS-SSTP §2.2.1–2.2.3), seen only where the TLS layer is absent or decrypted.
///
///      0                   1                   2                   3
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |  version 0x10 | reserved 7 |C| R 4 |  length 12 (whole packet) |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     | C=1: message type 16 | attribute count 16 | attributes …      |
///     | C=0: PPP frame                                                 |
public struct SSTPPacket: Sendable, Equatable {
    public var isControl: Bool
    public var length: Int
    /// Control packets: 1 CALL_CONNECT_REQUEST … 9 ECHO_RESPONSE.
    public var messageType: UInt16?

    public init(parsing input: inout ByteCursor) throws(DecodeError) {
        let start = input.offset
        guard try input.read(UInt8.self) == 0x10 else { throw .malformed(at: start, reason: "SSTP version") }
        isControl = try input.read(UInt8.self) & 1 == 1
        length = Int(try input.read(UInt16.self) & 0x0FFF)
        guard length >= 4 else { throw .malformed(at: start, reason: "SSTP length") }
        messageType = isControl ? try input.read(UInt16.self) : nil
    }

    /// The HTTP request line that opens an SSTP tunnel inside TLS (MS-SSTP §2.2.1 / §3.2.4.1).
    public static let duplexPost: StaticString = "SSTP_DUPLEX_POST"
}
