import Wire

/// IPsec ESP (RFC 4303 §2): only the SPI and sequence number are in clear.
///
///     | Security Parameters Index 32 | Sequence Number 32 | payload, padding, ICV (encrypted) |
///
/// Over UDP 4500 (RFC 3948 §2.2) the same header follows the UDP header; four zero bytes there
/// are the non-ESP marker in front of IKE, and a single 0xFF byte is a NAT-keepalive (§2.3).
public struct ESPHeader: Sendable, Equatable {
    public var spi: UInt32
    public var sequence: UInt32

    public init(parsing input: inout ByteCursor) throws(DecodeError) {
        let start = input.offset
        spi = try input.read(UInt32.self)
        sequence = try input.read(UInt32.self)
        // RFC 4303 §2.1: SPI 0 "MUST NOT be sent on the wire".
        guard spi != 0 else { throw .malformed(at: start, reason: "ESP SPI 0") }
    }

    /// SPIs 1–255 are reserved to IANA (RFC 4303 §2.1), so IKE never picks one; manually keyed
    /// SAs (RFC 4301 §4.5) may still use them, so a reserved SPI alone does not make a packet malformed.
    public var hasReservedSPI: Bool { spi <= 255 }

    public static let natTraversalPort: UInt16 = 4500
}
