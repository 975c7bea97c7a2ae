import Foundation
import Pipeline
import Testing

/// SDP carried by SIP over WebSocket (RFC 7118) must reach the call tracker as SDP over UDP does.
/// Ground truth: the ICE candidates tshark decodes from the capture's SDP (truth `sdp_ice_candidates`)
/// and the frames in which tshark shows SDP inside WebSocket (`tshark -Y 'websocket && sdp'`:
/// 11 18 34 46). The proxy also relays the SDP over UDP (frames 20 32 44), so only the offers of the
/// WebSocket frames show that this path works.
@Suite struct TsharkWebSocketSDPTests {
    static let capture = "sipcapture-heplify/sip_tcp_websocket.pcap"
    static let webSocketSDPFrames = [11, 18, 34, 46]

    @Test(.enabled(if: SharedCaptures.truthFolder != nil, "../shared/captures/public/truth is not present"))
    func webSocketSDPCandidatesAreTheOnesTsharkDecoded() throws {
        let truthFile = try #require(SharedCaptures.truthFolder).appendingPathComponent("sip_tcp_websocket.pcap.json")
        let truth = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: truthFile)) as? [String: Any])
        let lines = try #require(truth["sdp_ice_candidates"] as? [String])
        let expected = Set(lines.compactMap(Self.candidate))
        #expect(expected.count == 4)

        let capture = try OfflineCapture(
            path: try #require(SharedCaptures.publicFolder).appendingPathComponent(Self.capture).path
        )
        var pipeline = CallPipeline(link: capture.link)
        try capture.file.forEachPacket { meta, bytes in pipeline.process(meta, bytes) }
        let offers = pipeline.tracker.sdpOffers.filter { Self.webSocketSDPFrames.contains($0.frame) }
        #expect(offers.map(\.frame) == Self.webSocketSDPFrames)
        #expect(offers.allSatisfy { $0.callID == "kovfhoptshgn59q712sr" })
        let ours = offers.flatMap { offer in
            offer.candidates.map {
                "\($0.transport) \($0.address) typ \($0.type)" + ($0.related.map { " raddr \($0)" } ?? "")
            }
        }
        #expect(Set(ours) == expected)
    }

    /// `candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type>
    /// [raddr <address> rport <port>] …` (RFC 8839 §5.1), as the tracker's fields would print it.
    static func candidate(_ line: String) -> String? {
        let fields = line.split(separator: " ").map(String.init)
        guard fields.count >= 8, fields[6] == "typ" else { return nil }
        func endpoint(_ address: String, _ port: String) -> String {
            CaptureVerdictTests.bracketed("\(address):\(port)")
        }
        var text = "\(fields[2].lowercased()) \(endpoint(fields[4], fields[5])) typ \(fields[7])"
        if let r = fields.firstIndex(of: "raddr"), r + 3 < fields.count, fields[r + 2] == "rport" {
            text += " raddr \(endpoint(fields[r + 1], fields[r + 3]))"
        }
        return text
    }
}
