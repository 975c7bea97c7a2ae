# Scenarios without a VPN.  Sourced by make-captures.sh.

# manifest_simple SCEN DESC PEERNAME "CALLTAGS..." [NOTES]
manifest_simple() {
  local scen=$1 desc=$2 peer=$3 tags=$4 notes=${5:-}
  local calls="" t
  for t in $tags; do
    [ -n "$calls" ] && calls+=","
    calls+="{\"pc1\":\"$SW/$t/pc1.json\",\"peer\":\"$SW/$t/$peer.json\",\"peerName\":\"$peer\",\"vpn\":null,\"notes\":$(printf '%s' "$notes" | "$PY" -c 'import json,sys;print(json.dumps(sys.stdin.read() or None))')}"
  done
  finish "{\"scenario\":\"$scen\",\"description\":$(printf '%s' "$desc" | "$PY" -c 'import json,sys;print(json.dumps(sys.stdin.read()))'),\"outdir\":\"$CAPDIR/$scen\",
   \"captures\":[{\"file\":\"$SW/$scen.pcapng\",\"name\":\"$scen.pcapng\",\"point\":\"$LANPOINT\",\"iface\":\"eth0\"}],
   \"calls\":[$calls]}"
}

scenario_lan_direct() {
  begin lan-direct
  start_cap cpt-pc1 eth0 "$SW/$SCEN.pcapng"
  call c1 cpt-pc2 pc2 "--stun $STUN --turn $TURN_UDP --duration 5" "--stun $STUN --turn $TURN_UDP"
  stop_cap "$CAPPID"
  manifest_simple lan-direct "PC1 (192.168.178.91) calls PC2 (192.168.178.89) on the same home LAN, no VPN. Both aiortc agents have STUN+TURN (coturn 192.0.2.10:3478) configured; ICE picks host<->host." pc2 c1
}

scenario_novpn_srflx() {
  begin novpn-srflx
  start_cap cpt-pc1 eth0 "$SW/$SCEN.pcapng"
  call c1 cpt-pc3 pc3 "--stun $STUN --turn $TURN_UDP --duration 5" "--stun $STUN --turn $TURN_UDP"
  stop_cap "$CAPPID"
  manifest_simple novpn-srflx "PC1 at home (NAT 198.51.100.10, unsolicited inbound dropped) without VPN calls PC3 in the company LAN (firewall NAT 203.0.113.11 for outbound, unsolicited inbound dropped). STUN+TURN configured on both; the path is whatever ICE selected (server-reflexive through both NATs)." pc3 c1
}

scenario_relay_forced() {
  begin relay-forced
  start_cap cpt-pc1 eth0 "$SW/$SCEN.pcapng"
  call c1 cpt-pc3 pc3 "--stun $STUN --turn $TURN_UDP --relay-only --duration 5" "--stun $STUN --turn $TURN_UDP"
  stop_cap "$CAPPID"
  manifest_simple relay-forced "PC1 (no VPN) calls PC3 in the company; PC1's agent uses iceTransportPolicy=relay, so it only offers and uses its TURN (coturn, UDP 3478, long-term credentials) relay candidate. Media PC1 <-> coturn 192.0.2.10:3478 (ChannelData)." pc3 c1 "ICE policy relay-only on PC1"
}

scenario_udp_blocked_turn_tcp() {
  begin udp-blocked-turn-tcp
  nsx cpt-home iptables -I HOMEOUT 1 -p udp -j DROP
  start_cap cpt-pc1 eth0 "$SW/$SCEN.pcapng"
  call c1 cpt-pc3 pc3 "--stun $STUN --turn $TURN_TCP443 --duration 5" "--stun $STUN --turn $TURN_UDP"
  stop_cap "$CAPPID"
  nsx cpt-home iptables -D HOMEOUT -p udp -j DROP
  manifest_simple udp-blocked-turn-tcp "The home router drops all outbound UDP (iptables -I HOMEOUT -p udp -j DROP). PC1 is configured with STUN 192.0.2.10:3478 and TURN over TCP 443 (turn:192.0.2.10:443?transport=tcp; aioice accepts only one TURN server, so the Teams-style TCP-443 fallback is given directly). PC3 uses TURN/UDP. ICE can only succeed via PC1's TCP relay allocation." pc3 c1 "home router blocks outbound UDP"
}

scenario_udp_blocked_turn_tls() {
  begin udp-blocked-turn-tls
  nsx cpt-home iptables -I HOMEOUT 1 -p udp -j DROP
  start_cap cpt-pc1 eth0 "$SW/$SCEN.pcapng"
  call c1 cpt-pc3 pc3 "--stun $STUN --turn $TURN_TLS443 --ca-file $WORK/turn/turn-san.crt --duration 5" "--stun $STUN --turn $TURN_UDP"
  stop_cap "$CAPPID"
  nsx cpt-home iptables -D HOMEOUT -p udp -j DROP
  manifest_simple udp-blocked-turn-tls "The home router drops all outbound UDP. PC1 is configured with STUN 192.0.2.10:3478 and TURN over TLS on TCP 443 (turns:192.0.2.10:443?transport=tcp; coturn's self-signed certificate, with the server IP as subjectAltName, is trusted via SSL_CERT_FILE). PC3 uses TURN/UDP. ICE can only succeed via PC1's TLS relay allocation, as a Teams client does through a UDP-blocking network." pc3 c1 "home router blocks outbound UDP; TURN over TLS 443"
}
