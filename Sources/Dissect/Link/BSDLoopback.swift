import Wire

/// BSD loopback (DLT_NULL, DLT_LOOP): a 4-byte address family, then the IP packet.
/// DLT_NULL stores it in the capturing host's byte order, so both orders are tried.
public enum BSDLoopback {
    public static func decode(_ input: inout ByteCursor, networkOrder: Bool) throws(DecodeError) -> NetworkProtocol {
        let bigEndian = try input.peek(UInt32.self)
        let family = networkOrder || bigEndian <= 0xFF ? bigEndian : bigEndian.byteSwapped
        try input.skip(4)
        switch family {
        case 2: return .ipv4  // AF_INET everywhere
        case 10, 23, 24, 28, 30: return .ipv6  // AF_INET6: Linux, Windows, NetBSD/OpenBSD, FreeBSD, Darwin
        default: return .other
        }
    }
}
