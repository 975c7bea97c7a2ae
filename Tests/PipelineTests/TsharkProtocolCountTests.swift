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
        ("quic", [.quic], ["quic"]),
    ]

    // Why tshark 4.0.17 misses SRTCP: its RTP heuristic refuses second bytes 0xC8–0xCC (payload
    // types 72–76), its RTCP heuristic on UDP wants an odd destination port, a datagram length
    // that is a multiple of 4 and SR/RR/BYE/APP/PSFB first, and no SDP set these ports up. Each
    // frame named below carries V=2, an RTCP type 200–213 whose clear header names a sender SSRC
    // of the flow's streams, and an encrypted tail with SRTCP's E|index trailer (RFC 3711 §3.4).
    static let srtcpMissed = "tshark is wrong: SRTCP it leaves as data (heuristics, see above)"

    /// Differences left, per capture and protocol, each with the frames and the reason. Every one is
    /// a case where tshark is wrong, checked byte by byte (`everyPinIsATsharkError` keeps it so).
    static let knownDifferences: [String: String] = [
        "ntop-nDPI/anyconnect-vpn.pcap: tls ours 157 tshark 141":
            "tshark is wrong: frames 5 6 90 91 123 124 … 577 (21) are TLS application-data records on TCP 8009 that tshark "
            + "does not try TLS on; 256–258 260 261 (5), on the flow :56881 → 443 picked up mid-connection, are not TLS: "
            + "16- and 32-byte segments with no record header anywhere, and 259 between them is the plaintext "
            + "\"-23865|com.code42.backup.message.backup.BackupStoppedMessage\" (Code42's own protocol), which tshark itself "
            + "shows as data; its port-443 TLS dissector calls the others \"Continuation Data\"",
        "ntop-nDPI/dtls.pcap: rtp ours 0 tshark 4":
            "tshark is wrong: frames 2 4 5 6 that its `rtp` filter counts are DTLS ClientHellos and an Alert (frame.protocols "
            + "says dtls), on the conversation their use_srtp set up (as stun.pcap 165–188)",
        "ntop-nDPI/openvpn-tlscrypt.pcap: tls ours 0 tshark 6":
            "tshark is wrong: frames 4 5 6 8 9 12 are P_CONTROL_V1 packets of a tls-crypt control channel, encrypted after "
            + "the session id, packet id, time and HMAC; tshark's tls-auth guess reads an ack array and message id out of the "
            + "ciphertext and hands the rest to TLS, which shows it as \"Continuation Data\" (no record ever parses)",
        "ntop-nDPI/openvpn.pcap: openvpn ours 290 tshark 251":
            "tshark is wrong: frames 220 224 226 230 … 655 (39) are OpenVPN over TCP port 443 (P_CONTROL_HARD_RESET_CLIENT_V2, "
            + "P_ACK_V1 after the 16-bit length); tshark's port-443 TLS dissector claims them instead",
        "ntop-nDPI/openvpn.pcap: tls ours 25 tshark 104":
            "tshark is wrong: 79 frames (flows :36138 and :60140 to port 443, e.g. 220 222 224 228) are OpenVPN over TCP that "
            + "tshark's port-443 TLS dissector claims; the 4 of them that end a TLS message in a P_CONTROL_V1 (226 260 267 276) "
            + "count on both sides",
        "ntop-nDPI/rtp.pcapng: rtcp ours 2 tshark 0": "frames 65 79 (RTPFB first, padded): " + srtcpMissed,
        "ntop-nDPI/skype-conference-call.pcap: rtcp ours 155 tshark 0":
            "frames 11–31, 38–200 (RR/PSFB from SSRCs 0x3e8…, 0xe074c7xx of the flow's RTP): " + srtcpMissed,
        "ntop-nDPI/skype.pcap: rtcp ours 0 tshark 1":
            "tshark is wrong: frame 262 (9b cc …) claims an APP packet of 2552 bytes in a 28-byte datagram; its RTCP "
            + "heuristic checks no lengths",
        "ntop-nDPI/skype.pcap: tls ours 177 tshark 163":
            "tshark is wrong: 454 797 1102 1254 (a server's first data after its lost original, which tshark's analysis "
            + "calls a retransmission and does not dissect); 1335 1738 1860 1862 1864 1920 1922 1924 1928 1936 (empty "
            + "records 16/17 03 01 00 00 on TCP 12350 and 13392 that tshark, without a TLS port there, leaves as data — on "
            + "443 it shows the same bytes as malformed TLS, e.g. 1363 1779, as we do; its heuristic takes these flows up "
            + "only at the non-empty records after them, e.g. 1866)",
        "ntop-nDPI/snapchat_call.pcapng: rtcp ours 20 tshark 0": "frames 20 25 28–48 (RR, UDP 443): " + srtcpMissed,
        "ntop-nDPI/snapchat_call.pcapng: rtp ours 1 tshark 0":
            "tshark is wrong: frame 50 is RTP (90 ef, PT 111, RFC 8285 0xBEDE extension) that tshark's gQUIC heuristic on port 443 takes",
        "ntop-nDPI/stun.pcap: rtcp ours 15 tshark 0":
            "frames 102–137, 181 185 186 (XR/RR), 200 (in ChannelData): " + srtcpMissed
            + "; its protocol column even shows rtp:rtcp for 181 185 186, but its rtcp filter count leaves them out",
        "ntop-nDPI/stun.pcap: rtp ours 6 tshark 27":
            "tshark is wrong: frames 165–188 that its `rtp` filter counts are STUN Binding messages and DTLS records "
            + "(frame.protocols says stun/dtls); the SRTP conversation set up by the DTLS use_srtp at 166 leaks into the filter",
        "ntop-nDPI/stun_dtls_rtp.pcapng: rtcp ours 1 tshark 0":
            "frame 24 (80 cf XR, trailer 80000001): " + srtcpMissed
            + "; its protocol column shows rtp:rtcp, its count does not",
        "ntop-nDPI/stun_dtls_rtp.pcapng: rtp ours 11 tshark 22":
            "tshark is wrong: frames 82 83 85 87 89 92 96–100 counted by its `rtp` filter are STUN/DTLS on the DTLS-SRTP "
            + "conversation (as stun.pcap 165–188)",
        "ntop-nDPI/stun_dtls_rtp_unidir.pcapng: dtls ours 13 tshark 0":
            "tshark is wrong: frames 22–34 carry a DTLS record (type 22, version 0xfeff/0xfefd) in the DATA attribute of "
            + "TURN Send/Data indications; tshark shows the attribute as data",
        "ntop-nDPI/stun_dtls_rtp_unidir.pcapng: rtcp ours 1 tshark 0":
            "frame 36 (SR inside a Send indication's DATA): " + srtcpMissed,
        "ntop-nDPI/stun_google_meet.pcapng: rtcp ours 29 tshark 19": "frames 52 56 62 78 142 257 260 272 343 351: "
            + srtcpMissed,
        "ntop-nDPI/stun_msteams_unidir.pcapng: rtcp ours 8 tshark 0": "frames 2–5 8 10–12 (RR/SR from SSRC 0x3e8): "
            + srtcpMissed,
        "ntop-nDPI/stun_signal.pcapng: rtcp ours 71 tshark 69": "frames 239 250 (af cd, RTPFB first, padded): "
            + srtcpMissed,
        "ntop-nDPI/stun_wa_call.pcapng: rtcp ours 25 tshark 0": "frames 21 38 61 … 507 (SR/SDES first): " + srtcpMissed,
        "ntop-nDPI/teams.pcap: rtcp ours 12 tshark 1":
            "frames 1478 1483 1486–1489 1498–1502 (RR first, even port 50016, lengths not multiples of 4): "
            + srtcpMissed,
        "ntop-nDPI/teams.pcap: tls ours 488 tshark 464":
            "tshark is wrong: 596 is certificate bytes after a gap that tshark takes for an SSLv2 record header, after which "
            + "it reads the whole conversation with SSLv2 framing and shows nothing but reassembly: 598 599 602–636 (14) carry "
            + "TLS records it misses; 949 1144 1251 1380 1459 162 1290–1292 1386 (10) are TLS continuation data after a gap "
            + "that tshark leaves undissected (others, like 69 272 592, it labels)",
        "ntop-nDPI/telegram_videocall.pcapng: rtp ours 6 tshark 13":
            "tshark is wrong: frames 756 759 760 786 793 795 800 are single datagrams whose SSRC never repeats "
            + "(Telegram's encrypted reflector traffic); its one-packet heuristic labels them",
        "ntop-nDPI/telegram_videocall.pcapng: tls ours 1 tshark 170":
            "tshark is wrong (checked on 12, 256): frames 12–436 (170) on Telegram's TCP 443 flows are its obfuscated MTProto "
            + "transport (random first bytes, e.g. f8 b9 35 7d at 12, never a record header); tshark's port-443 TLS dissector "
            + "shows them as SSL \"Continuation Data\"; we find no TLS record, so the flow is not TLS",
        "ntop-nDPI/viber.pcap: dtls ours 1 tshark 0":
            "tshark is wrong: frame 465 carries a DTLS ClientHello (16 fe ff …) in a TURN Send indication's DATA attribute; tshark shows data",
        "ntop-nDPI/wa_video.pcap: rtcp ours 35 tshark 59":
            "both tshark's errors: frames 155 165 171 244 … 692 (25, SR/SDES first): " + srtcpMissed
            + "; frames 56 63 64 75 … 143 (49) start 80 c7 — packet type 199, which IANA never assigned (WhatsApp's own "
            + "probes, an 8-byte header in 472-byte datagrams); tshark's RTP dissector hands any marker+PT 64–95 to RTCP",
        "ntop-nDPI/wa_voice.pcap: rtcp ours 41 tshark 12": "frames 464 472 489 513 … 725 (29, SR/SDES first): "
            + srtcpMissed,
        "ntop-nDPI/whatsapp_login_call.pcap: rtcp ours 58 tshark 37": "frames 310 311 353 … 1186 (21, RR/SR first): "
            + srtcpMissed,
        "ntop-nDPI/zoom.pcap: wireguard ours 0 tshark 33":
            "tshark is wrong: frames 703–778 (33) are Zoom media on UDP 8801 inside GTP-U, 81-byte datagrams that start "
            + "04 00 00 00 — not a WireGuard data size (32 + 16n), and no handshake precedes them (see truth/README.md)",
        "sipcapture-heplify/rtp_rtcp_sip_ipv4_udp.pcap: rtcp ours 28 tshark 26":
            "tshark is wrong: frames 531 2646 are clear RTCP (SR+RR+SDES, 2 stray bytes) identical in shape to 529 2644, "
            + "which tshark labels through SDP; to port 4801 no SDP applies and the length is not a multiple of 4",
    ]

    @Test func everyPinIsATsharkError() {
        for (difference, reason) in Self.knownDifferences {
            #expect(
                reason.hasPrefix("tshark is wrong") || reason.contains(Self.srtcpMissed)
                    || reason.hasPrefix("both tshark's errors"),
                "\(difference): \(reason)"
            )
        }
    }

    @Test(
        "per-protocol frame counts equal tshark's, except the pinned differences",
        .enabled(if: SharedCaptures.truthFolder != nil, "../shared/captures/public/truth is not present")
    )
    func countsMatchTshark() throws {
        var differences: Set<String> = []
        for truthFile in TsharkConversationTests.truthFiles {
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: truthFile)) as? [String: Any]
            )
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
        let known = Set(Self.knownDifferences.keys)
        let unexpected = differences.subtracting(known).sorted()
        let gone = known.subtracting(differences).sorted()
        #expect(unexpected.isEmpty, Comment(rawValue: "new differences:\n" + unexpected.joined(separator: "\n")))
        #expect(gone.isEmpty, Comment(rawValue: "pinned differences that went away:\n" + gone.joined(separator: "\n")))
    }
}
