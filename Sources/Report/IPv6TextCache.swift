import Wire

/// The text of IPv6 addresses written before, by address. RFC 5952 formatting (zero runs, hex
/// groups) costs many times a copy, and a capture's lines repeat the same addresses; IPv4 text
/// is cheaper to write than to look up, so it is not cached. Direct-mapped: a clash replaces.
struct IPv6TextCache {
    private struct Entry {
        var high: UInt64 = 0
        var low: UInt64 = 0
        var length = 0
        /// Up to 39 bytes of text in five words, written out whole.
        var text: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
    }

    private static let slots = 1024
    private var entries = [Entry](repeating: Entry(), count: slots)

    /// The most `write` touches: five whole words.
    static let most = 40

    mutating func write(_ address: IPAddress, _ w: inout UncheckedWriter) {
        guard address.isIPv6 else { return w.address(address) }
        var mixed = (address.high ^ address.low &* 0x9E37_79B9_7F4A_7C15) &* 0xBF58_476D_1CE4_E5B9
        mixed ^= mixed >> 31
        let slot = Int(truncatingIfNeeded: mixed) & (Self.slots &- 1)
        let hit = entries.withUnsafeBufferPointer { entries in
            let entry = entries[slot]
            guard entry.length > 0, entry.high == address.high, entry.low == address.low else { return false }
            w.words(entry.text, length: entry.length)
            return true
        }
        if hit { return }
        let text = w.recording { $0.address(address) }
        entries[slot] = Entry(high: address.high, low: address.low, length: text.length, text: text.words)
    }
}
