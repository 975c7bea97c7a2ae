import Dissect

/// The protocols of one packet as a bit set: built once per packet, so the tracker's many "does this
/// packet carry X" questions are single bit tests instead of walks along the layer trail.
struct ProtocolSet {
    private var bits: UInt64 = 0

    init(_ trail: LayerTrail) {
        for i in 0..<trail.count { bits |= 1 << UInt64(trail[i].rawValue & 63) }
    }

    func contains(_ name: ProtocolName) -> Bool { bits & (1 << UInt64(name.rawValue & 63)) != 0 }

    func containsAny(_ names: ProtocolSet) -> Bool { bits & names.bits != 0 }

    init(_ names: [ProtocolName]) {
        for name in names { bits |= 1 << UInt64(name.rawValue & 63) }
    }

    static let media = ProtocolSet([.rtp, .srtp, .rtcp, .srtcp])
}
