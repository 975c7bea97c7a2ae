import Wire

/// Follows IPv4 and IPv6 fragments so a fragmented datagram counts once, on the frame that
/// completes it, as Wireshark's default reassembly does. Only the transport header of the first
/// fragment is kept (enough for ports, flags and sequence numbers), never the whole datagram.
public struct IPFragmentTracker {
    public struct Key: Hashable, Sendable {
        var source: IPAddress
        var destination: IPAddress
        var identification: UInt32
        var protocolNumber: UInt8
    }

    /// What is known of one datagram still being collected.
    struct Partial {
        var receivedBytes = 0
        var totalLength: Int? = nil
        var transportHeader = TransportHeaderBytes()
        var lastSeen: Timestamp
    }

    /// The first bytes of a transport header, stored inline so that keeping them allocates nothing.
    public struct TransportHeaderBytes: Sendable {
        var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
        public internal(set) var count = 0
        public static let capacity = 24

        init() {}

        init(copying source: ByteCursor) {
            let n = Swift.min(source.remaining, Self.capacity)
            withUnsafeMutableBytes(of: &words) { target in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source.rest.bytes[..<n]))
            }
            count = n
        }

        public func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
            let count = self.count
            return try withUnsafeBytes(of: words) { (all) throws(E) -> R in
                try body(UnsafeRawBufferPointer(rebasing: all[..<count]))
            }
        }
    }

    /// Datagrams never completed are dropped after this long, and the table never grows past
    /// `maximumPending` entries, so a fragment flood cannot exhaust memory.
    public static let timeoutNanoseconds: Int64 = 30_000_000_000
    public static let maximumPending = 4096

    var pending: [Key: Partial] = [:]

    public init() {}

    /// Adds one fragment; returns the first fragment's transport header once every byte of the
    /// datagram has arrived.
    public mutating func add(
        _ key: Key,
        offset: Int,
        moreFragments: Bool,
        data: ByteCursor,
        wireDataLength: Int,
        at time: Timestamp
    ) -> TransportHeaderBytes? {
        if pending.count >= Self.maximumPending { expire(before: time) }
        guard pending.count < Self.maximumPending || pending[key] != nil else { return nil }
        var partial = pending[key] ?? Partial(lastSeen: time)
        partial.receivedBytes &+= wireDataLength
        partial.lastSeen = time
        if !moreFragments { partial.totalLength = offset &+ wireDataLength }
        if offset == 0 { partial.transportHeader = TransportHeaderBytes(copying: data) }
        if let total = partial.totalLength, partial.receivedBytes >= total, partial.transportHeader.count > 0 {
            pending[key] = nil
            return partial.transportHeader
        }
        pending[key] = partial
        return nil
    }

    mutating func expire(before time: Timestamp) {
        pending = pending.filter { time.nanoseconds &- $0.value.lastSeen.nanoseconds < Self.timeoutNanoseconds }
        if pending.count >= Self.maximumPending { pending.removeAll(keepingCapacity: true) }
    }

    public static func key(_ source: IPAddress, _ destination: IPAddress, id: UInt32, protocolNumber: UInt8) -> Key {
        Key(source: source, destination: destination, identification: id, protocolNumber: protocolNumber)
    }
}
