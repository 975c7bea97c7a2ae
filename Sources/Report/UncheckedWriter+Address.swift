import Wire

extension UncheckedWriter {
    /// At most `addressMost` bytes.
    mutating func address(_ address: IPAddress) {
        if let v4 = address.v4Value {
            Self.octetText.withUnsafeBufferPointer { dottedQuad(v4, octets: $0) }
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

    /// Each octet is stored as four bytes (digits and a dot) from `octets` (`octetText`, 256
    /// entries) and then counted for what it holds, so the last store may reach one byte past the
    /// 15 the text takes: at most 16 bytes touched.
    @inline(__always)
    mutating func dottedQuad(_ v4: UInt32, octets: UnsafeBufferPointer<UInt64>) {
        let out = UnsafeMutableRawPointer(base + count)
        var written = 0
        func octet(_ value: UInt32) {
            let entry = octets[Int(value & 0xFF)]
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
    static let octetText: [UInt64] = (0..<256).map { (value: Int) -> UInt64 in
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
            Self.octetText.withUnsafeBufferPointer { dottedQuad(UInt32(truncatingIfNeeded: address.low), octets: $0) }
            return
        }
        // Bit i is set when group i is zero. Each `runs &= runs >> 1` keeps the bits that start a
        // run one longer; the last bits standing start the longest runs, the lowest one first.
        var zeros: UInt64 = 0
        for i in 0..<8 where group(i) == 0 { zeros |= 1 &<< UInt64(i) }
        var runs = zeros
        var runLength = 0
        while runs & runs &>> 1 != 0 {
            runs &= runs &>> 1
            runLength &+= 1
        }
        // No "::" unless two or more groups are zero: then both ends lie past the last group.
        let runStart = runLength > 0 ? runs.trailingZeroBitCount : 8
        let runEnd = runStart &+ runLength &+ 1
        var i = 0
        while i < 8 {
            if i == runStart {
                text("::")
                i = runEnd
                continue
            }
            if i > 0, i != runEnd { byte(0x3A) }
            hexGroup(group(i))
            i &+= 1
        }
    }

    /// The hex digits of a group (below 0x10000) without leading zeros: stores four bytes, counts
    /// one to four of them.
    @inline(__always)
    private mutating func hexGroup(_ value: UInt64) {
        let group = UInt16(truncatingIfNeeded: value)
        let shown = Swift.max(1, (19 &- group.leadingZeroBitCount) >> 2)
        // The word's last four digits are the group's, the first of them in byte 4.
        let digits = Self.hexWord(UInt32(group)) >> UInt64(32 &+ (4 &- shown) &* 8)
        UnsafeMutableRawPointer(base + count).storeBytes(
            of: UInt32(truncatingIfNeeded: digits).littleEndian,
            as: UInt32.self
        )
        count &+= shown
    }
}
