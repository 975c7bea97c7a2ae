import Wire

/// An OpenVPN packet's opcode byte (OpenVPN `ssl_pkt.h`; protocols.md §11): `opcode 5 | key id 3`,
/// then for control packets a 64-bit session id. Over TCP each packet has a 16-bit length before it.
///
///     | opcode 5 | key_id 3 | session id 64 (control) | [HMAC, packet id, time] | ack array | … |
///     | opcode 9 (DATA_V2) | key_id 3 | peer id 24 | encrypted payload |
public struct OpenVPNPacket: Sendable, Equatable {
    public static let port: UInt16 = 1194
    public var opcode: UInt8
    public var keyID: UInt8
    /// Control packets: the sender's session id.
    public var sessionID: UInt64?

    public init(parsing input: inout ByteCursor) throws(DecodeError) {
        let start = input.offset
        let first = try input.read(UInt8.self)
        opcode = first >> 3
        keyID = first & 7
        guard (1...11).contains(opcode) else { throw .malformed(at: start, reason: "OpenVPN opcode") }
        sessionID = opcode == 6 || opcode == 9 ? nil : try input.read(UInt64.self)
    }

    public var isControl: Bool { sessionID != nil }

    public var name: StaticString {
        switch opcode {
        case 1: "P_CONTROL_HARD_RESET_CLIENT_V1"
        case 2: "P_CONTROL_HARD_RESET_SERVER_V1"
        case 3: "P_CONTROL_SOFT_RESET_V1"
        case 4: "P_CONTROL_V1"
        case 5: "P_ACK_V1"
        case 6: "P_DATA_V1"
        case 7: "P_CONTROL_HARD_RESET_CLIENT_V2"
        case 8: "P_CONTROL_HARD_RESET_SERVER_V2"
        case 9: "P_DATA_V2"
        case 10: "P_CONTROL_HARD_RESET_CLIENT_V3"
        default: "P_CONTROL_WKC_V1"
        }
    }

    /// A client's first packet: hard reset v2/v3 (or v1) with key id 0 — what a flow must open with
    /// before the weak one-byte signature of later packets is trusted.
    public var isClientReset: Bool { (opcode == 7 || opcode == 10 || opcode == 1) && keyID == 0 }
}

extension OpenVPNPacket {
    /// A datagram that can open an OpenVPN flow: a valid opcode on the default port 1194 (one
    /// opcode byte alone is too weak a signature to trust on any port).
    public static func probeDatagram(_ payload: UnsafeRawBufferPointer, ports: (UInt16, UInt16)) -> Bool {
        var input = ByteCursor(payload)
        guard ports.0 == port || ports.1 == port, payload.count >= 9 else { return false }
        return (try? OpenVPNPacket(parsing: &input)) != nil
    }
}

/// The TLS bytes of a P_CONTROL_V1 packet (OpenVPN `ssl_pkt.h`, `reliable.c`):
///
///     | opcode 4 | key_id | session id 64 | [HMAC 160, packet id 32, time 32] (tls-auth) |
///     | ack count 8 | acked packet ids 32 × n | [remote session id 64 if n > 0] | message packet id 32 | TLS … |
///
/// Nothing in the packet says whether tls-auth's HMAC is there, so this guesses as Wireshark does
/// (packet-openvpn.c): an HMAC starts with a nonzero byte and has at most one zero byte in its
/// first four, where an ack count and packet ids are small numbers. The HMAC is taken to be
/// SHA-1's 20 bytes, the default. With tls-crypt the rest is encrypted and reads as garbage.
public enum OpenVPNControl {
    public static let controlV1: UInt8 = 4
    /// Wireshark (packet-openvpn.c) takes a control payload of exactly this size to be a fragment
    /// of a longer TLS message and any other size to end one; OpenVPN 2.x sends 100-byte pieces.
    public static let fragmentSize = 100
    static let hmacLength = 20

    /// Where the TLS bytes start and end in `packet` (from its opcode byte); nil for other opcodes
    /// or a packet cut short in its fixed fields.
    public static func payload(_ packet: UnsafeRawBufferPointer) -> Range<Int>? {
        var input = ByteCursor(packet)
        guard let first = try? input.read(UInt8.self), first >> 3 == controlV1 else { return nil }
        return input.attempt { (input) throws(DecodeError) -> Range<Int> in
            try input.skip(8)  // session id
            if try input.peek(UInt8.self) > 0, looksLikeHMAC(try input.peek(UInt32.self)) {
                try input.skip(hmacLength)
                if input.remaining >= 8 { try input.skip(8) }  // replay packet id and time
            }
            if input.remaining >= 1 {
                let acks = Int(try input.read(UInt8.self))
                try input.skip(acks &* 4)
                if acks > 0, input.remaining >= 8 { try input.skip(8) }  // remote session id
            }
            if input.remaining >= 4 { try input.skip(4) }  // message packet id
            return input.offset..<packet.count
        }
    }

    /// At most one zero byte in four: too much entropy for an ack count and packet ids.
    static func looksLikeHMAC(_ word: UInt32) -> Bool {
        var zeros = 0
        var rest = word
        for _ in 0..<4 {
            if rest & 0xFF == 0 { zeros &+= 1 }
            rest >>= 8
        }
        return zeros <= 1
    }
}
