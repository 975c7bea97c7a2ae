import Calls
import Flows
import Foundation
import Judge
import Pipeline
import Testing
import Wire

/// QUIC (RFC 9000) carries its TLS handshake in UDP datagrams: an HTTP/3 connection is not a TLS
/// tunnel over TCP, so a call's rhythm in it must not be reported as media in TLS of unknown make.
/// Which flow is QUIC comes from tshark's view of google_meet.pcapng (`../shared/captures/public/truth`).
@Suite struct QUICFlowTests {
    static let capture = SharedCaptures.publicFolder?.appendingPathComponent("ntop-nDPI/google_meet.pcapng")

    /// tshark's one UDP and one TCP conversation of the capture: the QUIC flow, and the TLS-over-TCP
    /// flow beside it (tshark: frames 4 and 6 are `tcp:tls`).
    static func tsharkFlows() throws -> (quic: FlowKey, tls: FlowKey) {
        let truthFile = try #require(SharedCaptures.truthFolder?.appendingPathComponent("google_meet.pcapng.json"))
        let truth = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: truthFile)) as? [String: Any])
        let counts = try #require(truth["frame_counts_by_filter"] as? [String: Any])
        let conversations = try #require(truth["conversations"] as? [String: [[String: Any]]])
        let udp = try #require(conversations["udp"]), tcp = try #require(conversations["tcp"])
        // Every frame of the UDP conversation is QUIC: `quic` matches as many frames as it holds.
        try #require(udp.count == 1 && tcp.count == 1)
        try #require(counts["quic"] as? Int == udp[0]["frames_total"] as? Int)
        func key(_ conversation: [String: Any], _ transport: Transport) throws -> FlowKey {
            func endpoint(_ side: String) throws -> Endpoint {
                let address = try #require(IPAddress(conversation["\(side)_addr"] as? String ?? ""))
                return Endpoint(address: address, port: UInt16(try #require(conversation["\(side)_port"] as? Int)))
            }
            return FlowKey(transport, try endpoint("a"), try endpoint("b"))
        }
        return (try key(udp[0], .udp), try key(tcp[0], .tcp))
    }

    /// The capture through the pipeline, then `extra` frames of it again (frame number, seconds
    /// after the last frame, mirrored: the frame's addresses and ports swapped).
    static func pipeline(replaying extra: [(frame: Int, seconds: Double, mirrored: Bool)] = []) throws -> CallPipeline {
        let offline = try OfflineCapture(path: try #require(capture).path)
        var pipeline = CallPipeline(link: offline.link)
        var frames: [[UInt8]] = []
        var last = Timestamp(nanoseconds: 0)
        try offline.file.forEachPacket { meta, bytes in
            pipeline.process(meta, bytes)
            frames.append(Array(bytes))
            last = meta.timestamp
        }
        for (i, packet) in extra.enumerated() {
            var bytes = frames[packet.frame - 1]
            if packet.mirrored { mirror(&bytes) }
            let time = Timestamp(nanoseconds: last.nanoseconds + Int64(packet.seconds * 1e9))
            let meta = PacketMeta(
                frame: frames.count + i + 1,
                timestamp: time,
                capturedLength: bytes.count,
                wireLength: bytes.count
            )
            bytes.withUnsafeBytes { pipeline.process(meta, $0) }
        }
        return pipeline
    }

    /// Swaps the IPv4 addresses and the UDP ports of an Ethernet frame: the same packet sent back.
    static func mirror(_ frame: inout [UInt8]) {
        let ip = 14, udp = 14 + Int(frame[14] & 0x0F) * 4
        for i in 0..<4 { frame.swapAt(ip + 12 + i, ip + 16 + i) }
        for i in 0..<2 { frame.swapAt(udp + i, udp + 2 + i) }
    }

    @Test(.enabled(if: SharedCaptures.publicFolder != nil))
    func aQUICFlowIsNoTLSTunnel() throws {
        let (quic, tls) = try Self.tsharkFlows()
        let tracker = try Self.pipeline().tracker
        #expect(tracker.tunnel(of: quic) == nil, "QUIC \(quic.low) ⇄ \(quic.high) kept as a TLS tunnel")
        #expect(tracker.tunnel(of: tls)?.kind == .tls, "TLS over TCP \(tls.low) ⇄ \(tls.high) stays a candidate")
    }

    /// Frame 11 (the client's 81-byte QUIC Handshake packet) and its mirror, 50 times a second each
    /// way for 5 s: a call's rhythm on the QUIC flow, which is no call in TLS.
    @Test(.enabled(if: SharedCaptures.publicFolder != nil))
    func aCallsRhythmOnQUICIsNoTLSCall() throws {
        let (quic, _) = try Self.tsharkFlows()
        let rhythm = (0..<250).flatMap { i in [(11, Double(i) / 50, false), (11, Double(i) / 50 + 0.01, true)] }
        let pipeline = try Self.pipeline(replaying: rhythm)
        let calls = pipeline.calls(context: NetworkContext(), tunnelInterface: nil)
        let onQUIC = calls.flatMap(\.segments).filter { FlowKey($0.transport, $0.local, $0.remote) == quic }
        #expect(onQUIC.isEmpty, "\(onQUIC.map { "\($0.path) \($0.tunnel ?? "")" })")
    }
}
