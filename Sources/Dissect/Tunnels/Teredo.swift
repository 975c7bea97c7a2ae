import Wire

/// Teredo (RFC 4380 §5.1.1): IPv6 in UDP on port 3544, optionally preceded by an authentication
/// header (indicator 0x0001) and an origin indication (indicator 0x0000).
public enum Teredo {
    public static let port: UInt16 = 3544

    public static func decode(_ input: inout ByteCursor) throws(DecodeError) -> NetworkProtocol {
        if try input.peek(UInt16.self) == 1 {  // authentication: id length, auth length, nonce 8, confirmation 1
            try input.skip(2)
            let idLength = Int(try input.read(UInt8.self))
            let authLength = Int(try input.read(UInt8.self))
            try input.skip(idLength &+ authLength &+ 9)
        }
        if try input.peek(UInt16.self) == 0 {  // origin indication: obfuscated port and address
            try input.skip(8)
        }
        return try NetworkProtocol.byVersionNibble(input) == .ipv6 ? .ipv6 : .other
    }
}
