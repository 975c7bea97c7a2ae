import Wire

/// Ethernet II with any stack of 802.1Q / 802.1ad / legacy QinQ tags, PPPoE sessions and MPLS.
///
///     +-----------+-----------+-----------+ [+ TPID(2) TCI(2) ]* +
///     | dst MAC 6 | src MAC 6 | EtherType |                      |
///     +-----------+-----------+-----------+----------------------+
public enum Ethernet {
    /// More tags than any real network stacks: past this the frame is called malformed.
    public static let maximumTags = 8

    /// Reads the EtherType and any VLAN tags, PPPoE session header or MPLS labels after it.
    @inline(always)
    public static func decode(_ input: inout ByteCursor) throws(DecodeError) -> NetworkProtocol {
        // The addresses and the EtherType checked in one step: nearly every frame has no tag.
        var type = try input.readHeader(14).u16(12)
        var tags = 0
        while true {
            switch type {
            case 0x8100, 0x88A8, 0x9100, 0x9200:  // 802.1Q, 802.1ad, pre-standard QinQ: TCI then EtherType
                tags &+= 1
                guard tags <= maximumTags else { throw .malformed(at: input.offset, reason: "too many VLAN tags") }
                type = try input.readHeader(4).u16(2)
            case 0x8864:  // PPPoE session: ver/type, code, session id, length, then PPP
                try input.skip(6)
                return try PPP.decodeProtocol(&input)
            case 0x8847, 0x8848:  // MPLS unicast/multicast: labels until bottom of stack, then guess IP
                var label: UInt32 = 0
                repeat {
                    tags &+= 1
                    guard tags <= maximumTags else { throw .malformed(at: input.offset, reason: "MPLS stack") }
                    label = try input.read(UInt32.self)
                } while label & 0x100 == 0
                return try NetworkProtocol.byVersionNibble(input)
            default:
                return NetworkProtocol(etherType: type)
            }
        }
    }
}
