import Dissect
import Testing
import Wire

/// What FrameDecoder reports for one frame, copied out of the callback.
struct Seen: Equatable {
    var transport: Transport
    var source: String
    var destination: String
    var payloadCount: Int
    var depth: Int
}

func decode(_ frames: [[UInt8]], link: LinkLayer = .ethernet) -> ([Seen], DecodeCounters) {
    var decoder = FrameDecoder(link: link)
    var seen: [Seen] = []
    for frame in frames {
        frame.withUnsafeBytes { bytes in
            decoder.decode(bytes, at: Timestamp(nanoseconds: 0)) { segment in
                seen.append(
                    Seen(
                        transport: segment.transport,
                        source: "\(segment.source)",
                        destination: "\(segment.destination)",
                        payloadCount: segment.payload.count,
                        depth: segment.tunnelDepth
                    )
                )
            }
        }
    }
    return (seen, decoder.counters)
}

@Suite struct FrameDecoderTests {
    typealias B = FrameBuilder
    static let a: UInt32 = 0xC0A8_B25B  // 192.168.178.91
    static let b: UInt32 = 0xCB00_7101  // 203.0.113.1

    static let plainUDP = B.ethernet(0x0800, B.ipv4(a, b, protocol: 17, B.udp(50012, 3478, [1, 2, 3, 4])))

