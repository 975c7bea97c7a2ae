import Dissect
import Foundation
import Pipeline
import Testing

/// Per-protocol frames of every test-field capture (Captures/<scenario>/*.pcapng: real aiortc
/// calls, coturn, SSTP, OpenVPN and IP-HTTPS tunnels) against tshark's, frame by frame
/// (`*.tshark-counts.json`, written by Captures/vpn-tunnels/tshark-counts.py). Each remaining
/// difference is pinned with an explanation, and every frame in it must show what the
/// explanation says (e.g. "SRTCP": we label the frame srtcp), so a pin cannot hide a new error.
@Suite struct TestFieldProtocolCountTests {
    static let truthSuffix = ".tshark-counts.json"
    static let captures = SharedCaptures.testFieldFiles(endingIn: ".pcapng" + truthSuffix).map {
        String($0.dropLast(truthSuffix.count))
    }

    /// What we know of a frame: its layer trail, its transport ports, and every name we gave any
    /// frame between the same two ports (its flow, near enough within one capture).
    struct Frame {
        var protocols: LayerTrail
        var ports: (UInt16?, UInt16?)
        var flow: Set<ProtocolName> = []

        var portPair: [UInt16] { [ports.0 ?? 0, ports.1 ?? 0].sorted() }
    }

    enum Explanation: String {
        case srtcp =
            "tshark is wrong: SRTCP of DTLS-SRTP calls (aiortc) that its RTCP heuristic refuses (see TsharkProtocolCountTests)"
        case openvpnOn443 =
            "tshark is wrong: OpenVPN over TCP 443 (16-bit length, then the OpenVPN opcode) that its port-443 TLS dissector claims"
        case turnOverTCP443 =
            "tshark is wrong: TURN over TCP 443 (STUN and ChannelData framed back to back) that its port-443 TLS dissector claims"
        case insideTURN =
            "tshark stops at ChannelData (\"data\"); we decode what TURN relays, as the issue asks (RTP inside TURN is RTP)"
        case insideIPHTTPS =
            "tshark leaves NULL-cipher IP-HTTPS records as application data; we decode the inner IPv6 packets (MS-IPHTTPS)"
        case insideICMPQuote =
            "tshark stops at the UDP header of a packet an ICMP error quotes; we also name its payload"

        /// Whether `frame` shows what this explanation claims.
        func holds(for frame: Frame) -> Bool {
            let trail = frame.protocols
            let on443 = frame.ports.0 == 443 || frame.ports.1 == 443
            switch self {
            case .srtcp: return trail.contains(.srtcp)
            // Segments that continue a message carry no name of their own: the flow's names count.
            case .openvpnOn443:
                return trail.contains(.tcp) && on443 && frame.flow.contains(.openvpn)
            case .turnOverTCP443:
                return trail.contains(.tcp) && on443 && frame.flow.contains(.stun) && frame.flow.contains(.turnChannel)
            case .insideTURN: return trail.contains(.turnChannel)
            case .insideIPHTTPS: return trail.contains(.iphttps)
            case .insideICMPQuote: return trail.contains(.icmp)
            }
        }
    }

