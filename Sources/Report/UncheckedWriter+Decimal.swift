import Wire

/// The decimal text of one second, kept by a report between lines (see `UncheckedWriter.time`).
struct SecondsText {
    var seconds: Int64 = 0
    var head: UInt64 = 0
    var tail: UInt64 = 0
    var length = 0
}

extension UncheckedWriter {
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

    /// At most 20 digits (`decimalMost`), written exactly: no byte past them is touched.
    @inline(__always)
    mutating func unsigned(_ value: UInt64) {
        if value < 100 {
            if value < 10 { byte(0x30 &+ UInt8(truncatingIfNeeded: value)) } else { pair(value) }
        } else if value < 10_000 {
            fixedPoint(value, multiplier: 10_486, fractionBits: 20, pairs: 2, oddDigits: value < 1_000)
        } else if value < 1_000_000 {
            fixedPoint(value, multiplier: 1_717_987, fractionBits: 34, pairs: 3, oddDigits: value < 100_000)
        } else if value < 100_000_000 {
            fixedPoint(value, multiplier: 140_737_489, fractionBits: 47, pairs: 4, oddDigits: value < 10_000_000)
        } else {
            largeUnsigned(value)
        }
    }

    @inline(never)
    private mutating func largeUnsigned(_ value: UInt64) {
        let (high, low) = value.quotientAndRemainder(dividingBy: 100_000_000)
        unsigned(high)  // below 10^12: at most one more round
        eightDigits(low)
    }

    /// `value` (below 10^8) as exactly eight digits.
    @inline(__always)
    private mutating func eightDigits(_ value: UInt64) {
        fixedPoint(value, multiplier: 140_737_489, fractionBits: 47, pairs: 4, oddDigits: false)
    }

    /// The `2 × pairs` digits of `value` (below 100^pairs), without the first when `oddDigits`
    /// says it is a leading zero. `multiplier` is 2^fractionBits / 100^(pairs − 1) rounded up, so
    /// value × multiplier holds the first pair above `fractionBits` and the rest as a binary
    /// fraction, which gives the next pair on each multiplication by 100. The rounding error stays
    /// below the least step of the fraction while 2^fractionBits > 100^(2 × pairs − 1).
    @inline(__always)
    private mutating func fixedPoint(
        _ value: UInt64,
        multiplier: UInt64,
        fractionBits: UInt64,
        pairs: Int,
        oddDigits: Bool
    ) {
        var fixed = value &* multiplier
        let first = fixed >> fractionBits
        if oddDigits { byte(0x30 &+ UInt8(truncatingIfNeeded: first)) } else { pair(first) }
        for _ in 1..<pairs {
            fixed = (fixed & (1 << fractionBits &- 1)) &* 100
            pair(fixed >> fractionBits)
        }
    }

    /// "00" to "99": digits are written two at a time.
    private static let digitPairs: StaticString =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    /// The two digits of `value` (0…99).
    @inline(__always)
    private mutating func pair(_ value: UInt64) {
        let digits = UnsafeRawPointer(Self.digitPairs.utf8Start).loadUnaligned(
            fromByteOffset: Int(truncatingIfNeeded: value) &* 2,
            as: UInt16.self
        )
        UnsafeMutableRawPointer(base + count).storeBytes(of: digits, as: UInt16.self)
        count &+= 2
    }

    /// The lowest `width` (1…20) decimal digits of `value`, zero-padded: exactly `width` bytes.
    mutating func digits(_ value: UInt64, width: Int) {
        let width = Swift.min(Swift.max(width, 1), 20)
        var kept = value
        if width < 20 {
            var power: UInt64 = 1
            for _ in 0..<width { power &*= 10 }
            kept %= power
        }
        var length = 1
        var next: UInt64 = 10
        while length < 20, kept >= next {
            length &+= 1
            next &*= 10
        }
        for _ in length..<width { byte(0x30) }
        unsigned(kept)
    }

    /// Seconds and nanoseconds as `1700000000.123456789`: at most `timeMost` bytes.
    mutating func time(_ time: Timestamp) {
        let ns = time.nanoseconds
        let seconds = ns >= 0 ? ns / 1_000_000_000 : (ns &- 999_999_999) / 1_000_000_000
        decimal(seconds)
        fraction(ns &- seconds &* 1_000_000_000)
    }

    /// `time(_:)` for timestamps that mostly share their second with the previous one: the seconds'
    /// digits (at most 16 bytes) come from `cache`, formatted only when the second changes.
    @inline(__always)
    mutating func time(_ time: Timestamp, cache: inout SecondsText) {
        let ns = time.nanoseconds
        let seconds = ns >= 0 ? ns / 1_000_000_000 : (ns &- 999_999_999) / 1_000_000_000
        if seconds != cache.seconds || cache.length == 0 {
            guard remember(seconds, in: &cache) else { return self.time(time) }
        }
        let out = UnsafeMutableRawPointer(base + count)
        out.storeBytes(of: cache.head, as: UInt64.self)
        out.storeBytes(of: cache.tail, toByteOffset: 8, as: UInt64.self)
        count &+= cache.length
        fraction(ns &- seconds &* 1_000_000_000)
    }

    /// Keeps the text of `seconds` in `cache`, formatted in the room the time goes to; false (and
    /// nothing kept) when it takes more than 16 bytes, a far-off year.
    @inline(never)
    private mutating func remember(_ seconds: Int64, in cache: inout SecondsText) -> Bool {
        let start = count
        decimal(seconds)
        let length = count &- start
        count = start
        guard length <= 16 else { return false }
        var words: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &words) {
            $0.copyMemory(from: UnsafeRawBufferPointer(start: base + start, count: length))
        }
        cache = SecondsText(seconds: seconds, head: words.0, tail: words.1, length: length)
        return true
    }

    /// A dot and the nine digits of `nanoseconds` (0…999 999 999): ten bytes.
    @inline(__always)
    private mutating func fraction(_ nanoseconds: Int64) {
        let (first, rest) = UInt64(truncatingIfNeeded: nanoseconds).quotientAndRemainder(dividingBy: 100_000_000)
        byte(0x2E)
        byte(0x30 &+ UInt8(truncatingIfNeeded: first))
        eightDigits(rest)
    }
}