    @Test func ethernetIPv4UDP() {
        let (seen, counters) = decode([Self.plainUDP])
        #expect(
            seen == [
                Seen(
                    transport: .udp,
                    source: "192.168.178.91:50012",
                    destination: "203.0.113.1:3478",
                    payloadCount: 4,
                    depth: 0
                )
            ]
        )
        #expect(counters.ipv4 == 1 && counters.udp == 1 && counters.malformed == 0)
    }

    @Test func ethernetPaddingIsNotPayload() {
        // Short frames are padded to 60 bytes on the wire; the IP total length ends the packet.
        let (seen, _) = decode([Self.plainUDP + [UInt8](repeating: 0, count: 18)])
        #expect(seen.first?.payloadCount == 4)
    }

    @Test func vlanAndQinQTagsAreWalked() {
        let inner = B.ipv4(Self.a, Self.b, protocol: 17, B.udp(1, 2, []))
        let (seen, _) = decode([
            B.ethernet(0x0800, tags: [(0x8100, 100)], inner),
            B.ethernet(0x0800, tags: [(0x88A8, 10), (0x8100, 20)], inner),
            B.ethernet(0x0800, tags: [(0x9100, 10), (0x8100, 20)], inner),
        ])
        #expect(seen.count == 3)
    }

    @Test func endlessVLANTagsAreMalformed() {
        let tags = [(Int, Int)](repeating: (0x8100, 1), count: 20)
        let (seen, counters) = decode([B.ethernet(0x0800, tags: tags, [])])
        #expect(seen.isEmpty && counters.malformed == 1)
    }

    @Test func linkHeadersCutShortAreMalformed() {
        let tagged = B.ethernet(0x0800, tags: [(0x8100, 7)], B.ipv4(Self.a, Self.b, protocol: 17, B.udp(1, 2, [])))
        // Inside the addresses and EtherType (14 bytes), then inside the tag (4 more).
        for length in [0, 6, 12, 13, 14, 15, 17] {
            let (seen, counters) = decode([Array(tagged[..<length])])
            #expect(seen.isEmpty && counters.malformed == 1 && counters.nonIP == 0, "cut at \(length)")
        }
    }

    /// `packets` copies every segment into its batch: within 128 bytes that is a few vector moves,
    /// past it a call to `memcpy` (see the field order in TransportSegment).
    @Test func transportSegmentFitsInACopyWithoutMemcpy() {
        #expect(MemoryLayout<TransportSegment>.size <= 128)
    }

    @Test func ipv4OptionsAreSkipped() {
        let options: [UInt8] = [0x94, 0x04, 0x00, 0x00]  // Router Alert (RFC 2113)
        let (seen, _) = decode([
            B.ethernet(0x0800, B.ipv4(Self.a, Self.b, protocol: 17, B.udp(5, 6, [9]), options: options))
        ])
        #expect(seen.first?.source == "192.168.178.91:5")
        #expect(seen.first?.payloadCount == 1)
    }

    @Test func ipv6ExtensionChainIsWalked() {
        // Hop-by-hop (8 bytes, PadN) then destination options (8 bytes) then UDP.
        let hopByHop: [UInt8] = [60, 0, 1, 4, 0, 0, 0, 0]
        let destination: [UInt8] = [17, 0, 1, 4, 0, 0, 0, 0]
        let packet = B.ipv6(B.v6a, B.v6b, next: 0, hopByHop + destination + B.udp(443, 50000, [7, 7]))
        let (seen, counters) = decode([B.ethernet(0x86DD, packet)])
        #expect(
            seen == [
                Seen(
                    transport: .udp,
                    source: "[2001:db8::1]:443",
                    destination: "[2001:db8::2]:50000",
                    payloadCount: 2,
                    depth: 0
                )
            ]
        )
        #expect(counters.ipv6 == 1)
    }

    @Test func ipv4FragmentsCountOnceOnTheCompletingFrame() {
        let udp = B.udp(4000, 5000, [UInt8](repeating: 0xAB, count: 40))  // 48 bytes
        let first = B.ipv4(Self.a, Self.b, protocol: 17, Array(udp[0..<24]), id: 77, moreFragments: true)
        let last = B.ipv4(Self.a, Self.b, protocol: 17, Array(udp[24...]), id: 77, fragmentOffset: 24)
        var (seen, counters) = decode([B.ethernet(0x0800, first)])
        #expect(seen.isEmpty)
        (seen, counters) = decode([B.ethernet(0x0800, first), B.ethernet(0x0800, last)])
        #expect(seen.map(\.source) == ["192.168.178.91:4000"])
        #expect(counters.ipFragments == 2)
        // Out of order: the last fragment first, the first one completes the datagram.
        (seen, _) = decode([B.ethernet(0x0800, last), B.ethernet(0x0800, first)])
        #expect(seen.map(\.destination) == ["203.0.113.1:5000"])
    }

    @Test func greWithPPPCarriesTheInnerPacket() {
        // Enhanced GRE (RFC 2637): flags K+S, version 1, protocol 0x880B, then PPP FF 03 0021 and IPv4.
        let inner = B.ipv4(0x0A00_0001, 0x0A00_0002, protocol: 17, B.udp(5060, 5060, [1]))
        let gre: [UInt8] =
            [0x30, 0x01, 0x88, 0x0B] + B.be16(inner.count + 4) + [0, 1] + B.be32(9)
            + [0xFF, 0x03, 0x00, 0x21] + inner
        let (seen, counters) = decode([B.ethernet(0x0800, B.ipv4(Self.a, Self.b, protocol: 47, gre))])
        #expect(seen.map(\.source) == ["10.0.0.1:5060"])
        #expect(seen.first?.depth == 1)
        #expect(counters.tunnelled == 1)
    }

    @Test func teredoCountsOuterAndInner() {
        // RFC 4380 §5.1.1: origin indication (0x0000, port, address) then the IPv6 packet.
        let inner = B.ipv6(B.v6a, B.v6b, next: 17, B.udp(1000, 2000, [1, 2]))
        let teredo: [UInt8] = [0, 0, 0xAB, 0xCD, 1, 2, 3, 4] + inner
        let (seen, _) = decode([B.ethernet(0x0800, B.ipv4(Self.a, Self.b, protocol: 17, B.udp(3544, 51000, teredo)))])
        #expect(seen.map(\.source) == ["192.168.178.91:3544", "[2001:db8::1]:1000"])
        #expect(seen.map(\.depth) == [0, 1])
    }

    @Test func brokenInnerPacketKeepsTheOuterOne() {
        let teredo: [UInt8] = [0x60, 0, 0, 0, 0, 50]  // an IPv6 header cut short
        let (seen, counters) = decode([
            B.ethernet(0x0800, B.ipv4(Self.a, Self.b, protocol: 17, B.udp(3544, 3544, teredo)))
        ])
        #expect(seen.count == 1)
        #expect(counters.malformed == 0)
    }

    @Test func icmpErrorQuotesAreNotTraffic() {
        let quoted = B.ipv4(Self.b, Self.a, protocol: 17, B.udp(3478, 50012, []))
        let icmp: [UInt8] = [3, 3, 0, 0, 0, 0, 0, 0] + quoted  // destination unreachable, port unreachable
        let (seen, counters) = decode([B.ethernet(0x0800, B.ipv4(Self.a, Self.b, protocol: 1, icmp))])
        #expect(seen.isEmpty)
        #expect(counters.icmp == 1)
    }

    @Test func tcpHeaderWithBadDataOffsetIsMalformed() {
        var tcp = B.tcp(443, 50000, seq: 1, flags: 0x18, [1, 2, 3])
        tcp[12] = 0x40  // data offset 4 words < 5
        let (seen, counters) = decode([B.ethernet(0x0800, B.ipv4(Self.a, Self.b, protocol: 6, tcp))])
        #expect(seen.isEmpty && counters.malformed == 1)
    }

    @Test func udpLengthBelowEightIsMalformed() {
        let (seen, counters) = decode([
            B.ethernet(0x0800, B.ipv4(Self.a, Self.b, protocol: 17, B.udp(1, 2, [], length: 5)))
        ])
        #expect(seen.isEmpty && counters.malformed == 1)
    }

    @Test func nonIPFramesAreCounted() {
        let (seen, counters) = decode([B.ethernet(0x0806, [UInt8](repeating: 0, count: 28))])  // ARP
        #expect(seen.isEmpty && counters.nonIP == 1 && counters.malformed == 0)
    }

    /// tcpdump's "try several snaplens", made exhaustive: every cut of every frame is either
    /// decoded or counted malformed, never a crash, and no cut yields a wrong endpoint.
    @Test func everyTruncationIsSafe() {
        let frames = [
            Self.plainUDP,
            B.ethernet(0x86DD, B.ipv6(B.v6a, B.v6b, next: 6, B.tcp(443, 50000, seq: 9, flags: 0x02))),
            B.ethernet(
                0x0800,
                tags: [(0x88A8, 1), (0x8100, 2)],
                B.ipv4(Self.a, Self.b, protocol: 17, B.udp(1, 2, [3]))
            ),
        ]
        for frame in frames {
            for length in 0..<frame.count {
                let (seen, counters) = decode([Array(frame[..<length])])
                #expect(counters.frames == 1)
                #expect(seen.count + counters.malformed + counters.nonIP <= 1)
                for s in seen {
                    #expect(s.source.hasSuffix(":1") || s.source.hasSuffix(":50012") || s.source.hasSuffix(":443"))
                }
            }
        }
    }

    /// Seeded byte flips over valid frames: any outcome but a crash is fine.
    @Test func randomByteFlipsNeverCrash() {
        var generator = SplitMix64(seed: 0x5EED)
        let frames = [
            Self.plainUDP,
            B.ethernet(0x86DD, B.ipv6(B.v6a, B.v6b, next: 0, [17, 0, 1, 4, 0, 0, 0, 0] + B.udp(1, 2, [1]))),
        ]
        var decoded = 0
        for _ in 0..<5000 {
            var frame = frames[Int(generator.next() % 2)]
            for _ in 0..<3 {
                frame[Int(generator.next() % UInt64(frame.count))] = UInt8(truncatingIfNeeded: generator.next())
            }
            decoded += decode([frame]).1.frames
        }
        #expect(decoded == 5000)
    }
}

/// A tiny deterministic generator so fuzz-style tests repeat exactly.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
