import Wire

/// GTP-U version 1 on UDP 2152 (3GPP TS 29.281 §5): mobile-network user plane, carrying IP.
///
///     | ver 3 | PT | * | E | S | PN | message type | length 16 | TEID 32 |
///     | [sequence 16 | N-PDU 8 | next extension type 8] | extension headers … |
public enum GTPU {
    public static let port: UInt16 = 2152

    public static func decode(_ input: inout ByteCursor) throws(DecodeError) -> NetworkProtocol {
        let flags = try input.read(UInt8.self)
        let messageType = try input.read(UInt8.self)
        guard flags >> 5 == 1, flags & 0x10 != 0, messageType == 0xFF else { return .other }  // G-PDU only
        try input.skip(6)  // length, TEID
        guard flags & 0x07 != 0 else { return try NetworkProtocol.byVersionNibble(input) }
        try input.skip(3)
        var nextType = try input.read(UInt8.self)
        var extensions = 0
        while nextType != 0 {  // each extension: length in 4-byte units, content, next type
            let units = Int(try input.read(UInt8.self))
            guard units > 0, extensions < 16 else { throw .malformed(at: input.offset, reason: "GTP-U extension") }
            try input.skip(units &* 4 &- 2)
            nextType = try input.read(UInt8.self)
            extensions &+= 1
        }
        return try NetworkProtocol.byVersionNibble(input)
    }
}
