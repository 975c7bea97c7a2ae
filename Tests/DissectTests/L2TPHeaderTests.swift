import Dissect
import Testing
import Wire

/// The L2TPv2 header after RFC 2661 §3.1: control messages "MUST" set L and S; one that does not
/// is still L2TP (as tshark shows it), flagged so the analyzer marks it malformed.
@Suite struct L2TPHeaderTests {
    @Test func aControlMessageWithLengthAndSequenceIsWellFormed() throws {
        // 0xC802: T, L, S, version 2; length 12, tunnel 7, session 0, Ns 0, Nr 0.
        let bytes: [UInt8] = [0xC8, 0x02, 0x00, 0x0C, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]
        let (header, remaining) = try Self.header(bytes)
        #expect(header.isControl && !header.lacksControlBits && header.tunnelID == 7)
        #expect(header.length == 12 && remaining == 0)
    }

    @Test func aControlMessageWithoutTheSequenceBitIsL2TPButLacksControlBits() throws {
        // 0xF002 as in tcpdump's l2tp-avp-overflow.pcap: T, L and two reserved bits, S clear.
        let bytes: [UInt8] = [0xF0, 0x02, 0x02, 0x02, 0x02, 0x30, 0x08, 0x08]
        let (header, _) = try Self.header(bytes)
        #expect(header.isControl && header.lacksControlBits)
        #expect(header.tunnelID == 0x0230 && header.sessionID == 0x0808)
    }

    @Test func anotherVersionIsNotL2TPv2() {
        let bytes: [UInt8] = [0xC8, 0x03, 0x00, 0x0C, 0x00, 0x07, 0x00, 0x00]
        #expect(throws: DecodeError.malformed(at: 0, reason: "L2TP version")) { try Self.header(bytes) }
        #expect(bytes.withUnsafeBytes { L2TPHeader.version(of: $0) } == 3)
        // The malformed set's flip: version 2 → 10 in a data message.
        let flipped: [UInt8] = [0x40, 0x0A, 0x00, 0xD4, 0x5E, 0x4E, 0x0D, 0x02, 0xFF, 0x03, 0x00, 0x21]
        #expect(throws: DecodeError.malformed(at: 0, reason: "L2TP version")) { try Self.header(flipped) }
        #expect(flipped.withUnsafeBytes { L2TPHeader.version(of: $0) } == 10)
        #expect([UInt8]([0x40]).withUnsafeBytes { L2TPHeader.version(of: $0) } == nil)
    }

    static func header(_ bytes: [UInt8]) throws -> (header: L2TPHeader, remaining: Int) {
        try bytes.withUnsafeBytes { raw in
            var input = ByteCursor(raw)
            let header = try L2TPHeader(parsing: &input)
            return (header, input.remaining)
        }
    }

    /// A data message's header ends where its PPP frame starts: after the optional length,
    /// the ids, the optional Ns/Nr and the optional offset padding (RFC 2661 §3.1).
    @Test func parsingStopsAtThePayload() throws {
        let ppp: [UInt8] = [0xFF, 0x03, 0xC0, 0x21]
        // 0x4002: L, version 2; length 10, tunnel 0x5E4E, session 0x0D02.
        let withLength = try Self.header([0x40, 0x02, 0x00, 0x0A, 0x5E, 0x4E, 0x0D, 0x02] + ppp)
        #expect(withLength.header.length == 10 && withLength.header.tunnelID == 0x5E4E && withLength.remaining == 4)
        // 0x0802: S; Ns 1, Nr 2.
        let withSequence = try Self.header([0x08, 0x02, 0x5E, 0x4E, 0x0D, 0x02, 0, 1, 0, 2] + ppp)
        #expect(withSequence.header.length == nil && withSequence.remaining == 4)
        // 0x0202: O; offset size 3, three bytes of padding.
        let withOffset = try Self.header([0x02, 0x02, 0x5E, 0x4E, 0x0D, 0x02, 0, 3, 0, 0, 0] + ppp)
        #expect(withOffset.remaining == 4)
        // Cut 3 bytes in (the malformed set's truncation): inside the length field.
        #expect(throws: DecodeError.truncated(at: 2, wanted: 2)) { try Self.header([0x40, 0x02, 0x00]) }
        // Offset padding past the end.
        #expect(throws: DecodeError.self) { try Self.header([0x02, 0x02, 0x5E, 0x4E, 0x0D, 0x02, 0x01, 0x00] + ppp) }
    }

    typealias B = FrameBuilder

