import Wire

/// Writes into room a `TextBuffer` has reserved (`TextBuffer.write(atMost:)`), with no capacity
/// check per write: each method's comment or `…Most` constant names the most bytes it touches
/// (some store whole words past the bytes they count).
struct UncheckedWriter {
    let base: UnsafeMutablePointer<UInt8>
    /// Bytes written from `base` on.
    var count = 0

    /// "-9223372036854775808" or "18446744073709551615".
    static let decimalMost = 20
    /// "0x" and up to 16 digits.
    static let hexMost = 18
    /// Eight groups of four hex digits and seven colons; "::ffff:255.255.255.255" is shorter.
    static let addressMost = 39
    /// "[", an address, "]:" and a port.
    static let endpointMost = addressMost &+ 8
    /// Up to 11 characters of seconds (an Int64 of nanoseconds), a dot and 9 digits; the cached
    /// form stores the seconds as two whole words (16 bytes).
    static let timeMost = 26

    init(_ base: UnsafeMutablePointer<UInt8>) { self.base = base }

    @inline(__always)
    mutating func byte(_ value: UInt8) {
        base[count] = value
        count &+= 1
    }

    /// Writes `text.utf8CodeUnitCount` bytes.
    @inline(__always)
    mutating func text(_ text: StaticString) {
        if text.hasPointerRepresentation {
            copy(UnsafeRawPointer(text.utf8Start), count: text.utf8CodeUnitCount)
        } else {
            text.withUTF8Buffer { for byte in $0 { self.byte(byte) } }
        }
    }

    /// Copies `n` bytes; the short labels and separators of a report line are copied as two
    /// overlapping words rather than through a call to memcpy.
    @inline(__always)
    mutating func copy(_ source: UnsafeRawPointer, count n: Int) {
        let out = UnsafeMutableRawPointer(base + count)
        if n >= 8 && n <= 16 {
            let head = source.loadUnaligned(as: UInt64.self)
            let tail = source.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
            out.storeBytes(of: head, as: UInt64.self)
            out.storeBytes(of: tail, toByteOffset: n &- 8, as: UInt64.self)
        } else if n < 8 {
            for i in 0..<n {
                out.storeBytes(of: source.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self)
            }
        } else {
            out.copyMemory(from: source, byteCount: n)
        }
        count &+= n
    }

    /// The first `length` (at most 16) bytes of two little-endian words, without the first byte
    /// when `droppingFirstByte`: all 16 bytes are stored, so the room must hold 16.
    @inline(__always)
    mutating func words(_ head: UInt64, _ tail: UInt64, length: Int, droppingFirstByte drop: Bool) {
        var (head, tail, length) = (head, tail, length)
        if drop { (head, tail, length) = (head >> 8 | tail << 56, tail >> 8, length &- 1) }
        let out = UnsafeMutableRawPointer(base + count)
        out.storeBytes(of: head.littleEndian, as: UInt64.self)
        out.storeBytes(of: tail.littleEndian, toByteOffset: 8, as: UInt64.self)
        count &+= length
    }

    /// Stores five words and counts `length` (at most 40) bytes of them: touches 40 bytes.
    @inline(__always)
    mutating func words(_ words: (UInt64, UInt64, UInt64, UInt64, UInt64), length: Int) {
        let out = UnsafeMutableRawPointer(base + count)
        out.storeBytes(of: words.0, as: UInt64.self)
        out.storeBytes(of: words.1, toByteOffset: 8, as: UInt64.self)
        out.storeBytes(of: words.2, toByteOffset: 16, as: UInt64.self)
        out.storeBytes(of: words.3, toByteOffset: 24, as: UInt64.self)
        out.storeBytes(of: words.4, toByteOffset: 32, as: UInt64.self)
        count &+= length
    }

    /// Runs `body` and returns what it wrote (at most 40 bytes are kept) as five words.
    mutating func recording(_ body: (inout UncheckedWriter) -> Void) -> (
        words: (UInt64, UInt64, UInt64, UInt64, UInt64), length: Int
    ) {
        let start = count
        body(&self)
        let length = Swift.min(count &- start, 40)
        var words: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) {
            $0.copyMemory(from: UnsafeRawBufferPointer(start: base + start, count: length))
        }
        return (words, length)
    }

    /// "0x" and `digits` (clamped to 1…16) lowercase hex digits: at most `hexMost` bytes.
    @inline(__always)
    mutating func hex(_ value: UInt64, digits: Int) {
        byte(0x30)
        byte(0x78)
        writeHexDigits(value, width: Swift.min(Swift.max(digits, 1), 16))
    }

    /// The last `width` hex digits of `value`, eight at a time (each store is a whole word, so it
    /// may touch up to 7 bytes past the digits: `hexMost` counts them).
    @inline(__always)
    private mutating func writeHexDigits(_ value: UInt64, width: Int) {
        let out = UnsafeMutableRawPointer(base + count)
        var remaining = width
        while remaining > 0 {
            let take = Swift.min(remaining, 8)
            let shift = UInt64((remaining &- take) &* 4)
            let word = Self.hexWord(UInt32(truncatingIfNeeded: value >> shift))
            // The word holds eight digits, most significant first; keep its last `take`.
            let kept = word >> UInt64((8 &- take) &* 8)
            out.storeBytes(of: kept.littleEndian, toByteOffset: width &- remaining, as: UInt64.self)
            remaining &-= take
        }
        count &+= width
    }

    /// Eight lowercase hex digits of `value` as the bytes of a little-endian word, most
    /// significant digit first: nibbles spread one per byte, then '0' or 'a'−10 added per byte.
    @inline(__always)
    static func hexWord(_ value: UInt32) -> UInt64 {
        var x = UInt64(value)
        x = (x | x << 16) & 0x0000_FFFF_0000_FFFF
        x = (x | x << 8) & 0x00FF_00FF_00FF_00FF
        x = (x | x << 4) & 0x0F0F_0F0F_0F0F_0F0F
        x = x.byteSwapped  // byte i held nibble i: now the most significant digit comes first
        let letters = ((x &+ 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101  // 1 where nibble > 9
        return x &+ 0x3030_3030_3030_3030 &+ letters &* 0x27
    }

    /// Two bytes.
    mutating func hexByte(_ value: UInt8) {
        byte(Self.hexDigit(UInt64(value >> 4)))
        byte(Self.hexDigit(UInt64(value)))
    }

    @inline(__always)
    static func hexDigit(_ value: UInt64) -> UInt8 {
        let nibble = UInt8(truncatingIfNeeded: value & 0xF)
        return nibble < 10 ? 0x30 &+ nibble : 0x57 &+ nibble
    }
}
