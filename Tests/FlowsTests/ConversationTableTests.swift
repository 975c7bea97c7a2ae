import Dissect
import Flows
import Testing
import Wire

@Suite struct ConversationTableTests {
    static let client = Endpoint(address: IPAddress(v4: 0xC0A8_B25B), port: 50012)
    static let server = Endpoint(address: IPAddress(v4: 0xCB00_7101), port: 3478)

    func segment(_ from: Endpoint, _ to: Endpoint, tcp: TCPHeader? = nil) -> TransportSegment {
        TransportSegment(
            transport: tcp == nil ? .udp : .tcp,
            source: from,
            destination: to,
            payload: UnsafeRawBufferPointer(start: nil, count: 0),
            tcp: tcp,
            tunnelDepth: 0,
            reassembled: false
        )
    }

    func tcp(seq: UInt32, _ flags: TCPHeader.Flags) -> TCPHeader {
        TCPHeader(sourcePort: 0, destinationPort: 0, sequence: seq, acknowledgment: 0, flags: flags)
    }

    @Test func firstSenderIsAAndBothDirectionsShareOneRow() {
        var table = ConversationTable()
        table.add(segment(Self.server, Self.client), wireLength: 100, at: Timestamp(nanoseconds: 5_000))
        table.add(segment(Self.client, Self.server), wireLength: 60, at: Timestamp(nanoseconds: 1_000))
        table.add(segment(Self.server, Self.client), wireLength: 100, at: Timestamp(nanoseconds: 9_000))
        #expect(table.conversations.count == 1)
        let row = table.conversations[0]
        #expect(row.a == Self.server && row.b == Self.client)
        #expect((row.framesAToB, row.bytesAToB, row.framesBToA, row.bytesBToA) == (2, 200, 1, 60))
        // Out-of-order timestamps: the span runs from the earliest to the latest.
        #expect(row.first.nanoseconds == 1_000 && row.last.nanoseconds == 9_000)
    }

    @Test func udpAndTCPOnTheSamePortsAreSeparate() {
        var table = ConversationTable()
        table.add(segment(Self.client, Self.server), wireLength: 1, at: Timestamp(nanoseconds: 0))
        table.add(
            segment(Self.client, Self.server, tcp: tcp(seq: 1, .syn)),
            wireLength: 1,
            at: Timestamp(nanoseconds: 0)
        )
        #expect(table.conversations.map(\.transport) == [.udp, .tcp])
    }

    /// Wireshark's port-reuse rule: a new SYN with another initial sequence number starts a new
    /// stream; a retransmitted SYN (same number) does not.
    @Test func reusedTCPPortsStartANewConversation() {
        var table = ConversationTable()
        let t = Timestamp(nanoseconds: 0)
        table.add(segment(Self.client, Self.server, tcp: tcp(seq: 100, .syn)), wireLength: 74, at: t)
        table.add(segment(Self.client, Self.server, tcp: tcp(seq: 100, .syn)), wireLength: 74, at: t)
        table.add(segment(Self.server, Self.client, tcp: tcp(seq: 900, [.syn, .ack])), wireLength: 74, at: t)
        table.add(segment(Self.client, Self.server, tcp: tcp(seq: 5000, .syn)), wireLength: 74, at: t)
        table.add(segment(Self.server, Self.client, tcp: tcp(seq: 7000, [.syn, .ack])), wireLength: 74, at: t)
        #expect(table.conversations.count == 2)
        #expect(table.conversations.map(\.frames) == [3, 2])
    }

    @Test func manyConversationsStayDistinct() {
        var table = ConversationTable()
        for port in 0..<5000 {
            let local = Endpoint(address: IPAddress(v4: 0x0A00_0000 | UInt32(port % 300)), port: UInt16(port))
            table.add(segment(local, Self.server), wireLength: 10, at: Timestamp(nanoseconds: Int64(port)))
            table.add(segment(Self.server, local), wireLength: 20, at: Timestamp(nanoseconds: Int64(port)))
        }
        #expect(table.conversations.count == 5000)
        #expect(table.conversations.allSatisfy { $0.framesAToB == 1 && $0.framesBToA == 1 })
    }
}
