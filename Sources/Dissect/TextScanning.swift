import Wire

/// Helpers for text protocols (SIP, SDP, HTTP request lines) that read through the cursor and
/// return offsets, never Strings.
extension ByteCursor {
    /// Whether the unread bytes start with `prefix` (ASCII; case-insensitive when asked).
    public func hasPrefix(_ prefix: StaticString, caseInsensitive: Bool = false) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard remaining >= count else { return false }
        let expected = UnsafeRawBufferPointer(start: prefix.utf8Start, count: count)
        var wanted = ByteCursor(expected)
        for i in 0..<count {
            guard let have = try? peek(UInt8.self, at: i), let want = try? wanted.read(UInt8.self) else { return false }
            if have == want { continue }
            guard caseInsensitive, asciiLower(have) == asciiLower(want) else { return false }
        }
        return true
    }

    /// Reads one line ending in LF (an optional CR before it is dropped) and returns its range in
    /// this cursor's coordinates, or nil at the end. A last line without LF is returned whole.
    public mutating func readLine() -> Range<Int>? {
        guard remaining > 0 else { return nil }
        let start = offset
        while let byte = try? read(UInt8.self) {
            if byte == 0x0A {
                var end = offset &- 1
                if end > start, (try? ByteCursor(bytes).peek(UInt8.self, at: end &- 1)) == 0x0D { end &-= 1 }
                return start..<end
            }
        }
        return start..<offset
    }

    /// A cursor over `range` of this cursor's view (absolute offsets, as returned by `readLine`).
    public func slice(_ range: Range<Int>) -> ByteCursor? {
        guard range.lowerBound >= 0, range.upperBound <= bytes.count else { return nil }
        return ByteCursor(UnsafeRawBufferPointer(rebasing: bytes[range]))
    }
}

@inlinable func asciiLower(_ byte: UInt8) -> UInt8 { (0x41...0x5A).contains(byte) ? byte | 0x20 : byte }

/// Parses an unsigned decimal number from ASCII digits (nil if empty, not digits, or too large).
func parseDecimal(_ cursor: ByteCursor) -> Int? {
    var input = cursor
    var value = 0
    var digits = 0
    while let byte = try? input.read(UInt8.self) {
        guard (0x30...0x39).contains(byte), digits < 18 else { return nil }
        value = value &* 10 &+ Int(byte &- 0x30)
        digits &+= 1
    }
    return digits > 0 ? value : nil
}
