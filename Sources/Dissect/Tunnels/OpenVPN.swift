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
