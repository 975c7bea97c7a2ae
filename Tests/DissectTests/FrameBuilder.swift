/// Hand-built headers for decoder tests. Each builder follows the cited RFC field by field;
/// checksums are left zero because callpath, like Wireshark by default, does not verify them.
enum FrameBuilder {
    static func be16(_ value: Int) -> [UInt8] { [UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
    static func be32(_ value: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(value >> $0 & 0xFF) } }

    /// Ethernet II (dst, src, EtherType) with optional VLAN tags given as (TPID, VLAN id).
    static func ethernet(_ etherType: Int, tags: [(Int, Int)] = [], _ payload: [UInt8]) -> [UInt8] {
        var frame: [UInt8] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]
        for (tpid, vlan) in tags { frame += be16(tpid) + be16(vlan) }
        return frame + be16(etherType) + payload
    }

    /// IPv4 (RFC 791): `options` must be a multiple of 4 bytes.
    static func ipv4(
        _ source: UInt32,
        _ destination: UInt32,
        protocol number: UInt8,
        _ payload: [UInt8],
        id: Int = 1,
        moreFragments: Bool = false,
        fragmentOffset: Int = 0,
        options: [UInt8] = [],
        totalLength: Int? = nil
    ) -> [UInt8] {
        let headerLength = 20 + options.count
        let flags = (moreFragments ? 0x2000 : 0) | (fragmentOffset / 8)
        return [UInt8(0x40 | headerLength / 4), 0] + be16(totalLength ?? headerLength + payload.count) + be16(id)
            + be16(flags) + [64, number, 0, 0] + be32(source) + be32(destination) + options + payload
    }

    /// IPv6 (RFC 8200) with a ready-made extension chain in `extensions` (first next header given).
    static func ipv6(
        _ source: [UInt8],
        _ destination: [UInt8],
        next: UInt8,
        _ payload: [UInt8]
    ) -> [UInt8] {
        [0x60, 0, 0, 0] + be16(payload.count) + [next, 64] + source + destination + payload
    }

    static func udp(_ source: Int, _ destination: Int, _ payload: [UInt8], length: Int? = nil) -> [UInt8] {
        be16(source) + be16(destination) + be16(length ?? 8 + payload.count) + [0, 0] + payload
    }

    static func tcp(_ source: Int, _ destination: Int, seq: UInt32, flags: UInt8, _ payload: [UInt8] = []) -> [UInt8] {
        be16(source) + be16(destination) + be32(seq) + be32(0) + [0x50, flags] + be16(65535) + [0, 0, 0, 0] + payload
    }

    static let v6a: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]
    static let v6b: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [2]
}