    /// "scenario/file.pcapng: protocol" → why ours and tshark's frames differ.
    static let knownDifferences: [String: Explanation] = {
        var pins: [String: Explanation] = [:]
        let srtcp = [
            "cgnat-srflx/cgnat-srflx", "iphttps/iphttps-iphttps0", "lan-direct/lan-direct", "novpn-srflx/novpn-srflx",
            "ovpn-drop/ovpn-drop-tun0", "ovpn-drop/ovpn-drop", "ovpn-full-lan/ovpn-full-lan",
            "ovpn-full/ovpn-full-tun0",
            "ovpn-split/ovpn-split-tun0", "ovpn-tunnel-tunnel/ovpn-tunnel-tunnel-tun0", "sstp-drop/sstp-drop-ppp0",
            "sstp-drop/sstp-drop", "sstp-full-lan/sstp-full-lan", "sstp-full-udp-blocked/sstp-full-udp-blocked-ppp0",
            "sstp-full/sstp-full-ppp0", "sstp-split-udp-blocked/sstp-split-udp-blocked", "sstp-split/sstp-split-ppp0",
            "sstp-tunnel-tunnel/sstp-tunnel-tunnel-ppp0",
        ]
        for capture in srtcp { pins["\(capture).pcapng: rtcp"] = .srtcp }
        for capture in [
            "ovpn-drop/ovpn-drop", "ovpn-full-lan/ovpn-full-lan", "ovpn-full/ovpn-full", "ovpn-split/ovpn-split",
            "ovpn-tunnel-tunnel/ovpn-tunnel-tunnel",
        ] {
            pins["\(capture).pcapng: openvpn"] = .openvpnOn443
            pins["\(capture).pcapng: tls"] = .openvpnOn443
        }
        for name in ["stun", "turn-channel", "tls"] {
            pins["udp-blocked-turn-tcp/udp-blocked-turn-tcp.pcapng: \(name)"] = .turnOverTCP443
        }
        for name in ["rtp", "dtls"] { pins["relay-forced/relay-forced.pcapng: \(name)"] = .insideTURN }
        for name in ["udp", "stun", "dtls", "rtp", "rtcp", "icmp"] {
            pins["iphttps/iphttps.pcapng: \(name)"] = .insideIPHTTPS
        }
        for name in ["stun", "rtp"] {
            pins["ovpn-tunnel-tunnel/ovpn-tunnel-tunnel-tun0.pcapng: \(name)"] = .insideICMPQuote
        }
        return pins
    }()

    @Test func everyTestFieldCaptureHasTsharkCounts() {
        #expect(Self.captures.count == SharedCaptures.testFieldFiles(endingIn: ".pcapng").count)
        #expect(Self.captures.count >= 33)
    }

    @Test(arguments: captures)
    func framesEqualTshark(capture: String) throws {
        let file = SharedCaptures.repositoryRoot.appendingPathComponent("Captures").appendingPathComponent(capture)
        let (theirs, total) = try OwnCaptureProtocolCountTests.tsharkFrames(
            URL(fileURLWithPath: file.path + Self.truthSuffix)
        )
        var frames: [Int: Frame] = [:]
        var malformed: [Int] = []
        _ = try OfflineCapture(path: file.path).packets { line in
            frames[line.frame] = Frame(protocols: line.protocols, ports: (line.sourcePort, line.destinationPort))
            if line.malformed { malformed.append(line.frame) }
        }
        var flows: [[UInt16]: Set<ProtocolName>] = [:]
        for frame in frames.values {
            for i in 0..<frame.protocols.count { flows[frame.portPair, default: []].insert(frame.protocols[i]) }
        }
        for (number, frame) in frames { frames[number]?.flow = flows[frame.portPair] ?? [] }
        #expect(frames.count == total)
        #expect(malformed.isEmpty, "\(capture): frames marked malformed in real traffic: \(malformed)")
        var differing: Set<String> = []
        for (i, entry) in OwnCaptureProtocolCountTests.mapping.enumerated() {
            let ours = Set(frames.filter { _, frame in entry.ours.contains(where: frame.protocols.contains) }.keys)
            let different = ours.symmetricDifference(theirs[i])
            guard !different.isEmpty else { continue }
            let key = "\(capture): \(entry.name)"
            differing.insert(key)
            guard let explanation = Self.knownDifferences[key] else {
                Issue.record(
                    Comment(
                        rawValue:
                            "\(key): ours-only \(OwnCaptureProtocolCountTests.listed(ours.subtracting(theirs[i]))), "
                            + "tshark-only \(OwnCaptureProtocolCountTests.listed(theirs[i].subtracting(ours)))"
                    )
                )
                continue
            }
            let unexplained = different.filter { frames[$0].map(explanation.holds) != true }
            #expect(unexplained.isEmpty, "\(key): frames \(unexplained.sorted()) do not show \(explanation)")
        }
        let pinned = Set(Self.knownDifferences.keys.filter { $0.hasPrefix(capture + ":") })
        #expect(
            pinned.subtracting(differing).isEmpty,
            "pinned differences gone: \(pinned.subtracting(differing).sorted())"
        )
    }
}
