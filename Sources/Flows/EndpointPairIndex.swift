import Wire

/// An open-addressing hash index from a direction-free endpoint pair to a row number.
///
/// The conversation and flow tables look up every packet; Swift's `Dictionary` hashes keys with
/// SipHash, which costs more than the rest of the decode. Keys here are hashed with one
/// multiply-xorshift over their words (collisions only cost probes, never correctness; an
/// attacker can at worst slow the table to a linear probe). Grows at 50% load.
public struct EndpointPairIndex: Sendable {
    /// A flow's 5-tuple, direction-free, packed into five words so that comparing and hashing keys
    /// (done for every packet) are a handful of integer operations.
    public struct Key: Hashable, Sendable {
        @usableFromInline let lowHigh: UInt64
        @usableFromInline let lowLow: UInt64
        @usableFromInline let highHigh: UInt64
        @usableFromInline let highLow: UInt64
        /// low port << 48 | high port << 32 | low is IPv6 << 2 | high is IPv6 << 1 | TCP
        @usableFromInline let meta: UInt64

        /// Orders the two endpoints, so both directions of a flow find one key.
        @inlinable
        public init(_ transport: Transport, _ x: Endpoint, _ y: Endpoint) {
            self.init(transport, x, y, xIsLow: !Self.precedes(y, x))
        }

        /// The key of a packet from `source` to `destination`, and whether it goes `low` → `high`
        /// (found while ordering, instead of rebuilding `low` to compare). Always inlined: the
        /// reading thread builds one per segment, and the call cost a third of the work.
        @inlinable @inline(__always)
        public static func directed(
            _ transport: Transport,
            from source: Endpoint,
            to destination: Endpoint
        ) -> (key: Key, forward: Bool) {
            let forward = !precedes(destination, source)
            return (Key(transport, source, destination, xIsLow: forward), forward)
        }

        @inlinable
        init(_ transport: Transport, _ x: Endpoint, _ y: Endpoint, xIsLow: Bool) {
            let (low, high) = xIsLow ? (x, y) : (y, x)
            lowHigh = low.address.high
            lowLow = low.address.low
            highHigh = high.address.high
            highLow = high.address.low
            meta =
                UInt64(low.port) << 48 | UInt64(high.port) << 32 | (low.address.isIPv6 ? 4 : 0)
                | (high.address.isIPv6 ? 2 : 0) | (transport == .tcp ? 1 : 0)
        }

        /// `a < b` as `Endpoint` orders them (IPv4 first, then address, then port), inlined: the
        /// key is built for every packet.
        @inlinable
        static func precedes(_ a: Endpoint, _ b: Endpoint) -> Bool {
            if a.address.isIPv6 != b.address.isIPv6 { return !a.address.isIPv6 }
            if a.address.high != b.address.high { return a.address.high < b.address.high }
            if a.address.low != b.address.low { return a.address.low < b.address.low }
            return a.port < b.port
        }

        /// The ports alone, without building the endpoints.
        @inlinable public var lowPort: UInt16 { UInt16(truncatingIfNeeded: meta >> 48) }
        @inlinable public var highPort: UInt16 { UInt16(truncatingIfNeeded: meta >> 32) }

        public var low: Endpoint {
            Endpoint(
                address: Self.address(lowHigh, lowLow, v6: meta & 4 != 0),
                port: UInt16(truncatingIfNeeded: meta >> 48)
            )
        }

        public var high: Endpoint {
            Endpoint(
                address: Self.address(highHigh, highLow, v6: meta & 2 != 0),
                port: UInt16(truncatingIfNeeded: meta >> 32)
            )
        }

        public var transport: Transport { meta & 1 != 0 ? .tcp : .udp }

        static func address(_ high: UInt64, _ low: UInt64, v6: Bool) -> IPAddress {
            v6 ? IPAddress(v6High: high, low: low) : IPAddress(v4: UInt32(truncatingIfNeeded: low))
        }

        @inlinable
        public static func == (a: Key, b: Key) -> Bool {
            a.lowLow == b.lowLow && a.highLow == b.highLow && a.meta == b.meta && a.lowHigh == b.lowHigh
                && a.highHigh == b.highHigh
        }

        /// One mixed word instead of every field: Swift dictionaries keyed by flows (the call
        /// tracker's) then hash a single UInt64 per lookup.
        @inlinable
        public func hash(into hasher: inout Hasher) { hasher.combine(mixed) }

        @inlinable
        var mixed: UInt64 {
            var word = lowLow &* 0x9E37_79B9_7F4A_7C15
            word ^= highLow &* 0xC2B2_AE3D_27D4_EB4F
            word ^= (lowHigh ^ (highHigh << 17 | highHigh >> 47)) &* 0x1656_67B1_9E37_79F9
            word ^= meta
            word ^= word >> 29
            word &*= 0xBF58_476D_1CE4_E5B9
            return word ^ (word >> 32)
        }
    }

    /// Open-addressing slots, 8 bytes each so probing stays in cache: the key's hash tag in the high
    /// half, its entry number + 1 in the low half (0: empty). Keys and values live densely by entry.
    @usableFromInline var slots: [UInt64]
    @usableFromInline var keys: [Key] = []
    @usableFromInline var values: [Int32] = []
    @usableFromInline var mask: Int
    public var count: Int { keys.count }

    public init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: 0, count: size)
        mask = size - 1
        keys.reserveCapacity(capacity)
        values.reserveCapacity(capacity)
    }

    /// The value stored for `key`, if any.
    @inlinable
    public func value(for key: Key) -> Int? {
        entry(for: key) { keys[$0] == key }.map { Int(values[$0]) }
    }

    /// The entry (order of first `set`) filed under `key`'s hash that `isEntry` accepts, without
    /// reading `keys`: for a table that keeps each key in its own row, so a lookup reads that row,
    /// which it needs next anyway, instead of one more cache line.
    @inlinable
    public func entry(for key: Key, where isEntry: (Int) -> Bool) -> Int? {
        let hash = key.mixed
        let tag = hash >> 32
        var slot = Int(truncatingIfNeeded: hash) & mask
        return slots.withUnsafeBufferPointer { slots in
            while slots[slot] != 0 {
                let word = slots[slot]
                if word >> 32 == tag {
                    let entry = Int(truncatingIfNeeded: word & 0xFFFF_FFFF) &- 1
                    if isEntry(entry) { return entry }
                }
                slot = (slot &+ 1) & mask
            }
            return nil
        }
    }

    /// Stores `value` for `key`, replacing any earlier value.
    public mutating func set(_ value: Int, for key: Key) {
        let hash = key.mixed
        let tag = hash >> 32
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 {
            let word = slots[slot]
            let entry = Int(truncatingIfNeeded: word & 0xFFFF_FFFF) &- 1
            if word >> 32 == tag, keys[entry] == key {
                values[entry] = Int32(truncatingIfNeeded: value)
                return
            }
            slot = (slot &+ 1) & mask
        }
        keys.append(key)
        values.append(Int32(truncatingIfNeeded: value))
        slots[slot] = tag << 32 | UInt64(keys.count)
        if keys.count &* 2 > slots.count { grow() }
    }

    /// Doubles the slots and re-files every entry (keys and values stay where they are).
    private mutating func grow() {
        slots = Array(repeating: 0, count: slots.count * 2)
        mask = slots.count - 1
        for (entry, key) in keys.enumerated() {
            let hash = key.mixed
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slots[slot] != 0 { slot = (slot &+ 1) & mask }
            slots[slot] = (hash >> 32) << 32 | UInt64(entry &+ 1)
        }
    }
}
