#!/usr/bin/env python3
"""Re-encapsulates real captured packets for the tunnels this machine cannot run (its kernel has no
ESP transform, no GRE, L2TP or PPP; strongSwan 5.9.8's userspace ESP always uses UDP):

  esp   ipsec-direct.pcap (a real strongSwan IKEv2 + ESP-in-UDP exchange without NAT) as it would
        be without UDP encapsulation: every ESP-in-UDP datagram on 4500 becomes IP protocol 50 with
        the same ESP bytes (the UDP header removed), every IKE message on 4500 goes back to UDP 500
        without its four-byte non-ESP marker (RFC 3948 §2.2); IKE_SA_INIT on 500 and ARP stay.
  l2tp  the inner packets of the WireGuard run (inner-media.pcap, raw IPv4 from the tunnel
        interface) carried in L2TPv2 data messages (RFC 2661) over UDP 1701 with PPP (FF 03 0021),
        after the control connection and session set-up (SCCRQ, SCCRP, SCCCN, ZLB, ICRQ, ICRP,
        ICCN, ZLB), LCP and IPCP negotiation, and torn down (CDN, StopCCN, ZLB) at the end.
  gre   the same inner packets in GRE (RFC 2784, protocol type 0x0800); the first four carry the
        optional checksum.
  pptp  the same inner packets in enhanced GRE version 1 (RFC 2637 §4.1: key = payload length +
        peer's call id, sequence numbers, piggybacked acks) with PPP (FF 03 0021), after a PPTP
        control connection on TCP 1723 (Start-Control-Connection-Request/Reply,
        Outgoing-Call-Request/Reply, Set-Link-Info) and LCP/IPCP in GRE; Call-Clear-Request,
        Call-Disconnect-Notify and Stop-Control-Connection-Request/Reply end it.

Every inner packet and its timestamp is kept as captured; the outer addresses are the client
(192.168.50.2, behind the home router) and the VPN server (203.0.113.20) of the real runs.
Deterministic: no randomness, so a rebuild from the same input writes the same bytes.

    reencap.py esp|l2tp|gre|pptp INPUT OUTPUT"""
import struct
import sys

from scapy.all import (ARP, GRE, IP, PPP, TCP, UDP, Ether, Raw, rdpcap, wrpcap)
from scapy.layers.l2 import GRE_PPTP
from scapy.layers.ppp import (PPP_IPCP, PPP_IPCP_Option_IPAddress, PPP_LCP_Configure, PPP_LCP_Magic_Number_Option,
                              PPP_LCP_MRU_Option)
from scapy.layers.pptp import (PPTPCallClearRequest, PPTPCallDisconnectNotify, PPTPOutgoingCallReply,
                               PPTPOutgoingCallRequest, PPTPSetLinkInfo, PPTPStartControlConnectionReply,
                               PPTPStartControlConnectionRequest, PPTPStopControlConnectionReply,
                               PPTPStopControlConnectionRequest)

CLIENT, SERVER = "192.168.50.2", "203.0.113.20"
CLIENT_INNER = "10.31.0.2"
CLIENT_MAC, GATEWAY_MAC = "02:00:c0:a8:32:02", "02:00:c0:a8:32:01"


class Outer:
    """Ethernet + IPv4 towards or from the server, with the client's IP ids counting up."""

    def __init__(self):
        self.ids = {True: 0x1000, False: 0x7000}

    def ip(self, upstream, proto=None):
        self.ids[upstream] += 1
        ether = Ether(src=CLIENT_MAC, dst=GATEWAY_MAC) if upstream else Ether(src=GATEWAY_MAC, dst=CLIENT_MAC)
        fields = dict(src=CLIENT, dst=SERVER) if upstream else dict(src=SERVER, dst=CLIENT)
        fields.update(id=self.ids[upstream] & 0xFFFF, flags="DF", ttl=64 if upstream else 57)
        if proto is not None:
            fields["proto"] = proto
        return ether / IP(**fields)


def stamped(packet, time):
    packet = Ether(bytes(packet))  # fill lengths and checksums now
    packet.time = time
    return packet


def inner_packets(path):
    """(time, bytes, upstream) of every IPv4 packet of a raw-IP capture."""
    result = []
    for p in rdpcap(path):
        data = bytes(p)
        if data[0] >> 4 != 4:
            continue
        source = ".".join(str(b) for b in data[12:16])
        result.append((p.time, data, source == CLIENT_INNER))
    return result


# ------------------------------------------------------------------------------------------ ESP

