import Wire

/// The ISAKMP / IKE header (RFC 2408 §3.1, RFC 7296 §3.1) on UDP 500, or on 4500 after the
/// four-byte non-ESP marker (RFC 3948 §2.2).
///
///      0                   1                   2                   3
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |                    IKE SA Initiator's SPI (64)                |
///     |                    IKE SA Responder's SPI (64)                |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     | Next Payload  | MjVer | MnVer | Exchange Type |     Flags     |
///     |                          Message ID                           |
///     |                            Length                             |
public struct IKEHeader: Sendable, Equatable {
    public static let port: UInt16 = 500
    public static let headerLength = 28
    public var initiatorSPI: UInt64
    public var responderSPI: UInt64
    public var majorVersion: UInt8
    public var exchangeType: UInt8
    public var messageID: UInt32
    public var length: Int

    public init(parsing input: inout ByteCursor) throws(DecodeError) {
        let start = input.offset
        initiatorSPI = try input.read(UInt64.self)
        responderSPI = try input.read(UInt64.self)
        try input.skip(1)  // next payload
        let version = try input.read(UInt8.self)
        majorVersion = version >> 4
        exchangeType = try input.read(UInt8.self)
        try input.skip(1)  // flags
        messageID = try input.read(UInt32.self)
        length = Int(try input.read(UInt32.self))
        // IKEv1 (RFC 2408) or IKEv2 (RFC 7296 §3.1: a receiver drops other major versions).
        guard majorVersion == 1 || majorVersion == 2 else { throw .malformed(at: start, reason: "IKE major version") }
        // The length counts the whole message, header included.
        guard length >= Self.headerLength else { throw .malformed(at: start, reason: "IKE length below its header") }
    }

    public var exchangeName: StaticString {
        switch (majorVersion, exchangeType) {
        case (1, 2): "Identity Protection (Main Mode)"
        case (1, 4): "Aggressive"
        case (1, 5): "Informational"
        case (1, 32): "Quick Mode"
        case (2, 34): "IKE_SA_INIT"
        case (2, 35): "IKE_AUTH"
        case (2, 36): "CREATE_CHILD_SA"
        case (2, 37): "INFORMATIONAL"
        default: "IKE"
        }
    }
}
