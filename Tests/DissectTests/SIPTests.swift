import Dissect
import Testing
import Wire

/// A SIP INVITE with an SDP offer as an SBC receives it (RFC 3261 §7, RFC 8866, RFC 8839 §5.1):
/// host, server-reflexive and relayed candidates, the latter two with raddr/rport.
@Suite struct SIPTests {
    static let sdp = """
        v=0\r
        o=- 1 1 IN IP4 192.168.178.91\r
        s=-\r
        c=IN IP4 198.51.100.10\r
        t=0 0\r
        m=audio 7000 RTP/AVP 0\r
        a=ice-ufrag:F7gI\r
        a=ice-pwd:x9cml/YzichV2+XlhiMu8g\r
        a=candidate:1 1 UDP 2130706431 192.168.178.91 7000 typ host\r
        a=candidate:2 1 UDP 1694498815 198.51.100.10 7000 typ srflx raddr 192.168.178.91 rport 7000\r
        a=candidate:3 1 UDP 16777215 192.0.2.10 49152 typ relay raddr 198.51.100.10 rport 7000\r

        """

    static let invite: [UInt8] = Array(
        ("""
        INVITE sip:pstn@sbc.example SIP/2.0\r
        Via: SIP/2.0/UDP 192.168.178.91:5060;branch=z9hG4bK776asdhds\r
        From: <sip:pc1@example.org>;tag=1928301774\r
        To: <sip:pstn@sbc.example>\r
        Call-ID: a84b4c76e66710@pc1.example.org\r
        CSeq: 314159 INVITE\r
        Content-Type: application/sdp\r
        Content-Length: \(sdp.utf8.count)\r
        \r

        """ + sdp).utf8
    )

    func message() throws -> SIPMessage {
        try Self.invite.withUnsafeBytes { (raw) throws in
            var input = ByteCursor(raw)
            return try SIPMessage(parsing: &input, stream: false)
        }
    }

    func text(_ range: Range<Int>?) -> String? { range.map { String(decoding: Self.invite[$0], as: UTF8.self) } }

    @Test func requestLineHeadersAndBody() throws {
        let sip = try message()
        #expect(text(sip.method) == "INVITE")
        #expect(sip.statusCode == nil)
        #expect(text(sip.callID) == "a84b4c76e66710@pc1.example.org")
        #expect(sip.hasSDP)
        #expect(sip.contentLength == Self.sdp.utf8.count)
        #expect(text(sip.body) == Self.sdp)
        #expect(sip.totalLength == Self.invite.count)
    }

    @Test func everyCandidateOfTheOffer() throws {
        let sip = try message()
        var found: [(String, String, UInt16, String?, UInt16?)] = []
        Self.invite.withUnsafeBytes { raw in
            let body = UnsafeRawBufferPointer(rebasing: raw[sip.body])
            SDP.forEachCandidate(ByteCursor(body)) { candidate in
                let bodyBytes = Array(body)
                found.append(
                    (
                        candidate.type.rawValue, String(decoding: bodyBytes[candidate.address], as: UTF8.self),
                        candidate.port,
                        candidate.relatedAddress.map { String(decoding: bodyBytes[$0], as: UTF8.self) },
                        candidate.relatedPort
                    )
                )
            }
        }
        #expect(found.map(\.0) == ["host", "srflx", "relay"])
        #expect(found.map(\.1) == ["192.168.178.91", "198.51.100.10", "192.0.2.10"])
        #expect(found.map(\.2) == [7000, 7000, 49152])
        #expect(found[2].3 == "198.51.100.10" && found[2].4 == 7000)
        #expect(found[0].3 == nil)
    }

    @Test func statusLine() throws {
        let ok = Array("SIP/2.0 200 OK\r\nCall-ID: x@y\r\nContent-Length: 0\r\n\r\n".utf8)
        let sip = try ok.withUnsafeBytes { (raw) throws in
            var input = ByteCursor(raw)
            return try SIPMessage(parsing: &input, stream: false)
        }
        #expect(sip.statusCode == 200)
        #expect(!sip.isRequest)
    }

    @Test func truncationsAndFlipsNeverCrash() {
        _ = ByteSweeps.truncations(Self.invite) { (input) throws(DecodeError) in
            _ = try SIPMessage(parsing: &input, stream: true)
        }
        ByteSweeps.flips(Self.invite, rounds: 500) { (input) throws(DecodeError) in
            _ = try SIPMessage(parsing: &input, stream: false)
        }
    }
}