def esp(source, target):
    out = []
    for p in rdpcap(source):
        if IP in p and UDP in p and 4500 in (p[UDP].sport, p[UDP].dport):
            payload = bytes(p[UDP].payload)
            ip = p[IP]
            if len(payload) > 4 and payload[:4] != b"\0\0\0\0":  # ESP-in-UDP → ESP
                new = Ether(bytes(p[Ether])[:14]) / IP(src=ip.src, dst=ip.dst, id=ip.id, flags=ip.flags, ttl=ip.ttl,
                                                      tos=ip.tos, proto=50) / Raw(payload)
            elif payload[:4] == b"\0\0\0\0":  # IKE after the non-ESP marker → IKE on 500
                new = Ether(bytes(p[Ether])[:14]) / IP(src=ip.src, dst=ip.dst, id=ip.id, flags=ip.flags, ttl=ip.ttl,
                                                      tos=ip.tos) / UDP(sport=500, dport=500) / Raw(payload[4:])
            else:
                continue  # a NAT-keepalive has no place without NAT-T
            out.append(stamped(new, p.time))
        else:
            q = p.copy()
            out.append(q)
    wrpcap(target, out, linktype=1)


# ------------------------------------------------------------------------------------------ L2TP

def avp(attribute, value, mandatory=True):
    """An L2TP AVP (RFC 2661 §4.1): M bit, 10-bit length, vendor 0, attribute type, value."""
    return struct.pack("!HHH", (0x8000 if mandatory else 0) | (6 + len(value)), 0, attribute) + value


def l2tp_control(tunnel, session, ns, nr, avps=b""):
    """T, L, S set, version 2; ZLB when there are no AVPs."""
    return struct.pack("!HHHHHH", 0xC802, 12 + len(avps), tunnel, session, ns, nr) + avps


def l2tp_data(tunnel, session, ppp):
    return struct.pack("!HHHH", 0x4002, 8 + len(ppp), tunnel, session) + ppp


def msg(kind):
    return avp(0, struct.pack("!H", kind))


LCP_CLIENT = bytes(PPP_LCP_Configure(code=1, id=1, options=[PPP_LCP_MRU_Option(max_recv_unit=1400),
                                                            PPP_LCP_Magic_Number_Option(magic_number=0x5E4E0001)]))
LCP_SERVER = bytes(PPP_LCP_Configure(code=1, id=1, options=[PPP_LCP_MRU_Option(max_recv_unit=1400),
                                                            PPP_LCP_Magic_Number_Option(magic_number=0x5E4E0002)]))


def ack(configure):
    return bytes([2]) + configure[1:]


def ipcp(code, ident, address):
    return bytes(PPP_IPCP(code=code, id=ident, options=[PPP_IPCP_Option_IPAddress(data=address)]))


def ppp_negotiation():
    """(upstream, PPP frame with FF 03): LCP both ways, then IPCP with the server assigning 10.31.0.2."""
    hdlc = b"\xff\x03"
    return [
        (True, hdlc + b"\xc0\x21" + LCP_CLIENT), (False, hdlc + b"\xc0\x21" + LCP_SERVER),
        (False, hdlc + b"\xc0\x21" + ack(LCP_CLIENT)), (True, hdlc + b"\xc0\x21" + ack(LCP_SERVER)),
        (True, hdlc + b"\x80\x21" + ipcp(1, 1, "0.0.0.0")), (False, hdlc + b"\x80\x21" + ipcp(1, 1, "10.31.0.1")),
        (False, hdlc + b"\x80\x21" + ipcp(3, 1, CLIENT_INNER)), (True, hdlc + b"\x80\x21" + ipcp(2, 1, "10.31.0.1")),
        (True, hdlc + b"\x80\x21" + ipcp(1, 2, CLIENT_INNER)), (False, hdlc + b"\x80\x21" + ipcp(2, 2, CLIENT_INNER)),
    ]


