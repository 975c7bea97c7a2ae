import Wire

/// VXLAN on UDP 4789 (RFC 7348 §5): an 8-byte header with the I flag, then an Ethernet frame.
public enum VXLAN {
    public static let port: UInt16 = 4789

    public static func decode(_ input: inout ByteCursor) throws(DecodeError) -> NetworkProtocol {
        let flags = try input.read(UInt8.self)
        guard flags & 0x08 != 0 else { return .other }
        try input.skip(7)
        return .ethernet
    }
}
