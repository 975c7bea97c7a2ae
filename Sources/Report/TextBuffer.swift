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

    public init(capacity: Int = 1 << 16) { storage = Storage(capacity: Swift.max(capacity, 64)) }

    /// The text so far, valid until the next change to the buffer.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: storage.base, count: count))
    }

    public mutating func removeAll() { count = 0 }

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

    @inline(__always)
    public mutating func append(_ text: StaticString) {
        if text.hasPointerRepresentation {
            append(copying: UnsafeRawPointer(text.utf8Start), count: text.utf8CodeUnitCount)
        } else {
            text.withUTF8Buffer { append(raw: UnsafeRawBufferPointer($0)) }
        }
    }

    /// Copies `count` bytes; the short labels and separators of a report line are copied as two
    /// overlapping words rather than through a call to memcpy.
    @inline(__always)
    private mutating func append(copying source: UnsafeRawPointer, count n: Int) {
        let out = UnsafeMutableRawPointer(reserve(n))
        if n >= 8 && n <= 16 {
            let head = source.loadUnaligned(as: UInt64.self)
            let tail = source.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
            out.storeBytes(of: head, as: UInt64.self)
            out.storeBytes(of: tail, toByteOffset: n &- 8, as: UInt64.self)
        } else if n < 8 {
            for i in 0..<n { out.storeBytes(of: source.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self) }
        } else {
            out.copyMemory(from: source, byteCount: n)
        }
        count &+= n
    }

    @inline(__always)
    public mutating func append(byte: UInt8) {
        reserve(1).pointee = byte
        count &+= 1
    }

    public mutating func append(raw: UnsafeRawBufferPointer) {
        guard let source = raw.baseAddress, raw.count > 0 else { return }
        append(copying: source, count: raw.count)
    }

    public mutating func append(_ other: TextBuffer) { other.withBytes { append(raw: $0) } }

    @inline(__always)
    public mutating func append<T: BinaryInteger>(decimal value: T) {
        if value < 0 {
            append(byte: 0x2D)
            append(unsigned: UInt64(truncatingIfNeeded: 0 &- Int64(value)))
        } else {
            append(unsigned: UInt64(value))
        }
    }

    @inline(__always)
    mutating func append(unsigned value: UInt64) {
        if value < 10 {
            append(byte: 0x30 &+ UInt8(truncatingIfNeeded: value))
            return
        }
        var digits = 2
        var limit: UInt64 = 100
        while digits < 20, value >= limit {
            digits &+= 1
            limit = limit &* 10
        }
        writeDigits(value, width: digits)
    }

    /// Zero-padded decimal of exactly `width` digits (fractions of seconds).
    public mutating func append(decimal value: Int, width: Int) {
        writeDigits(UInt64(truncatingIfNeeded: Swift.max(value, 0)), width: Swift.min(Swift.max(width, 1), 20))
    }

    /// "00" to "99": digits are written two at a time.
    private static let digitPairs: StaticString =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    /// The lowest `width` decimal digits of `value`, written from the last one backwards.
    private mutating func writeDigits(_ value: UInt64, width: Int) {
        let out = reserve(width)
        let pairs = Self.digitPairs.utf8Start
        var v = value
        var i = width
        while i >= 2 {
            let (quotient, pair) = v.quotientAndRemainder(dividingBy: 100)
            i &-= 2
            out[i] = pairs[Int(pair) &* 2]
            out[i &+ 1] = pairs[Int(pair) &* 2 &+ 1]
            v = quotient
        }
        if i == 1 { out[0] = 0x30 &+ UInt8(truncatingIfNeeded: v % 10) }
        count &+= width
    }

    public mutating func append(hex value: UInt64, digits: Int) {
        let width = Swift.min(Swift.max(digits, 1), 16)
        let out = reserve(width &+ 2)
        out[0] = 0x30
        out[1] = 0x78
        for i in 0..<width { out[2 &+ i] = Self.hexDigit(value >> UInt64((width &- 1 &- i) &* 4)) }
        count &+= width &+ 2
    }

    @inline(__always)
    static func hexDigit(_ value: UInt64) -> UInt8 {
        let nibble = UInt8(truncatingIfNeeded: value & 0xF)
        return nibble < 10 ? 0x30 &+ nibble : 0x57 &+ nibble
    }

    public mutating func append(_ address: IPAddress) {
        if let v4 = address.v4Value {
            appendDottedQuad(v4)
        } else {
            appendIPv6(address)
        }
    }

    private mutating func appendDottedQuad(_ v4: UInt32) {
        let out = UnsafeMutableRawPointer(reserve(16))
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
    private mutating func appendIPv6(_ address: IPAddress) {
        func group(_ i: Int) -> UInt64 { ((i < 4 ? address.high : address.low) >> UInt64((3 &- (i & 3)) &* 16)) & 0xFFFF }
        if address.high == 0, group(4) == 0, group(5) == 0xFFFF {
            append("::ffff:")
            appendDottedQuad(UInt32(truncatingIfNeeded: address.low))
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
                append(byte: 0x3A)
                append(byte: 0x3A)
                i &+= bestLength
                continue
            }
            if i > 0, i != bestStart &+ bestLength || bestStart < 0 { append(byte: 0x3A) }
            appendHexGroup(group(i))
            i &+= 1
        }
    }

    private mutating func appendHexGroup(_ value: UInt64) {
        var shift: UInt64 = 12
        while shift > 0, (value >> shift) & 0xF == 0 { shift &-= 4 }
        while true {
            append(byte: Self.hexDigit(value >> shift))
            if shift == 0 { break }
            shift &-= 4
        }
    }

    public mutating func append(_ endpoint: Endpoint) {
        if endpoint.address.isIPv6 {
            append(byte: 0x5B)
            append(endpoint.address)
            append(byte: 0x5D)
        } else {
            append(endpoint.address)
        }
        append(byte: 0x3A)
        append(unsigned: UInt64(endpoint.port))
    }

    /// Seconds and nanoseconds as `1700000000.123456789`.
    public mutating func append(time: Timestamp) {
        let ns = time.nanoseconds
        let seconds = ns >= 0 ? ns / 1_000_000_000 : (ns &- 999_999_999) / 1_000_000_000
        append(decimal: seconds)
        append(byte: 0x2E)
        append(decimal: Int(ns &- seconds &* 1_000_000_000), width: 9)
    }

    /// Text from the wire (USERNAME, SNI, Call-ID) made safe for one report line: printable ASCII
    /// kept, anything else written as `\xNN`, at most `limit` bytes.
    public mutating func append(untrusted raw: UnsafeRawBufferPointer, limit: Int = 128) {
        var input = ByteCursor(raw)
        var written = 0
        while written < limit, let byte = try? input.read(UInt8.self) {
            written &+= 1
            if (0x20...0x7E).contains(byte) {
                append(byte: byte)
            } else {
                append("\\x")
                append(hexByte: byte)
            }
        }
        if input.remaining > 0 { append("...") }
    }

    mutating func append(hexByte byte: UInt8) {
        let out = reserve(2)
        out[0] = Self.hexDigit(UInt64(byte >> 4))
        out[1] = Self.hexDigit(UInt64(byte))
        count &+= 2
    }

    /// Copies `other` as the inside of a JSON string: quotes, backslashes and control bytes escaped.
    /// Eight bytes are checked at a time (a report line rarely holds anything to escape).
    public mutating func append(jsonEscaping other: TextBuffer) {
        other.withBytes { text in
            guard let base = text.baseAddress else { return }
            var plainStart = 0
            var i = 0
            while i < text.count {
                if i &+ 8 <= text.count, !Self.mayNeedEscaping(base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) {
                    i &+= 8
                    continue
                }
                let end = Swift.min(i &+ 8, text.count)
                while i < end {
                    let byte = text[i]
                    if byte == 0x22 || byte == 0x5C || byte < 0x20 {
                        append(raw: UnsafeRawBufferPointer(rebasing: text[plainStart..<i]))
                        if byte < 0x20 {
                            append("\\u00")
                            append(hexByte: byte)
                        } else {
                            append(byte: 0x5C)
                            append(byte: byte)
                        }
                        plainStart = i &+ 1
                    }
                    i &+= 1
                }
            }
            append(raw: UnsafeRawBufferPointer(rebasing: text[plainStart...]))
        }
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
