import Wire

/// A growable byte buffer for report text, written without making Strings per value: numbers,
/// addresses and static text go straight in, so `packets` allocates nothing per packet once the
/// buffer has grown.
///
/// The bytes live in one heap block written through a pointer, with no copy-on-write check per
/// append (an Array's uniqueness check on every byte cost more than the formatting). Copies of a
/// `TextBuffer` therefore share their block until one of them grows: keep one owner per buffer.
public struct TextBuffer {
    private final class Storage {
        let base: UnsafeMutablePointer<UInt8>
        let capacity: Int

        init(capacity: Int) {
            self.capacity = capacity
            base = .allocate(capacity: capacity)
        }

        deinit { base.deallocate() }
    }

    private var storage: Storage
    public private(set) var count = 0
    /// Whether bytes from outside the program (wire text, another buffer) were written since the
    /// last `removeAll`. In a buffer of plain-text labels, numbers and addresses (an info column)
    /// only those can hold a quote, a backslash or a control byte, so only then does
    /// `append(jsonEscaping:)` look for them.
    public private(set) var holdsForeignText = false

    public init(capacity: Int = 1 << 16) { storage = Storage(capacity: Swift.max(capacity, 64)) }

    /// The text so far, valid until the next change to the buffer.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: storage.base, count: count))
    }

    public mutating func removeAll() {
        count = 0
        holdsForeignText = false
    }

    /// Drops what was written after the first `count` bytes.
    public mutating func truncate(to count: Int) { self.count = Swift.min(Swift.max(count, 0), self.count) }

    /// Room for `n` more bytes: where they go. The caller writes them and adds `n` to `count`.
    @inline(__always)
    private mutating func reserve(_ n: Int) -> UnsafeMutablePointer<UInt8> {
        if count &+ n > storage.capacity { grow(toAtLeast: count &+ n) }
        return storage.base + count
    }

    @inline(never)
    private mutating func grow(toAtLeast needed: Int) {
        var capacity = storage.capacity
        while capacity < needed { capacity &*= 2 }
        let bigger = Storage(capacity: capacity)
        bigger.base.update(from: storage.base, count: count)
        storage = bigger
    }

    /// Reserves `most` bytes with one capacity check, then lets `body` write at most that many
    /// through an unchecked writer (each writer method names the most bytes it writes, so the caller
    /// sums those limits into `most`).
    @inline(__always)
    mutating func write(atMost most: Int, _ body: (inout UncheckedWriter) -> Void) {
        var writer = UncheckedWriter(reserve(most))
        body(&writer)
        assert(writer.count <= most, "wrote past the reserved room")
        count &+= writer.count
    }

    @inline(__always)
    public mutating func append(_ text: StaticString) { write(atMost: text.utf8CodeUnitCount) { $0.text(text) } }

    @inline(__always)
    public mutating func append(byte: UInt8) { write(atMost: 1) { $0.byte(byte) } }

    public mutating func append(raw: UnsafeRawBufferPointer) {
        holdsForeignText = true
        guard let source = raw.baseAddress, raw.count > 0 else { return }
        write(atMost: raw.count) { $0.copy(source, count: raw.count) }
    }

    public mutating func append(_ other: TextBuffer) { other.withBytes { append(raw: $0) } }

    @inline(__always)
    public mutating func append<T: BinaryInteger>(decimal value: T) {
        write(atMost: UncheckedWriter.decimalMost) { $0.decimal(value) }
    }

    /// Zero-padded decimal of exactly `width` digits (fractions of seconds).
    public mutating func append(decimal value: Int, width: Int) {
        let digits = Swift.min(Swift.max(width, 1), 20)
        write(atMost: digits) { $0.digits(UInt64(truncatingIfNeeded: Swift.max(value, 0)), width: digits) }
    }

    public mutating func append(hex value: UInt64, digits: Int) {
        write(atMost: UncheckedWriter.hexMost) { $0.hex(value, digits: digits) }
    }

    public mutating func append(_ address: IPAddress) {
        write(atMost: UncheckedWriter.addressMost) { $0.address(address) }
    }

    public mutating func append(_ endpoint: Endpoint) {
        write(atMost: UncheckedWriter.endpointMost) { $0.endpoint(endpoint) }
    }

    /// Seconds and nanoseconds as `1700000000.123456789`.
    public mutating func append(time: Timestamp) { write(atMost: UncheckedWriter.timeMost) { $0.time(time) } }

    /// Text from the wire (USERNAME, SNI, Call-ID) made safe for one report line: printable ASCII
    /// kept, anything else written as `\xNN`, at most `limit` bytes.
    public mutating func append(untrusted raw: UnsafeRawBufferPointer, limit: Int = 128) {
        holdsForeignText = true
        let shown = Swift.min(raw.count, Swift.max(limit, 0))
        write(atMost: shown &* 4 &+ 3) { out in
            for i in 0..<shown {
                let byte = raw[i]
                if (0x20...0x7E).contains(byte) {
                    out.byte(byte)
                } else {
                    out.text("\\x")
                    out.hexByte(byte)
                }
            }
            if raw.count > shown { out.text("...") }
        }
    }

    /// Copies `other` as the inside of a JSON string: quotes, backslashes and control bytes escaped
    /// (at most six bytes each, `\\u00NN`). A report line rarely holds anything to escape, so the
    /// text is first checked eight bytes at a time (the last word overlapping) and copied whole.
    public mutating func append(jsonEscaping other: TextBuffer) {
        other.withBytes { text in
            guard let base = text.baseAddress, text.count > 0 else { return }
            if !other.holdsForeignText || !Self.mayNeedEscaping(text) {
                write(atMost: text.count) { $0.copy(base, count: text.count) }
                return
            }
            write(atMost: text.count &* 6) { out in
                for byte in text {
                    if byte < 0x20 {
                        out.text("\\u00")
                        out.hexByte(byte)
                    } else {
                        if byte == 0x22 || byte == 0x5C { out.byte(0x5C) }
                        out.byte(byte)
                    }
                }
            }
        }
    }

    /// Whether `text` may hold a byte JSON escapes (checked a word at a time).
    static func mayNeedEscaping(_ text: UnsafeRawBufferPointer) -> Bool {
        guard let base = text.baseAddress else { return false }
        guard text.count >= 8 else { return text.contains { $0 == 0x22 || $0 == 0x5C || $0 < 0x20 } }
        var i = 0
        while i &+ 8 < text.count {
            if mayNeedEscaping(base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) { return true }
            i &+= 8
        }
        return mayNeedEscaping(base.loadUnaligned(fromByteOffset: text.count &- 8, as: UInt64.self))
    }

    /// Whether any of the eight bytes in `word` is a quote, a backslash or below 0x20 (may report
    /// a false positive for bytes >= 0x80, which only costs a byte-wise look).
    @inline(__always)
    static func mayNeedEscaping(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        func hasZeroByte(_ x: UInt64) -> Bool { (x &- ones) & ~x & highs != 0 }
        let below0x20 = (word &- ones &* 0x20) & ~word & highs != 0
        return below0x20 || hasZeroByte(word ^ (ones &* 0x22)) || hasZeroByte(word ^ (ones &* 0x5C))
    }
}

