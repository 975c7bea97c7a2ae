import Wire

/// A STUN message (RFC 8489 §5, RFC 5389; TURN methods RFC 8656 §17), an RFC 3489 "classic" one
/// without the magic cookie, or Microsoft's MS-TURN dialect (MS-TURN §2.2.1) — told apart by the
/// cookie and by MS-TURN's MAGIC-COOKIE attribute, which must come first.
///
///      0                   1                   2                   3
///      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |0 0|     STUN Message Type     |         Message Length        |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |                 Magic Cookie 0x2112A442 (RFC 5389+)           |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |                     Transaction ID (96 bits)                  |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |  attributes: type 16 | length 16 | value, padded to 32 bits …  |
///
/// Decoding keeps numbers and offsets only: no allocation per message.
public struct STUNMessage: Sendable {
    public var type: STUNMessageType
    public var dialect: STUNDialect
    /// Bytes of attributes after the 20-byte header.
    public var length: Int
    /// Bytes 4–19: the cookie and the 96-bit id, or RFC 3489's / MS-TURN's 128-bit id.
    public var transactionID: STUNTransactionID
    public var attributes: STUNAttributes

    /// Header plus attributes: how many bytes the message occupies in a stream.
    public var totalLength: Int { STUN.headerLength &+ length }

    /// The class, reading MS-TURN's Data Indication 0x0115 as the indication it is (MS-TURN §2.2.1).
    public var messageClass: STUNClass {
        dialect == .msTURN && type.rawValue == 0x0115 ? .indication : type.messageClass
    }

    public var method: STUNMethod { type.method }

    /// Allocate … ConnectionAttempt (RFC 8656, RFC 6062), and MS-TURN's Send/Data/Set Active Destination.
    public var isTURN: Bool {
        switch dialect {
        case .msTURN: return method.rawValue >= 0x003 && method.rawValue <= 0x006
        case .rfc5389, .rfc3489: return (0x003...0x00C).contains(method.rawValue)
        }
    }

    /// The method's name in this message's dialect ("Send" for MS-TURN's 0x0004, not "Refresh").
    public var methodName: StaticString {
        if dialect == .msTURN {
            switch type.rawValue {
            case 0x0004, 0x0104, 0x0114: return "Send"
            case 0x0115: return "Data"
            case 0x0006, 0x0106, 0x0116: return "SetActiveDestination"
            default: break
            }
        }
        return method.name
    }
}

public enum STUN {
    /// RFC 5389 §6: bytes 4–7 of every message since RFC 5389.
    public static let magicCookie: UInt32 = 0x2112_A442
    public static let headerLength = 20
    /// MS-TURN §2.2.2.11: value of the MAGIC-COOKIE attribute (type 0x000F) that leads every MS-TURN message.
    public static let msTURNMagicCookie: UInt32 = 0x72C6_4BC6

    /// Whether `payload` is exactly one STUN message (the Wireshark-strict UDP rule: top two bits 0,
    /// method ≤ 0xFF, `20 + length == payload`), and in which dialect. Classic messages without
    /// the cookie must carry a known RFC 3489 / MS-TURN message type.
    public static func probe(_ payload: UnsafeRawBufferPointer) -> STUNDialect? {
        let cursor = ByteCursor(payload)
        guard let type = try? cursor.peek(UInt16.self), let length = try? cursor.peek(UInt16.self, at: 2),
            let word = try? cursor.peek(UInt32.self, at: 4),
            type & 0xC000 == 0, Int(length) &+ headerLength == payload.count
        else { return nil }
        let msFirst =
            (try? cursor.peek(UInt32.self, at: 20)) == 0x000F_0004
            && (try? cursor.peek(UInt32.self, at: 24)) == msTURNMagicCookie
        if word == magicCookie {
            // RFC 8489 lengths are multiples of 4, but WhatsApp and others send odd ones that
            // Wireshark accepts: only the total length is checked.
            guard STUNMessageType(rawValue: type).method.rawValue <= 0xFF else { return nil }
            return msFirst ? .msTURN : .rfc5389
        }
        guard STUNMessageType.classicTypes.contains(type) else { return nil }
        return msFirst ? .msTURN : .rfc3489
    }
}