    /// An L2TP message between 192.168.50.2:1701 and 203.0.113.20:1701, decoded by FrameDecoder:
    /// whether the frame counted malformed, its layer trail and the transport headers visited.
    static func decodeL2TP(_ message: [UInt8]) -> (malformed: Bool, trail: String, segments: Int) {
        let frame = B.ethernet(0x0800, B.ipv4(0xC0A8_3202, 0xCB00_7114, protocol: 17, B.udp(1701, 1701, message)))
        var decoder = FrameDecoder(link: .ethernet)
        var segments = 0
        frame.withUnsafeBytes { decoder.decode($0, at: Timestamp(nanoseconds: 0)) { _ in segments += 1 } }
        let names = (0..<decoder.trail.count).map { "\(decoder.trail[$0].text)" }
        return (decoder.counters.malformed > 0, names.joined(separator: ":"), segments)
    }

    /// A data message (0x4002: L, version 2) with its Length field, tunnel 0x5E4E, session 0x0D02.
    static func dataMessage(_ ppp: [UInt8], length: Int? = nil) -> [UInt8] {
        [0x40, 0x02] + B.be16(length ?? 8 + ppp.count) + [0x5E, 0x4E, 0x0D, 0x02] + ppp
    }

    static let media = [UInt8](repeating: 7, count: 172)
    /// The media packet inside: 10.31.0.1:40002 → 10.31.0.2:40000.
    static let innerIPv4 = B.ipv4(0x0A1F_0001, 0x0A1F_0002, protocol: 17, B.udp(40002, 40000, media))

    @Test func pppInADataMessageIsNamedWhateverItCarries() {
        // LCP Configure-Request (C0 21; code 1, id 1, length 4) as tshark counts it: l2tp:ppp:lcp.
        let lcp = Self.decodeL2TP(Self.dataMessage([0xFF, 0x03, 0xC0, 0x21, 1, 1, 0, 4]))
        #expect(lcp.trail == "eth:ipv4:udp:l2tp:ppp" && !lcp.malformed && lcp.segments == 1)
        let ip = Self.decodeL2TP(Self.dataMessage([0xFF, 0x03, 0x00, 0x21] + Self.innerIPv4))
        #expect(ip.trail == "eth:ipv4:udp:l2tp:ppp:ipv4:udp" && !ip.malformed && ip.segments == 2)
        // A control message (ZLB: 0xC802, length 12, Ns, Nr) carries no PPP.
        let zlb = Self.decodeL2TP([0xC8, 0x02, 0x00, 0x0C, 0x1A, 0x2B, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01])
        #expect(zlb.trail == "eth:ipv4:udp:l2tp" && !zlb.malformed)
    }

    @Test func aLengthOtherThanTheDatagramIsMalformedAndTheInsideStillDecodes() {
        let ppp: [UInt8] = [0xFF, 0x03, 0x00, 0x21] + Self.innerIPv4
        let pastTheEnd = Self.decodeL2TP(Self.dataMessage(ppp, length: 8 + ppp.count + 22))
        #expect(pastTheEnd.malformed && pastTheEnd.segments == 2)
        #expect(pastTheEnd.trail == "eth:ipv4:udp:l2tp:ppp:ipv4:udp")
        let short = Self.decodeL2TP(Self.dataMessage(ppp, length: 6))
        #expect(short.malformed && short.segments == 2)
        // Without the L bit there is nothing to compare.
        let noLength = Self.decodeL2TP([0x00, 0x02, 0x5E, 0x4E, 0x0D, 0x02] + ppp)
        #expect(!noLength.malformed && noLength.segments == 2)
    }

    @Test func aHeaderThatDoesNotParseIsLeftToTheFlowAnalysis() {
        // Another version, or a header cut short: FrameDecoder follows nothing and counts nothing;
        // PacketAnalyzer, which knows whether the flow is L2TP, marks it.
        let version10: [UInt8] = [0x40, 0x0A, 0x00, 0xD4, 0x5E, 0x4E, 0x0D, 0x02, 0xFF, 0x03, 0x00, 0x21]
        let flipped = Self.decodeL2TP(version10 + Self.innerIPv4)
        #expect(flipped.trail == "eth:ipv4:udp" && !flipped.malformed && flipped.segments == 1)
        let cut = Self.decodeL2TP([0x40, 0x02, 0x00])
        #expect(cut.trail == "eth:ipv4:udp" && !cut.malformed)
    }

    @Test func truncationsAndFlipsNeverCrash() {
        let message = Self.dataMessage([0xFF, 0x03, 0x00, 0x21] + Self.innerIPv4)
        _ = ByteSweeps.truncations(message) { (input) throws(DecodeError) in _ = try L2TPHeader(parsing: &input) }
        ByteSweeps.flips(message, rounds: 500) { (input) throws(DecodeError) in _ = try L2TPHeader(parsing: &input) }
        for length in 0..<message.count { _ = Self.decodeL2TP(Array(message.prefix(length))) }
    }
}
