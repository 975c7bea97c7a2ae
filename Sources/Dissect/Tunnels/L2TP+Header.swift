import Wire

/// The L2TPv2 header (RFC 2661 §3.1), control and data alike: parsing leaves the cursor at the
/// message's AVPs (control) or PPP frame (data).
///
///     | T L x x S x O P x x x x Ver=2 | [length] | tunnel id | session id | [Ns | Nr] | [offset size | pad] |
///
/// Control messages (T=1) must carry L and S (§3.1); typical first words are 0xC802 (control)
/// and 0x4002 / 0x0002 (data). A control message without them is still L2TP, but malformed:
/// tcpdump's l2tp-avp-overflow.pcap sends 0xF002 (T, L and two reserved bits; no S).
public struct L2TPHeader: Sendable, Equatable {
    public var flags: UInt16
    /// "The total length of the message in octets" (L bit set): the UDP payload's length.
    public var length: Int?
    public var tunnelID: UInt16
    public var sessionID: UInt16

    public var isControl: Bool { flags & 0x8000 != 0 }
    /// A control message lacking the Length or Sequence bit that RFC 2661 §3.1 requires.
    public var lacksControlBits: Bool { isControl && flags & 0x4800 != 0x4800 }

    public init(parsing input: inout ByteCursor) throws(DecodeError) {
        let start = input.offset
        flags = try input.read(UInt16.self)
        guard flags & 0x000F == 2 else { throw .malformed(at: start, reason: "L2TP version") }
        length = flags & 0x4000 != 0 ? Int(try input.read(UInt16.self)) : nil
        tunnelID = try input.read(UInt16.self)
        sessionID = try input.read(UInt16.self)
        if flags & 0x0800 != 0 { try input.skip(4) }  // Ns, Nr
        if flags & 0x0200 != 0 { try input.skip(Int(try input.read(UInt16.self))) }  // offset padding
    }

    /// The version field of a datagram's first word (L2TPv3, RFC 3931, shares the port as 3);
    /// nil when the datagram is shorter than that word.
    public static func version(of payload: UnsafeRawBufferPointer) -> UInt16? {
        (try? ByteCursor(payload).peek(UInt16.self)).map { $0 & 0x000F }
    }
}
