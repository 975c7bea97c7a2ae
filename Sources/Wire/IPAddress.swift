/// An IPv4 or IPv6 address as two words, so keys hash and compare without allocating.
/// IPv4 lives in the low 32 bits of `low` with `high == 0`.
public struct IPAddress: Hashable, Sendable, Comparable {
    public let high: UInt64
    public let low: UInt64
    public let isIPv6: Bool

    @inlinable public init(v4 value: UInt32) {
        high = 0
        low = UInt64(value)
        isIPv6 = false
    }

    @inlinable public init(v6High high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
        isIPv6 = true
    }

    public var v4Value: UInt32? { isIPv6 ? nil : UInt32(truncatingIfNeeded: low) }

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        if a.isIPv6 != b.isIPv6 { return !a.isIPv6 }
        return (a.high, a.low) < (b.high, b.low)
    }
}

extension ByteCursor {
    @inlinable public mutating func readIPv4() throws(DecodeError) -> IPAddress {
        IPAddress(v4: try read(UInt32.self))
    }

    @inlinable public mutating func readIPv6() throws(DecodeError) -> IPAddress {
        let high = try read(UInt64.self)
        return IPAddress(v6High: high, low: try read(UInt64.self))
    }
}

extension IPAddress: CustomStringConvertible {
    /// Dotted quad, or RFC 5952 text for IPv6 (the form tshark prints).
    public var description: String {
        guard isIPv6 else {
            // Digits written straight into a small buffer: reports print thousands of these.
            let v = UInt32(truncatingIfNeeded: low)
            return String(unsafeUninitializedCapacity: 15) { buffer in
                var at = 0
                for shift in stride(from: 24, through: 0, by: -8) {
                    let octet = Int((v >> UInt32(shift)) & 0xFF)
                    if octet >= 100 { buffer[at] = UInt8(48 + octet / 100); at += 1 }
                    if octet >= 10 { buffer[at] = UInt8(48 + octet / 10 % 10); at += 1 }
                    buffer[at] = UInt8(48 + octet % 10)
                    at += 1
                    if shift > 0 { buffer[at] = 46; at += 1 }  // "."
                }
                return at
            }
        }
        let groups: [UInt16] = (0..<8).map { i in
            let word = i < 4 ? high : low
            return UInt16(truncatingIfNeeded: word >> (48 - 16 * UInt64(i % 4)))
        }
        // IPv4-mapped addresses keep the dotted tail (RFC 5952 §5).
        if high == 0, groups[4] == 0, groups[5] == 0xFFFF {
            return "::ffff:" + IPAddress(v4: UInt32(truncatingIfNeeded: low)).description
        }
        // The longest run of two or more zero groups becomes "::", the first one on a tie (§4.2).
        var bestStart = -1, bestLength = 0, runStart = -1
        for i in 0...8 {
            if i < 8, groups[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength { (bestStart, bestLength) = (runStart, i - runStart) }
                runStart = -1
            }
        }
        func hex(_ range: Range<Int>) -> String {
            groups[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        guard bestLength >= 2 else { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }
}

extension IPAddress {
    /// Parses dotted-quad IPv4 or textual IPv6 (with "::" and an optional dotted tail).
    public init?(_ text: some StringProtocol) {
        if !text.contains(":") {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4 else { return nil }
            var value: UInt32 = 0
            for part in parts {
                guard let byte = UInt8(part) else { return nil }
                value = value << 8 | UInt32(byte)
            }
            self.init(v4: value)
            return
        }
        let halves = Self.splitOnDoubleColon(Array(text.utf8))
        guard halves.count <= 2 else { return nil }
        func groups(_ s: Substring) -> [UInt16]? {
            if s.isEmpty { return [] }
            var result: [UInt16] = []
            let parts = s.split(separator: ":", omittingEmptySubsequences: false)
            for (i, part) in parts.enumerated() {
                if i == parts.count - 1, part.contains("."), let v4 = IPAddress(part)?.v4Value {
                    result += [UInt16(v4 >> 16), UInt16(v4 & 0xFFFF)]
                } else {
                    guard part.count <= 4, let g = UInt16(part, radix: 16) else { return nil }
                    result.append(g)
                }
            }
            return result
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return nil }
            all += Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        let high = all[0..<4].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        let low = all[4..<8].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        self.init(v6High: high, low: low)
    }

    /// Splits text at each "::" (Foundation-free `components(separatedBy:)`).
    private static func splitOnDoubleColon(_ bytes: [UInt8]) -> [Substring] {
        var parts: [Substring] = []
        var start = 0
        var i = 0
        let text = String(decoding: bytes, as: UTF8.self)
        let characters = Array(text)
        while i < characters.count {
            if characters[i] == ":", i + 1 < characters.count, characters[i + 1] == ":" {
                parts.append(Substring(String(characters[start..<i])))
                i += 2
                start = i
            } else {
                i += 1
            }
        }
        parts.append(Substring(String(characters[start...])))
        return parts
    }
}