/// The decimal text of one second, kept by a report between lines (see `UncheckedWriter.time`).
struct SecondsText {
    var seconds: Int64 = 0
    var head: UInt64 = 0
    var tail: UInt64 = 0
    var length = 0
}

/// Writes into room a `TextBuffer` has reserved (`TextBuffer.write(atMost:)`), with no capacity
/// check per write: each method's comment or `…Most` constant names the most bytes it writes.
struct UncheckedWriter {
    private let base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0

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

    /// At most `decimalMost` bytes.
    @inline(__always)
    mutating func decimal<T: BinaryInteger>(_ value: T) {
        if value < 0 {
            byte(0x2D)
            unsigned(UInt64(truncatingIfNeeded: 0 &- Int64(value)))
        } else {
            unsigned(UInt64(value))
        }
    }

    /// At most 20 bytes.
    @inline(__always)
    mutating func unsigned(_ value: UInt64) {
        if value < 10 {
            byte(0x30 &+ UInt8(truncatingIfNeeded: value))
            return
        }
        var width = 2
        var limit: UInt64 = 100
        while width < 20, value >= limit {
            width &+= 1
            limit = limit &* 10
        }
        digits(value, width: width)
    }

    /// "00" to "99": digits are written two at a time.
    private static let digitPairs: StaticString =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    /// The lowest `width` (1…20) decimal digits of `value`, zero-padded, written from the last one
    /// backwards: four per 64-bit division (the slow step), the two pairs split by a multiply.
    mutating func digits(_ value: UInt64, width: Int) {
        let out = UnsafeMutableRawPointer(base + count)
        let pairs = UnsafeRawPointer(Self.digitPairs.utf8Start)
        var v = value
        var i = width
        while i >= 4 {
            let (quotient, four) = v.quotientAndRemainder(dividingBy: 10_000)
            let high = (four &* 5243) >> 19  // four / 100, exact below 43 699
            i &-= 4
            Self.pair(high, pairs, out + i)
            Self.pair(four &- high &* 100, pairs, out + (i &+ 2))
            v = quotient
        }
        if i >= 2 {
            let (quotient, pair) = v.quotientAndRemainder(dividingBy: 100)
            i &-= 2
            Self.pair(pair, pairs, out + i)
            v = quotient
        }
        if i == 1 { out.storeBytes(of: 0x30 &+ UInt8(truncatingIfNeeded: v % 10), as: UInt8.self) }
        count &+= width
    }

