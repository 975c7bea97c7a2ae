import Wire

/// Writes the addresses of a report's lines. IPv4 goes through the per-octet table, held here so
/// it is read without the lazy global's check on every address. IPv6 text comes from a cache of
/// the text written before, by address: RFC 5952 formatting (zero runs, hex groups) costs several
/// times a copy, and a capture's lines repeat the same addresses. Direct-mapped: a clash replaces.
struct AddressText {
    private struct Entry {
        var high: UInt64 = 0
        var low: UInt64 = 0
        var length = 0
        /// Up to 39 bytes of text in five words, written out whole.
        var text: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
    }

    private let octets = UncheckedWriter.octetText
    private static var slotBits: Int { 10 }
    private var entries = [Entry](repeating: Entry(), count: 1 << slotBits)

    /// The most `write` touches: five whole words.
    static let most = 40

    @inline(__always)
    mutating func write(_ address: IPAddress, _ w: inout UncheckedWriter) {
        if address.isIPv6 {
            writeIPv6(address, &w)
        } else {
            octets.withUnsafeBufferPointer { w.dottedQuad(UInt32(truncatingIfNeeded: address.low), octets: $0) }
        }
    }

    private mutating func writeIPv6(_ address: IPAddress, _ w: inout UncheckedWriter) {
        var mixed = (address.high ^ address.low &* 0x9E37_79B9_7F4A_7C15) &* 0xBF58_476D_1CE4_E5B9
        mixed ^= mixed >> 31
        let slot = Int(truncatingIfNeeded: mixed >> UInt64(64 &- Self.slotBits))
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
