import Dissect
import Testing
import Wire

/// The L2TPv2 header after RFC 2661 §3.1: control messages "MUST" set L and S; one that does not
/// is still L2TP (as tshark shows it), flagged so the analyzer marks it malformed.
@Suite struct L2TPHeaderTests {
    @Test func aControlMessageWithLengthAndSequenceIsWellFormed() throws {
        // 0xC802: T, L, S, version 2; length 12, tunnel 7, session 0, Ns 0, Nr 0.
        let bytes: [UInt8] = [0xC8, 0x02, 0x00, 0x0C, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]
        let header = try #require(bytes.withUnsafeBytes { L2TPHeader.parse($0) })
        #expect(header.isControl && !header.lacksControlBits && header.tunnelID == 7)
    }

    @Test func aControlMessageWithoutTheSequenceBitIsL2TPButLacksControlBits() throws {
        // 0xF002 as in tcpdump's l2tp-avp-overflow.pcap: T, L and two reserved bits, S clear.
        let bytes: [UInt8] = [0xF0, 0x02, 0x02, 0x02, 0x02, 0x30, 0x08, 0x08]
        let header = try #require(bytes.withUnsafeBytes { L2TPHeader.parse($0) })
        #expect(header.isControl && header.lacksControlBits)
        #expect(header.tunnelID == 0x0230 && header.sessionID == 0x0808)
    }

    @Test func anotherVersionIsNotL2TPv2() {
        let bytes: [UInt8] = [0xC8, 0x03, 0x00, 0x0C, 0x00, 0x07, 0x00, 0x00]
        #expect(bytes.withUnsafeBytes { L2TPHeader.parse($0) } == nil)
    }
}