def l2tp(source, target):
    inner = inner_packets(source)
    outer = Outer()
    lac_tunnel, lns_tunnel, lac_session, lns_session = 0x1a2b, 0x5e4e, 0x0c01, 0x0d02
    upstream_udp = lambda up: UDP(sport=1701, dport=1701)
    t0, t_end = inner[0][0], inner[-1][0]
    setup = [
        # (upstream, payload): the LAC (client) calls the LNS (server)
        (True, l2tp_control(0, 0, 0, 0, msg(1) + avp(2, b"\x01\x00") + avp(3, struct.pack("!I", 3))
                            + avp(7, b"client.callpath.test") + avp(9, struct.pack("!H", lac_tunnel))
                            + avp(10, struct.pack("!H", 4), mandatory=False))),  # SCCRQ
        (False, l2tp_control(lac_tunnel, 0, 0, 1, msg(2) + avp(2, b"\x01\x00") + avp(3, struct.pack("!I", 3))
                             + avp(7, b"vpn.callpath.test") + avp(9, struct.pack("!H", lns_tunnel)))),  # SCCRP
        (True, l2tp_control(lns_tunnel, 0, 1, 1, msg(3))),  # SCCCN
        (False, l2tp_control(lac_tunnel, 0, 1, 2)),  # ZLB
        (True, l2tp_control(lns_tunnel, 0, 2, 1, msg(10) + avp(14, struct.pack("!H", lac_session))
                            + avp(15, struct.pack("!I", 1)))),  # ICRQ
        (False, l2tp_control(lac_tunnel, lac_session, 1, 3, msg(11) + avp(14, struct.pack("!H", lns_session)))),  # ICRP
        (True, l2tp_control(lns_tunnel, lns_session, 3, 2, msg(12) + avp(24, struct.pack("!I", 100000000))
                            + avp(19, struct.pack("!I", 1)))),  # ICCN
        (False, l2tp_control(lac_tunnel, 0, 2, 4)),  # ZLB
    ]
    data = lambda up, ppp: l2tp_data(lns_tunnel if up else lac_tunnel, lns_session if up else lac_session, ppp)
    setup += [(up, data(up, frame)) for up, frame in ppp_negotiation()]
    out = []
    for i, (up, payload) in enumerate(setup):
        out.append(stamped(outer.ip(up) / upstream_udp(up) / Raw(payload), t0 - (len(setup) - i) * 0.004))
    for time, packet, up in inner:
        out.append(stamped(outer.ip(up) / upstream_udp(up) / Raw(data(up, b"\xff\x03\x00\x21" + packet)), time))
    teardown = [
        (True, l2tp_control(lns_tunnel, lns_session, 4, 2, msg(14) + avp(1, struct.pack("!HH", 3, 0))
                            + avp(14, struct.pack("!H", lac_session)))),  # CDN, administrative
        (False, l2tp_control(lac_tunnel, 0, 2, 5)),  # ZLB
        (True, l2tp_control(lns_tunnel, 0, 5, 2, msg(4) + avp(9, struct.pack("!H", lac_tunnel))
                            + avp(1, struct.pack("!H", 6)))),  # StopCCN
        (False, l2tp_control(lac_tunnel, 0, 2, 6)),  # ZLB
    ]
    for i, (up, payload) in enumerate(teardown):
        out.append(stamped(outer.ip(up) / upstream_udp(up) / Raw(payload), t_end + (i + 1) * 0.004))
    wrpcap(target, out, linktype=1)


# ------------------------------------------------------------------------------------------ GRE

def gre(source, target):
    outer = Outer()
    out = []
    for i, (time, packet, up) in enumerate(inner_packets(source)):
        header = GRE(chksum_present=1, proto=0x0800) if i < 4 else GRE(proto=0x0800)
        out.append(stamped(outer.ip(up, proto=47) / header / Raw(packet), time))
    wrpcap(target, out, linktype=1)


# ------------------------------------------------------------------------------------------ PPTP

class TCPFlow:
    """One TCP connection client:port ↔ server:1723 with sequence numbers kept right."""

    def __init__(self, outer, sport):
        self.outer, self.sport = outer, sport
        self.seq = {True: 0x3A000000, False: 0x9C000000}

    def segment(self, up, flags, payload=b""):
        tcp = TCP(sport=self.sport if up else 1723, dport=1723 if up else self.sport, flags=flags,
                  seq=self.seq[up], ack=self.seq[not up] if "A" in flags else 0, window=64240 if up else 65160)
        packet = self.outer.ip(up) / tcp / Raw(payload) if payload else self.outer.ip(up) / tcp
        self.seq[up] += len(payload) + (1 if "S" in flags or "F" in flags else 0)
        return packet


