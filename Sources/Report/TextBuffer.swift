import Wire

/// A growable byte buffer for report text, written without making Strings per value: numbers,
/// addresses and static text go straight in, so `packets` allocates nothing per packet once the
/// buffer has grown.
public struct TextBuffer {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 1 << 16) { bytes.reserveCapacity(capacity) }

    public var count: Int { bytes.count }
    public mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    public mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    public mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    public mutating func append(byte: UInt8) { bytes.append(byte) }

    public mutating func append(raw: UnsafeRawBufferPointer) { bytes.append(contentsOf: raw) }

    public mutating func append(_ other: TextBuffer) { bytes.append(contentsOf: other.bytes) }

    public mutating func append<T: BinaryInteger>(decimal value: T) {
        if value < 0 {
            bytes.append(0x2D)
            append(unsigned: UInt64(truncatingIfNeeded: 0 &- Int64(value)))
        } else {
            append(unsigned: UInt64(value))
        }
    }

    mutating func append(unsigned value: UInt64) {
        var digits: (UInt64, UInt64) = (0, 0)  // up to 20 digits, stored backwards
        var v = value
        var n = 0
        repeat {
            let d = UInt64(v % 10)
            if n < 16 { digits.0 |= d << UInt64(n &* 4) } else { digits.1 |= d << UInt64((n &- 16) &* 4) }
            v /= 10
            n &+= 1
        } while v > 0
        while n > 0 {
            n &-= 1
            let d = n < 16 ? digits.0 >> UInt64(n &* 4) : digits.1 >> UInt64((n &- 16) &* 4)
            bytes.append(0x30 &+ UInt8(truncatingIfNeeded: d & 0xF))
        }
    }

    /// Zero-padded decimal of exactly `width` digits (fractions of seconds).
    public mutating func append(decimal value: Int, width: Int) {
        var divisor = 1
        for _ in 1..<width { divisor &*= 10 }
        var v = value
        while divisor > 0 {
            bytes.append(0x30 &+ UInt8(truncatingIfNeeded: (v / divisor) % 10))
            v %= divisor
            divisor /= 10
        }
    }

    public mutating func append(hex value: UInt64, digits: Int) {
        append("0x")
        var shift = (digits &- 1) &* 4
        while shift >= 0 {
            let nibble = UInt8(truncatingIfNeeded: (value >> UInt64(shift)) & 0xF)
            bytes.append(nibble < 10 ? 0x30 &+ nibble : 0x57 &+ nibble)
            shift &-= 4
        }
    }

    public mutating func append(_ address: IPAddress) {
        if let v4 = address.v4Value {
            append(decimal: v4 >> 24)
            bytes.append(0x2E)
            append(decimal: (v4 >> 16) & 0xFF)
            bytes.append(0x2E)
            append(decimal: (v4 >> 8) & 0xFF)
            bytes.append(0x2E)
            append(decimal: v4 & 0xFF)
        } else {
            append(address.description)  // IPv6 text is rarer; RFC 5952 form from Wire
        }
    }

    public mutating func append(_ endpoint: Endpoint) {
        if endpoint.address.isIPv6 {
            bytes.append(0x5B)
            append(endpoint.address)
            bytes.append(0x5D)
        } else {
            append(endpoint.address)
        }
        bytes.append(0x3A)
        append(decimal: endpoint.port)
    }

    /// Seconds and nanoseconds as `1700000000.123456789`.
    public mutating func append(time: Timestamp) {
        let ns = time.nanoseconds
        let seconds = ns >= 0 ? ns / 1_000_000_000 : (ns &- 999_999_999) / 1_000_000_000
        append(decimal: seconds)
        bytes.append(0x2E)
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
                bytes.append(byte)
            } else {
                append("\\x")
                append(hexByte: byte)
            }
        }
        if input.remaining > 0 { append("...") }
    }

    mutating func append(hexByte byte: UInt8) {
        let high = byte >> 4
        let low = byte & 0xF
        bytes.append(high < 10 ? 0x30 &+ high : 0x57 &+ high)
        bytes.append(low < 10 ? 0x30 &+ low : 0x57 &+ low)
    }

    /// Copies `other` as the inside of a JSON string: quotes, backslashes and control bytes escaped.
    public mutating func append(jsonEscaping other: TextBuffer) {
        for byte in other.bytes {
            switch byte {
            case 0x22, 0x5C:
                bytes.append(0x5C)
                bytes.append(byte)
            case 0..<0x20:
                append("\\u00")
                append(hexByte: byte)
            default: bytes.append(byte)
            }
        }
    }
}