extension STUNMessage {
    /// Parses one message and moves `input` past it (20 + length bytes). The caller decides
    /// whether the message must fill the datagram (UDP) or may be followed by more (TCP).
    public init(parsing input: inout ByteCursor) throws(DecodeError) {
        let start = input.offset
        let rawType = try input.read(UInt16.self)
        guard rawType & 0xC000 == 0 else { throw .malformed(at: start, reason: "STUN type top bits") }
        length = Int(try input.read(UInt16.self))
        transactionID = STUNTransactionID(high: try input.read(UInt64.self), low: try input.read(UInt64.self))
        type = STUNMessageType(rawValue: rawType)
        var body = try input.take(length)
        let cookie = UInt32(truncatingIfNeeded: transactionID.high >> 32)
        let msFirst =
            (try? body.peek(UInt32.self)) == 0x000F_0004
            && (try? body.peek(UInt32.self, at: 4)) == STUN.msTURNMagicCookie
        dialect = msFirst ? .msTURN : cookie == STUN.magicCookie ? .rfc5389 : .rfc3489
        attributes = STUNAttributes()
        try attributes.parse(&body, dialect: dialect, id: transactionID)
    }
}

/// Which flavour of STUN a message is written in.
public enum STUNDialect: UInt8, Sendable {
    /// RFC 5389 / RFC 8489, with the magic cookie.
    case rfc5389
    /// RFC 3489 "classic" STUN: 128-bit transaction id, no cookie.
    case rfc3489
    /// Microsoft MS-TURN / MS-ICE2: MAGIC-COOKIE attribute first, Microsoft attribute numbers.
    case msTURN
}

/// Bytes 4–19 of the header as two words (so the cookie is part of `high` for RFC 5389 messages):
/// requests and responses share it, and it is the XOR key for IPv6 addresses (RFC 8489 §14.2).
public struct STUNTransactionID: Hashable, Sendable {
    public var high: UInt64
    public var low: UInt64
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }
}

/// The 14-bit message type: method bits interleaved with two class bits (RFC 8489 §5).
///
///     0 0 M11 M10 M9 M8 M7 C1 M6 M5 M4 C0 M3 M2 M1 M0
public struct STUNMessageType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public var method: STUNMethod {
        STUNMethod(rawValue: (rawValue & 0x000F) | (rawValue & 0x00E0) >> 1 | (rawValue & 0x3E00) >> 2)
    }

    public var messageClass: STUNClass {
        STUNClass(rawValue: UInt8(truncatingIfNeeded: (rawValue >> 4) & 1 | (rawValue >> 7) & 2)) ?? .request
    }

    /// Types Wireshark's classic-STUN dissector accepts without a cookie: RFC 3489 Binding and
    /// Shared Secret, and the MS-TURN legacy Allocate, Send, Data Indication and Set Active Destination.
    static let classicTypes: Set<UInt16> = [
        0x0001, 0x0101, 0x0111, 0x0002, 0x0102, 0x0112, 0x0003, 0x0103, 0x0113,
        0x0004, 0x0104, 0x0114, 0x0115, 0x0006, 0x0106, 0x0116,
    ]
}

/// The class bits: request, indication, success response, error response (RFC 8489 §5).
public enum STUNClass: UInt8, Sendable {
    case request = 0, indication = 1, success = 2, error = 3

    public var name: StaticString {
        switch self {
        case .request: "request"
        case .indication: "indication"
        case .success: "success"
        case .error: "error"
        }
    }
}

/// STUN methods (IANA "STUN Methods"; RFC 8489, RFC 8656, RFC 6062, Google's GOOG-PING).
public struct STUNMethod: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let binding = STUNMethod(rawValue: 0x001)
    public static let allocate = STUNMethod(rawValue: 0x003)
    public static let refresh = STUNMethod(rawValue: 0x004)
    public static let send = STUNMethod(rawValue: 0x006)
    public static let data = STUNMethod(rawValue: 0x007)
    public static let createPermission = STUNMethod(rawValue: 0x008)
    public static let channelBind = STUNMethod(rawValue: 0x009)
    public static let connect = STUNMethod(rawValue: 0x00A)
    public static let connectionBind = STUNMethod(rawValue: 0x00B)
    public static let connectionAttempt = STUNMethod(rawValue: 0x00C)
    public static let googPing = STUNMethod(rawValue: 0x080)

    public var name: StaticString {
        switch rawValue {
        case 0x001: "Binding"
        case 0x002: "SharedSecret"
        case 0x003: "Allocate"
        case 0x004: "Refresh"
        case 0x006: "Send"
        case 0x007: "Data"
        case 0x008: "CreatePermission"
        case 0x009: "ChannelBind"
        case 0x00A: "Connect"
        case 0x00B: "ConnectionBind"
        case 0x00C: "ConnectionAttempt"
        case 0x080: "GoogPing"
        default: "Unknown"
        }
    }
}
