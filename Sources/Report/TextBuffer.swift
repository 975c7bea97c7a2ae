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
    /// Where the column being written starts (`startColumn`): a line's info text, written in place
    /// piece by piece, separated and escaped as a whole.
    private var columnStart = 0
    /// Whether bytes from outside the program (wire text, another buffer) were written since the
    /// column started. In a column of plain-text labels, numbers and addresses (an info column)
    /// only those can hold a quote, a backslash or a control byte, so only then does
    /// `escapeColumnForJSON` look for them.
    private var columnHoldsForeignText = false

    public init(capacity: Int = 1 << 16) { storage = Storage(capacity: Swift.max(capacity, 64)) }

    /// The text so far, valid until the next change to the buffer.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: storage.base, count: count))
    }

    public mutating func removeAll() {
        count = 0
        columnStart = 0
        columnHoldsForeignText = false
    }

    /// Drops what was written after the first `count` bytes.
    public mutating func truncate(to count: Int) {
        self.count = Swift.min(Swift.max(count, 0), self.count)
        columnStart = Swift.min(columnStart, self.count)
    }

    /// Starts a column at the end of the text.
    public mutating func startColumn() {
        columnStart = count
        columnHoldsForeignText = false
    }

    /// Whether nothing was written since `startColumn`.
    public var columnIsEmpty: Bool { count == columnStart }

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
    /// through an unchecked writer (each writer method names the most bytes it touches, so the
    /// caller sums those limits into `most`).
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
        columnHoldsForeignText = true
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

    @inline(__always)
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
        columnHoldsForeignText = true
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

    /// Makes the column the inside of a JSON string, in place: quotes, backslashes and control
    /// bytes escaped (at most six bytes each, `\\u00NN`). Only foreign text can need it and rarely
    /// does, so such a column is first checked eight bytes at a time and mostly left as it is.
    public mutating func escapeColumnForJSON() {
        guard columnHoldsForeignText else { return }
        let start = columnStart
        guard Self.mayNeedEscaping(UnsafeRawBufferPointer(start: storage.base + start, count: count &- start)) else {
            return
        }
        var added = 0
        for i in start..<count {
            let byte = storage.base[i]
            if byte < 0x20 { added &+= 5 } else if byte == 0x22 || byte == 0x5C { added &+= 1 }
        }
        guard added > 0 else { return }
        _ = reserve(added)
        // From the last byte back: each byte moves right by the escapes before it, so no byte is
        // overwritten before it is read.
        let text = storage.base
        var from = count
        var to = count &+ added
        while from > start {
            from &-= 1
            let byte = text[from]
            if byte < 0x20 {
                to &-= 6
                var escape = UncheckedWriter(text + to)
                escape.text("\\u00")
                escape.hexByte(byte)
            } else if byte == 0x22 || byte == 0x5C {
                to &-= 2
                text[to] = 0x5C
                text[to &+ 1] = byte
            } else {
                to &-= 1
                text[to] = byte
            }
        }
        count &+= added
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
