import Dissect
import Testing

/// Which packets of a QUIC Initial CRYPTO stream deliver bytes to TLS — the packets tshark 4.0
/// labels `tls`. Each case was checked with tshark 4.0.17 on Initial packets built to match.
@Suite struct QUICCryptoStreamTests {
    /// A 1487-byte handshake message: type 1, 24-bit length, body.
    static let message: [UInt8] = [1, 0x00, 0x05, 0xCB] + (0..<1483).map { UInt8(truncatingIfNeeded: $0) }

    /// Feeds each packet's CRYPTO fragments (offset, length into `message`) in order; per packet,
    /// whether any fragment delivered bytes.
    static func delivered(_ packets: [[(offset: Int, length: Int)]]) -> [Bool] {
        var stream = QUICCryptoStream()
        return packets.map { fragments in
            var any = false
            for fragment in fragments {
                let data = Array(message[fragment.offset..<(fragment.offset + fragment.length)])
                if data.withUnsafeBytes({ stream.add(offset: UInt64(fragment.offset), $0) }) { any = true }
            }
            return any
        }
    }

    @Test func inOrderPacketsAllDeliver() {
        #expect(Self.delivered([[(0, 1000)], [(1000, 487)]]) == [true, true])
    }

    @Test func theSecondHalfFirstWaitsForTheFirst() {
        #expect(Self.delivered([[(1000, 487)], [(0, 1000)]]) == [false, true])
    }

    @Test func aRetransmissionDeliversNothing() {
        #expect(Self.delivered([[(0, 1487)], [(0, 1487)], [(200, 100)]]) == [true, false, false])
    }

    @Test func anOverlapDeliversItsNewBytes() {
        #expect(Self.delivered([[(0, 500)], [(0, 600)], [(600, 887)]]) == [true, true, true])
    }

    /// Chrome's "chaos protection" splits the ClientHello and sends the pieces out of order.
    @Test func piecesOutOfOrderInOnePacketDeliverWhenTheyMeet() {
        #expect(Self.delivered([[(300, 1187), (0, 300)]]) == [true])
        #expect(Self.delivered([[(300, 200), (0, 300), (500, 987)]]) == [true])
    }

    /// After a gap, in-order bytes are held back with the fragment past it until the region fills.
    @Test func aGapHoldsBackWhatFollowsIt() {
        #expect(Self.delivered([[(800, 200), (0, 500)], [(500, 300), (1000, 487)]]) == [false, true])
        #expect(Self.delivered([[(0, 500), (800, 200)], [(500, 300), (1000, 487)]]) == [true, true])
        #expect(Self.delivered([[(1000, 487)], [(0, 500)], [(500, 500)]]) == [false, false, true])
        #expect(Self.delivered([[(505, 0), (0, 90)]]) == [false])  // even an empty fragment opens the region
    }

    @Test func theFirstMessageIsTakenOnceWhenWhole() throws {
        var stream = QUICCryptoStream()
        let message = Self.message
        _ = message[..<1000].withUnsafeBytes { stream.add(offset: 0, $0) }
        #expect(stream.takeFirstMessage() == nil)
        _ = message[1000...].withUnsafeBytes { stream.add(offset: 1000, $0) }
        #expect(stream.takeFirstMessage().map(Array.init) == message)
        #expect(stream.takeFirstMessage() == nil)
    }

    @Test func fragmentsPastTheCapacityAreDropped() {
        var stream = QUICCryptoStream()
        let far = [UInt8](repeating: 7, count: 16)
        #expect(!far.withUnsafeBytes { stream.add(offset: UInt64(QUICCryptoStream.capacity), $0) })
        #expect(!far.withUnsafeBytes { stream.add(offset: UInt64.max, $0) })
        #expect(stream.bytes.isEmpty)
    }
}
