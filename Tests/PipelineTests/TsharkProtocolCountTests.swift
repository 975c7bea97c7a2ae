import Dissect
import Foundation
import Pipeline
import Testing
import Wire

/// Compares per-protocol frame counts of `callpath packets` with tshark 4.0.17's
/// `frame_counts_by_filter` (../shared/captures/public/truth, RTP heuristic on) on every public
/// capture. Every difference is listed; the ones we know of are pinned in `knownDifferences`, so a
/// new difference — or one that went away — fails the test.
@Suite struct TsharkProtocolCountTests {
    /// Our protocol names ↔ tshark display filters (tshark counts ChannelData as `stun` too, and
    /// RFC 3489 / MS-TURN legacy messages as `classicstun`; SRTP/SRTCP are `rtp`/`rtcp` there).
    static let mapping: [(name: String, ours: [ProtocolName], tshark: [String])] = [
        ("stun", [.stun, .turnChannel], ["stun", "classicstun"]),
        ("turn-channel", [.turnChannel], ["stun.channel"]),
        ("rtp", [.rtp, .srtp], ["rtp"]),
        ("rtcp", [.rtcp, .srtcp], ["rtcp"]),
        ("dtls", [.dtls], ["dtls"]),
        ("tls", [.tls], ["tls"]),
        ("sip", [.sip], ["sip"]),
        ("esp", [.esp], ["esp"]),
        ("isakmp", [.isakmp], ["isakmp"]),
        ("openvpn", [.openvpn], ["openvpn"]),
        ("wireguard", [.wireguard], ["wg"]),
        ("l2tp", [.l2tp], ["l2tp"]),
        ("gre", [.gre], ["gre"]),
    ]

