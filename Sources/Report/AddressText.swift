import Wire

/// Writes the addresses of a report's lines. IPv4 goes through the per-octet table, held here so
/// it is read without the lazy global's check on every address. IPv6 text comes from a cache of
/// the text written before, by address: RFC 5952 formatting (zero runs, hex groups) costs several
/// times a copy, and a capture's lines repeat the same addresses. Each address has a set of two
/// entries; a new one takes the first place and moves the other out of the second.
struct AddressText {
    private struct Entry {
        var high: UInt64 = 0
        var low: UInt64 = 0
        var length = 0
        /// Up to 39 bytes of text in five words, written out whole.
        var text: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
    }

    private let octets = UncheckedWriter.octetText
    private static var setBits: Int { 10 }
    private var entries = [Entry](repeating: Entry(), count: 2 << setBits)

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

    @inline(__always)
    private mutating func writeIPv6(_ address: IPAddress, _ w: inout UncheckedWriter) {
        var mixed = (address.high ^ address.low &* 0x9E37_79B9_7F4A_7C15) &* 0xBF58_476D_1CE4_E5B9
        mixed ^= mixed &>> 31
        let first = Int(truncatingIfNeeded: mixed &>> UInt64(64 &- Self.setBits)) &* 2
        let hit = entries.withUnsafeBufferPointer { entries in
            for entry in entries[first...(first &+ 1)]
            where entry.length > 0 && entry.high == address.high && entry.low == address.low {
                w.words(entry.text, length: entry.length)
                return true
            }
            return false
        }
        if !hit { fill(first, address, &w) }
    }

    @inline(never)
    private mutating func fill(_ first: Int, _ address: IPAddress, _ w: inout UncheckedWriter) {
        let text = w.recording { $0.address(address) }
        entries[first &+ 1] = entries[first]
        entries[first] = Entry(high: address.high, low: address.low, length: text.length, text: text.words)
    }
}
