import Wire

/// An open-addressing hash index from a direction-free endpoint pair to a row number.
///
/// The conversation and flow tables look up every packet; Swift's `Dictionary` hashes keys with
/// SipHash, which costs more than the rest of the decode. Keys here are hashed with one
/// multiply-xorshift over their words (collisions only cost probes, never correctness; an
/// attacker can at worst slow the table to a linear probe). Grows at 50% load.
public struct EndpointPairIndex: Sendable {
    public struct Key: Hashable, Sendable {
        public let low: Endpoint
        public let high: Endpoint
        public let transport: Transport

        /// Orders the two endpoints, so both directions of a flow find one key.
        @inlinable
        public init(_ transport: Transport, _ x: Endpoint, _ y: Endpoint) {
            self.transport = transport
            if y < x { (low, high) = (y, x) } else { (low, high) = (x, y) }
        }

        /// One mixed word instead of every field: Swift dictionaries keyed by flows (the call
        /// tracker's) then hash a single UInt64 per lookup.
        @inlinable
        public func hash(into hasher: inout Hasher) { hasher.combine(mixed) }

        @inlinable
        var mixed: UInt64 {
            var word = low.address.low &* 0x9E37_79B9_7F4A_7C15
            word ^= high.address.low &* 0xC2B2_AE3D_27D4_EB4F
            word ^= (low.address.high ^ (high.address.high << 17 | high.address.high >> 47)) &* 0x1656_67B1_9E37_79F9
            word ^= UInt64(low.port) << 48 | UInt64(high.port) << 32 | (transport == .tcp ? 1 : 0)
            word ^= word >> 29
            word &*= 0xBF58_476D_1CE4_E5B9
            return word ^ (word >> 32)
        }
    }

    /// Slots: `rows[slot] < 0` marks an empty slot, whose key is a placeholder.
    @usableFromInline var keys: [Key]
    @usableFromInline var rows: [Int32]
    @usableFromInline var mask: Int
    public private(set) var count = 0

    public init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        let placeholder = Endpoint(address: IPAddress(v4: 0), port: 0)
        keys = Array(repeating: Key(.udp, placeholder, placeholder), count: size)
        rows = Array(repeating: -1, count: size)
        mask = size - 1
    }

    /// The row stored for `key`, if any.
    @inlinable
    public func value(for key: Key) -> Int? {
        var slot = Int(truncatingIfNeeded: key.mixed) & mask
        return keys.withUnsafeBufferPointer { keys in
            rows.withUnsafeBufferPointer { rows in
                while rows[slot] >= 0 {
                    if keys[slot] == key { return Int(rows[slot]) }
                    slot = (slot &+ 1) & mask
                }
                return nil
            }
        }
    }

    /// Stores `value` for `key`, replacing any earlier value.
    public mutating func set(_ value: Int, for key: Key) {
        if (count &+ 1) &* 2 > keys.count { grow() }
        var slot = Int(truncatingIfNeeded: key.mixed) & mask
        while rows[slot] >= 0 {
            if keys[slot] == key {
                rows[slot] = Int32(truncatingIfNeeded: value)
                return
            }
            slot = (slot &+ 1) & mask
        }
        keys[slot] = key
        rows[slot] = Int32(truncatingIfNeeded: value)
        count &+= 1
    }

    private mutating func grow() {
        var bigger = EndpointPairIndex(capacity: keys.count)
        for (key, row) in zip(keys, rows) where row >= 0 { bigger.set(Int(row), for: key) }
        self = bigger
    }
}
