import Wire

/// The L2TPv2 header (RFC 2661 §3.1), control and data alike — `L2TP.decode` follows only data
/// messages into PPP; this names every message for `packets`.
///
///     | T L x x S x O P x x x x Ver=2 | [length] | tunnel id | session id | [Ns | Nr] | [offset] |
///
/// Control messages (T=1) must carry L and S (§3.1); typical first words are 0xC802 (control)
/// and 0x4002 / 0x0002 (data). A control message without them is still L2TP, but malformed:
/// tcpdump's l2tp-avp-overflow.pcap sends 0xF002 (T, L and two reserved bits; no S).
public struct L2TPHeader: Sendable, Equatable {
    public var flags: UInt16
    public var tunnelID: UInt16
    public var sessionID: UInt16

    public var isControl: Bool { flags & 0x8000 != 0 }
    /// A control message lacking the Length or Sequence bit that RFC 2661 §3.1 requires.
    public var lacksControlBits: Bool { isControl && flags & 0x4800 != 0x4800 }

    public init(parsing input: inout ByteCursor) throws(DecodeError) {
        let start = input.offset
        flags = try input.read(UInt16.self)
        guard flags & 0x000F == 2 else { throw .malformed(at: start, reason: "L2TP version") }
        if flags & 0x4000 != 0 { try input.skip(2) }
        tunnelID = try input.read(UInt16.self)
        sessionID = try input.read(UInt16.self)
    }

    public static func parse(_ payload: UnsafeRawBufferPointer) -> L2TPHeader? {
        var input = ByteCursor(payload)
        return try? L2TPHeader(parsing: &input)
    }
}
