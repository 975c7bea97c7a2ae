/// Why a decoder gave up on a packet. `StaticString` reasons keep throwing allocation-free.
public enum DecodeError: Error, Sendable, Equatable {
    /// The bytes ended `wanted` bytes too early at offset `at` (often a snaplen cut).
    case truncated(at: Int, wanted: Int)
    /// A field held a value the format does not allow.
    case malformed(at: Int, reason: StaticString)

    public static func == (lhs: DecodeError, rhs: DecodeError) -> Bool {
        switch (lhs, rhs) {
        case let (.truncated(a, b), .truncated(c, d)): return a == c && b == d
        case let (.malformed(a, r), .malformed(b, s)): return a == b && r.description == s.description
        default: return false
        }
    }
}