    /// Copies the two digits of `value` (0…99) from `digitPairs` to `out`.
    @inline(__always)
    private static func pair(_ value: UInt64, _ pairs: UnsafeRawPointer, _ out: UnsafeMutableRawPointer) {
        out.storeBytes(
            of: pairs.loadUnaligned(fromByteOffset: Int(truncatingIfNeeded: value) &* 2, as: UInt16.self),
            as: UInt16.self
        )
    }

    /// "0x" and `digits` (clamped to 1…16) lowercase hex digits: at most `hexMost` bytes.
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

    /// Seconds and nanoseconds as `1700000000.123456789`: at most `timeMost` bytes.
    mutating func time(_ time: Timestamp) {
        let ns = time.nanoseconds
        let seconds = ns >= 0 ? ns / 1_000_000_000 : (ns &- 999_999_999) / 1_000_000_000
        decimal(seconds)
        byte(0x2E)
        digits(UInt64(truncatingIfNeeded: ns &- seconds &* 1_000_000_000), width: 9)
    }

    /// `time(_:)` for timestamps that mostly share their second with the previous one: the seconds'
    /// digits (at most 16 bytes) come from `cache`, formatted only when the second changes.
    mutating func time(_ time: Timestamp, cache: inout SecondsText) {
        let ns = time.nanoseconds
        let seconds = ns >= 0 ? ns / 1_000_000_000 : (ns &- 999_999_999) / 1_000_000_000
        let out = UnsafeMutableRawPointer(base + count)
        if seconds != cache.seconds || cache.length == 0 {
            let start = count
            decimal(seconds)
            let length = count &- start
            guard length <= 16 else {  // a far-off year: not cached
                byte(0x2E)
                digits(UInt64(truncatingIfNeeded: ns &- seconds &* 1_000_000_000), width: 9)
                return
            }
            count = start
            var words: (UInt64, UInt64) = (0, 0)
            withUnsafeMutableBytes(of: &words) {
                $0.copyMemory(from: UnsafeRawBufferPointer(start: out, count: length))
            }
            cache = SecondsText(seconds: seconds, head: words.0, tail: words.1, length: length)
        }
        out.storeBytes(of: cache.head, as: UInt64.self)
        out.storeBytes(of: cache.tail, toByteOffset: 8, as: UInt64.self)
        count &+= cache.length
        byte(0x2E)
        digits(UInt64(truncatingIfNeeded: ns &- seconds &* 1_000_000_000), width: 9)
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

    /// At most `addressMost` bytes.
    mutating func address(_ address: IPAddress) {
        if let v4 = address.v4Value {
            dottedQuad(v4)
        } else {
            ipv6(address)
        }
    }

    /// At most `endpointMost` bytes.
    mutating func endpoint(_ endpoint: Endpoint) {
        if endpoint.address.isIPv6 {
            byte(0x5B)
            address(endpoint.address)
            byte(0x5D)
        } else {
            address(endpoint.address)
        }
        byte(0x3A)
        unsigned(UInt64(endpoint.port))
    }

    /// Each octet is stored as four bytes (digits and a dot) and then counted for what it holds,
    /// so the last store may reach one byte past the 15 the text takes: at most 16 bytes touched.
    private mutating func dottedQuad(_ v4: UInt32) {
        let out = UnsafeMutableRawPointer(base + count)
        var written = 0
        func octet(_ value: UInt32) {
            let entry = Self.octetText[Int(value & 0xFF)]
            out.storeBytes(of: UInt32(truncatingIfNeeded: entry).littleEndian, toByteOffset: written, as: UInt32.self)
            written &+= Int(truncatingIfNeeded: entry >> 32)
        }
        octet(v4 >> 24)
        octet(v4 >> 16)
        octet(v4 >> 8)
        octet(v4)
        count &+= written &- 1  // no dot after the last octet
    }

    /// Per octet value: its decimal digits and a dot in the low four bytes (first byte lowest),
    /// and above them how many of those bytes are text.
    private static let octetText: [UInt64] = (0..<256).map { (value: Int) -> UInt64 in
        let text = Array(String(value).utf8) + [0x2E]
        var word = UInt64(text.count) << 32
        for (i, byte) in text.enumerated() { word |= UInt64(byte) << UInt64(i * 8) }
        return word
    }

    /// RFC 5952 text, the form tshark prints: lowercase groups without leading zeros, the longest
    /// run of two or more zero groups (the first on a tie) as "::", IPv4-mapped with a dotted tail.
    private mutating func ipv6(_ address: IPAddress) {
        func group(_ i: Int) -> UInt64 {
            ((i < 4 ? address.high : address.low) >> UInt64((3 &- (i & 3)) &* 16)) & 0xFFFF
        }
        if address.high == 0, group(4) == 0, group(5) == 0xFFFF {
            text("::ffff:")
            dottedQuad(UInt32(truncatingIfNeeded: address.low))
            return
        }
        var bestStart = -1
        var bestLength = 0
        var runStart = -1
        for i in 0...8 {
            if i < 8, group(i) == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i &- runStart > bestLength { (bestStart, bestLength) = (runStart, i &- runStart) }
                runStart = -1
            }
        }
        if bestLength < 2 { bestStart = -1 }
        var i = 0
        while i < 8 {
            if i == bestStart {
                byte(0x3A)
                byte(0x3A)
                i &+= bestLength
                continue
            }
            if i > 0, i != bestStart &+ bestLength || bestStart < 0 { byte(0x3A) }
            hexGroup(group(i))
            i &+= 1
        }
    }

    private mutating func hexGroup(_ value: UInt64) {
        var shift: UInt64 = 12
        while shift > 0, (value >> shift) & 0xF == 0 { shift &-= 4 }
        while true {
            byte(Self.hexDigit(value >> shift))
            if shift == 0 { break }
            shift &-= 4
        }
    }
}
