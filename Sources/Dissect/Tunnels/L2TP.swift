import Wire

/// L2TP version 2 over UDP 1701 (RFC 2661 §3.1): data messages carry PPP.
///
///     | T L x x S x O P x x x x Ver | [length] | tunnel id | session id | [Ns | Nr] | [offset size | pad] |
public enum L2TP {
    public static let port: UInt16 = 1701

    public static func decode(_ input: inout ByteCursor) throws(DecodeError) -> NetworkProtocol {
        let flags = try input.read(UInt16.self)
        guard flags & 0x000F == 2, flags & 0x8000 == 0 else { return .other }  // v2 data messages only
        if flags & 0x4000 != 0 { try input.skip(2) }  // length
        try input.skip(4)  // tunnel id, session id
        if flags & 0x0800 != 0 { try input.skip(4) }  // Ns, Nr
        if flags & 0x0200 != 0 { try input.skip(Int(try input.read(UInt16.self))) }  // offset padding
        return try PPP.decode(&input)
    }
}