def pptp(source, target):
    inner = inner_packets(source)
    outer = Outer()
    flow = TCPFlow(outer, 41500)
    client_call, server_call = 0x4001, 0x8002
    t0, t_end = inner[0][0], inner[-1][0]
    control = [
        flow.segment(True, "S"), flow.segment(False, "SA"), flow.segment(True, "A"),
        flow.segment(True, "PA", bytes(PPTPStartControlConnectionRequest(
            framing_capabilities=1, bearer_capabilities=1, maximum_channels=0, firmware_revision=1,
            host_name="client.callpath.test", vendor_string="callpath test"))),
        flow.segment(False, "PA", bytes(PPTPStartControlConnectionReply(
            result_code=1, framing_capabilities=1, bearer_capabilities=1, maximum_channels=1, firmware_revision=1,
            host_name="vpn.callpath.test", vendor_string="callpath test"))),
        flow.segment(True, "PA", bytes(PPTPOutgoingCallRequest(
            call_id=client_call, call_serial_number=1, minimum_bps=2400, maximum_bps=100000000, bearer_type=3,
            framing_type=3, pkt_window_size=64, pkt_proc_delay=0))),
        flow.segment(False, "PA", bytes(PPTPOutgoingCallReply(
            call_id=server_call, peer_call_id=client_call, result_code=1, connect_speed=100000000,
            pkt_window_size=64, pkt_proc_delay=0, channel_id=0))),
        flow.segment(True, "PA", bytes(PPTPSetLinkInfo(peer_call_id=server_call, send_accm=0xFFFFFFFF,
                                                       receive_accm=0xFFFFFFFF))),
        flow.segment(False, "A"),
    ]
    # Enhanced GRE: each side numbers its payload packets and acks the peer's highest so far.
    sent = {True: 0, False: 0}
    last_seen = {True: None, False: None}  # the highest sequence number each side received

    def gre_packet(up, ppp):
        ack_number = last_seen[up]
        header = GRE_PPTP(seqnum_present=1, acknum_present=1 if ack_number is not None else 0, proto=0x880B,
                          payload_len=len(ppp), call_id=server_call if up else client_call, sequence_number=sent[up])
        if ack_number is not None:
            header.ack_number = ack_number
        last_seen[not up] = sent[up]
        sent[up] += 1
        return outer.ip(up, proto=47) / header / Raw(ppp)

    negotiation = [gre_packet(up, frame) for up, frame in ppp_negotiation()]
    setup = control + negotiation
    out = [stamped(p, t0 - (len(setup) - i) * 0.004) for i, p in enumerate(setup)]
    for time, packet, up in inner:
        out.append(stamped(gre_packet(up, b"\xff\x03\x00\x21" + packet), time))
    teardown = [
        flow.segment(True, "PA", bytes(PPTPCallClearRequest(call_id=client_call))),
        flow.segment(False, "PA", bytes(PPTPCallDisconnectNotify(call_id=server_call, result_code=3))),
        flow.segment(True, "PA", bytes(PPTPStopControlConnectionRequest(reason=1))),
        flow.segment(False, "PA", bytes(PPTPStopControlConnectionReply(result_code=1))),
        flow.segment(True, "FA"), flow.segment(False, "FA"), flow.segment(True, "A"),
    ]
    out += [stamped(p, t_end + (i + 1) * 0.004) for i, p in enumerate(teardown)]
    wrpcap(target, out, linktype=1)


def truth(kind, target):
    """TARGET's stem + .tunnel.json: the tunnel these packets were put in and the media inside, taken
    from the real run's own record (strongSwan's SAs for esp, the media senders for the others)."""
    import json
    import os
    here = os.path.dirname(os.path.abspath(target))
    if kind == "esp":
        result = json.load(open(os.path.join(here, "ipsec-direct.tunnel.json")))
        result["capture"] = os.path.basename(target)
        result["reencapsulated"] = ("ipsec-direct.pcap without UDP encapsulation: ESP-in-UDP on 4500 as IP protocol 50, "
                                    "IKE on 4500 back on 500 without the non-ESP marker (reencap.py)")
        result["outer"] = {"local": result["client"]["local-host"], "remote": result["client"]["remote-host"]}
    else:
        run = json.load(open(os.path.join(here, "wireguard.tunnel.json")))
        ports = {"l2tp": (":1701", ":1701"), "gre": ("", ""), "pptp": ("", "")}[kind]
        result = {"tunnel": kind, "path": "vpn", "capture": os.path.basename(target),
                  "source": "re-encapsulated by reencap.py from inner-media.pcap (the WireGuard run's tunnel "
                            "interface); media from the senders' own record in wireguard.tunnel.json",
                  "outer": {"local": CLIENT + ports[0], "remote": SERVER + ports[1]}}
        if kind == "pptp":
            result["control"] = {"local": CLIENT + ":41500", "remote": SERVER + ":1723"}
        result["media"] = run["media"]
    result["innerMedia"] = {"local": result["media"][0]["local"], "remote": result["media"][0]["remote"]}
    stem = target[:-len(".pcap")]
    with open(stem + ".tunnel.json", "w") as out:
        json.dump(result, out, indent=1)
        out.write("\n")


if __name__ == "__main__":
    kind, source, target = sys.argv[1:4]
    {"esp": esp, "l2tp": l2tp, "gre": gre, "pptp": pptp}[kind](source, target)
    truth(kind, target)