    /// Differences left, per capture and protocol. Causes, as far as investigated:
    /// - tls in openvpn*.pcap: tshark decodes the TLS carried inside OpenVPN control packets; we
    ///   do not unwrap OpenVPN's control channel.
    /// - tls elsewhere (teams, skype, telegram, webex-like flows): segments where tshark starts or
    ///   ends a record after out-of-order/retransmitted data, and TLS on non-standard framing
    ///   (telegram's MTProto-over-443); our in-order-only reassembly loses framing at gaps.
    /// - rtcp extras (skype-conference, snapchat, stun_msteams_unidir, stun_wa_call, teams…): our
    ///   SRTCP rule (a clear SR/RR whose length does not cover the datagram) accepts encrypted
    ///   datagrams that tshark leaves as data; rtcp misses (wa_*, whatsapp, google meet): frames
    ///   tshark dissects as RTP then RTCP ("rtp:rtcp") that we leave unlabelled.
    /// - rtp misses (stun.pcap, stun_dtls_rtp, telegram, dtls.pcap): first packets of streams
    ///   tshark's one-packet heuristic labels and flows our SSRC-churn rule rejects.
    /// - wireguard: tailscale.pcap has Tailscale's disco/DERP datagrams with WireGuard shapes that
    ///   tshark only labels after a handshake; zoom.pcap is tshark's misfire on Zoom media (see
    ///   truth/README.md) that our size rule does not share.
    /// - l2tp-avp-overflow.pcap: malformed L2TP control messages (the point of that capture) that
    ///   tshark still names; our header check rejects them.
    /// - sip_tcp_websocket.pcap: SIP over WebSocket, not decoded yet.
    static let knownDifferences: Set<String> = [
        "ntop-nDPI/anyconnect-vpn.pcap: tls ours 156 tshark 141",
        "ntop-nDPI/dtls.pcap: rtp ours 0 tshark 4",
        "ntop-nDPI/google_meet.pcapng: tls ours 2 tshark 4",
        "the-tcpdump-group-tcpdump/l2tp-avp-overflow.pcap: l2tp ours 0 tshark 16",
        "ntop-nDPI/openvpn-tlscrypt.pcap: tls ours 0 tshark 6",
        "ntop-nDPI/openvpn.pcap: tls ours 0 tshark 104",
        "ntop-nDPI/openvpn.pcap: openvpn ours 290 tshark 251",
        "ntop-nDPI/openvpn_nohmac_tcp.pcapng: tls ours 0 tshark 8",
        "sipcapture-heplify/rtp_rtcp_sip_ipv4_udp.pcap: rtcp ours 24 tshark 26",
        "sipcapture-heplify/sip_tcp_websocket.pcap: sip ours 28 tshark 39",
        "ntop-nDPI/skype-conference-call.pcap: rtcp ours 78 tshark 0",
        "ntop-nDPI/skype.pcap: rtcp ours 0 tshark 1",
        "ntop-nDPI/skype.pcap: tls ours 108 tshark 163",
        "ntop-nDPI/snapchat_call.pcapng: rtp ours 1 tshark 0",
        "ntop-nDPI/snapchat_call.pcapng: rtcp ours 20 tshark 0",
        "ntop-nDPI/stun.pcap: rtp ours 6 tshark 27",
        "ntop-nDPI/stun.pcap: rtcp ours 12 tshark 0",
        "ntop-nDPI/stun_dtls_rtp.pcapng: rtp ours 11 tshark 22",
        "ntop-nDPI/stun_dtls_rtp_unidir.pcapng: rtcp ours 1 tshark 0",
        "ntop-nDPI/stun_dtls_rtp_unidir.pcapng: dtls ours 13 tshark 0",
        "ntop-nDPI/stun_google_meet.pcapng: rtcp ours 11 tshark 19",
        "ntop-nDPI/stun_msteams_unidir.pcapng: rtcp ours 8 tshark 0",
        "ntop-nDPI/stun_wa_call.pcapng: rtcp ours 18 tshark 0",
        "ntop-nDPI/tailscale.pcap: wireguard ours 104 tshark 46",
        "ntop-nDPI/teams.pcap: rtcp ours 10 tshark 1",
        "ntop-nDPI/teams.pcap: tls ours 429 tshark 464",
        "ntop-nDPI/telegram_videocall.pcapng: rtp ours 6 tshark 13",
        "ntop-nDPI/telegram_videocall.pcapng: tls ours 1 tshark 170",
        "ntop-nDPI/viber.pcap: dtls ours 1 tshark 0",
        "ntop-nDPI/viber.pcap: tls ours 72 tshark 78",
        "ntop-nDPI/wa_video.pcap: rtcp ours 23 tshark 59",
        "ntop-nDPI/wa_voice.pcap: rtcp ours 21 tshark 12",
        "ntop-nDPI/whatsapp_login_call.pcap: rtcp ours 21 tshark 37",
        "ntop-nDPI/zoom.pcap: wireguard ours 0 tshark 33",
    ]

    @Test(
        "per-protocol frame counts equal tshark's, except the pinned differences",
        .enabled(if: SharedCaptures.truthFolder != nil, "../shared/captures/public/truth is not present"))
    func countsMatchTshark() throws {
        var differences: Set<String> = []
        for truthFile in TsharkConversationTests.truthFiles {
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: truthFile)) as? [String: Any])
            let path = try #require(object["path"] as? String)
            let counts = object["frame_counts_by_filter"] as? [String: Any] ?? [:]
            let capture = try #require(SharedCaptures.publicFolder).appendingPathComponent(path).path
            var ours = [Int](repeating: 0, count: Self.mapping.count)
            _ = try OfflineCapture(path: capture).packets { line in
                for (i, entry) in Self.mapping.enumerated() where entry.ours.contains(where: line.protocols.contains) {
                    ours[i] += 1
                }
            }
            for (i, entry) in Self.mapping.enumerated() {
                let theirs = entry.tshark.reduce(0) { $0 + (counts[$1] as? Int ?? 0) }
                if ours[i] != theirs { differences.insert("\(path): \(entry.name) ours \(ours[i]) tshark \(theirs)") }
            }
        }
        let unexpected = differences.subtracting(Self.knownDifferences).sorted()
        let gone = Self.knownDifferences.subtracting(differences).sorted()
        #expect(unexpected.isEmpty, Comment(rawValue: "new differences:\n" + unexpected.joined(separator: "\n")))
        #expect(gone.isEmpty, Comment(rawValue: "pinned differences that went away:\n" + gone.joined(separator: "\n")))
    }
}
