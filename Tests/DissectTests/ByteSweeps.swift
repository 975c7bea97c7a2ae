import Testing
import Wire

/// Truncation and byte-flip sweeps shared by the decoder tests: every cut and every seeded
/// corruption must end in a value or a thrown `DecodeError`, never a crash.
enum ByteSweeps {
    /// Runs `decode` on every prefix shorter than `bytes`; returns how many prefixes decoded.
    static func truncations(_ bytes: [UInt8], _ decode: (inout ByteCursor) throws(DecodeError) -> Void) -> Int {
        var decoded = 0
        for length in 0..<bytes.count {
            bytes.withUnsafeBytes { raw in
                var input = ByteCursor(UnsafeRawBufferPointer(rebasing: raw[..<length]))
                if (try? decode(&input)) != nil { decoded += 1 }
            }
        }
        return decoded
    }

    /// Flips bytes with a fixed-seed generator, `rounds` times; decoding may fail, never trap.
    static func flips(_ bytes: [UInt8], rounds: Int = 2000, _ decode: (inout ByteCursor) throws(DecodeError) -> Void) {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        for _ in 0..<rounds {
            var copy = bytes
            for _ in 0..<(1 + Int(next() % 4)) {
                copy[Int(next() % UInt64(copy.count))] = UInt8(truncatingIfNeeded: next())
            }
            copy.withUnsafeBytes { raw in
                var input = ByteCursor(raw)
                _ = try? decode(&input)
            }
        }
    }
}
