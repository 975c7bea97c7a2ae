import Wire

/// A WebSocket frame header (RFC 6455 §5.2). SIP over WebSocket (RFC 7118) carries one SIP
/// message per WebSocket text or binary message.
///
///     | FIN 1 | RSV 3 | opcode 4 | MASK 1 | length 7 | [length 16 or 64] | [masking key 32] | payload |
///
/// A 7-bit length of 126 means the 16-bit field follows, 127 the 64-bit one (most significant bit
/// 0). Frames from the client are masked (§5.3): payload byte i is XORed with key byte i mod 4.
public struct WebSocketFrameHeader: Sendable, Equatable {
    /// Larger payload lengths are refused: no SIP message comes near, and the value must fit an Int.
    public static let maximumPayload = 1 << 40

    public var fin: Bool
    public var opcode: UInt8
    /// The masking key, big-endian (the key's first byte in the top bits); nil when unmasked.
    public var maskingKey: UInt32?
    public var payloadLength: Int
    /// Bytes the header occupies: 2 to 14.
    public var headerLength: Int

    public init(parsing input: inout ByteCursor) throws(DecodeError) {
        let start = input.offset
        let first = try input.read(UInt8.self)
        let second = try input.read(UInt8.self)
        fin = first & 0x80 != 0
        opcode = first & 0x0F
        // RSV bits need a negotiated extension; opcodes 3–7 and 11–15 are reserved (§5.2).
        guard first & 0x70 == 0, opcode <= 2 || (8...10).contains(opcode) else {
            throw .malformed(at: start, reason: "WebSocket opcode")
        }
        switch second & 0x7F {
        case 126: payloadLength = Int(try input.read(UInt16.self))
        case 127:
            let length = try input.read(UInt64.self)
            guard length <= UInt64(Self.maximumPayload) else { throw .malformed(at: start, reason: "WebSocket length") }
            payloadLength = Int(length)
        case let short: payloadLength = Int(short)
        }
        // Control frames are never fragmented and carry at most 125 bytes (§5.5).
        guard opcode < 8 || (fin && payloadLength <= 125) else {
            throw .malformed(at: start, reason: "WebSocket control frame")
        }
        maskingKey = second & 0x80 != 0 ? try input.read(UInt32.self) : nil
        headerLength = input.offset &- start
    }

    /// The header's size from its first two bytes, before the rest has arrived.
    public static func headerLength(secondByte: UInt8) -> Int {
        let extended =
            switch secondByte & 0x7F {
            case 126: 2
            case 127: 8
            default: 0
            }
        return 2 &+ extended &+ (secondByte & 0x80 != 0 ? 4 : 0)
    }

    /// Text, binary or continuation: part of a data message (the rest are control frames).
    public var isData: Bool { opcode <= 2 }
}

/// The HTTP/1.1 Upgrade that opens a WebSocket carrying SIP (RFC 6455 §4, RFC 7118 §4): the
/// client's `GET` or the server's `101` response with `Upgrade: websocket` and the `sip`
/// subprotocol in `Sec-WebSocket-Protocol`.
public enum WebSocketHandshake {
    /// Whether `bytes` (a direction's first segment) start such a message. Header lines are read
    /// until the blank line or the end of the segment.
    public static func isSIPUpgrade(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var input = ByteCursor(bytes)
        guard input.hasPrefix("GET ") || input.hasPrefix("HTTP/1.1 101") else { return false }
        _ = input.readLine()
        var upgrade = false
        var sip = false
        while let range = input.readLine(), range.count > 0, let line = input.slice(range) {
            if line.hasPrefix("Upgrade:", caseInsensitive: true) {
                upgrade = contains(line, "websocket")
            } else if line.hasPrefix("Sec-WebSocket-Protocol:", caseInsensitive: true) {
                sip = namesSIP(line)
            }
        }
        return upgrade && sip
    }

    /// Whether a `Sec-WebSocket-Protocol` line lists the token `sip` (a comma-separated list).
    static func namesSIP(_ line: ByteCursor) -> Bool {
        var input = line
        guard (try? input.skip(23)) != nil else { return false }  // "Sec-WebSocket-Protocol:"
        var token = 0  // letters of "sip" matched in the current list item, -1 once it differs
        let sip: (UInt8, UInt8, UInt8) = (0x73, 0x69, 0x70)
        while true {
            let byte = try? input.read(UInt8.self)
            switch byte {
            case nil, 0x2C:
                if token == 3 { return true }
                if byte == nil { return false }
                token = 0
            case 0x20, 0x09: if token > 0 { token = token == 3 ? 3 : -1 }
            case let c?:
                let wanted = token == 0 ? sip.0 : token == 1 ? sip.1 : sip.2
                token = token >= 0 && token < 3 && asciiLower(c) == wanted ? token &+ 1 : -1
            }
        }
    }

    /// Case-insensitive substring search within one header line.
    static func contains(_ line: ByteCursor, _ word: StaticString) -> Bool {
        var input = line
        while input.remaining > 0 {
            if input.hasPrefix(word, caseInsensitive: true) { return true }
            _ = try? input.skip(1)
        }
        return false
    }
}
