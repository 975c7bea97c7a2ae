import Wire

/// PPP in HDLC-like framing (RFC 1661, RFC 1662): optional address/control `FF 03`, then a 1- or
/// 2-byte protocol field (odd low byte ends it, RFC 1661 §2). Seen on ppp0 VPN interfaces,
/// inside PPTP's GRE, L2TP and SSTP.
public enum PPP {
    public static func decode(_ input: inout ByteCursor) throws(DecodeError) -> NetworkProtocol {
        if try input.peek(UInt16.self) == 0xFF03 { try input.skip(2) }
        return try decodeProtocol(&input)
    }

    /// Reads the protocol field: 0x0021 IPv4, 0x0057 IPv6 (or their 1-byte compressed forms).
    public static func decodeProtocol(_ input: inout ByteCursor) throws(DecodeError) -> NetworkProtocol {
        let first = try input.read(UInt8.self)
        let value: UInt16 = first & 1 == 1 ? UInt16(first) : UInt16(first) << 8 | UInt16(try input.read(UInt8.self))
        switch value {
        case 0x0021: return .ipv4
        case 0x0057: return .ipv6
        default: return .other
        }
    }
}
