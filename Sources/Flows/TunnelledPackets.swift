import Dissect
import Wire

/// IPv6 packets lifted out of one frame's IP-HTTPS records, waiting to be decoded after the frame
/// itself (the frame decoder cannot be re-entered from inside its own walk). The bytes live in one
/// block allocated once; what does not fit in a frame's share is counted and dropped. The bytes
/// stay valid until the next frame's packets are lifted, so report lines may point into them.
final class TunnelledPackets {
    static let byteCapacity = 256 * 1024
    static let packetCapacity = 256

    struct Entry {
        var offset: Int
        var count: Int
        var depth: Int
        var layers: LayerTrail
    }

    private let base: UnsafeMutableRawPointer
    private(set) var entries: [Entry] = []
    private var used = 0
    private(set) var dropped = 0

    init() {
        base = .allocate(byteCount: Self.byteCapacity, alignment: 8)
        entries.reserveCapacity(Self.packetCapacity)
    }

    deinit { base.deallocate() }

    /// Starts a new frame: earlier packets' bytes may be overwritten from here on.
    func removeAll() {
        entries.removeAll(keepingCapacity: true)
        used = 0
    }

    func append(_ packet: UnsafeRawBufferPointer, depth: Int, layers: LayerTrail) {
        guard let source = packet.baseAddress, entries.count < Self.packetCapacity,
            packet.count <= Self.byteCapacity &- used
        else {
            dropped &+= 1
            return
        }
        (base + used).copyMemory(from: source, byteCount: packet.count)
        entries.append(Entry(offset: used, count: packet.count, depth: depth, layers: layers))
        used &+= packet.count
    }

    func bytes(of entry: Entry) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + entry.offset, count: entry.count)
    }
}
