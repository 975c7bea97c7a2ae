# IP-HTTPS (MS-IPHTTPS, DirectAccess's transport): the study's other VPN.  Sourced by make-captures.sh.
# Server: iphttps.py in cpt-vpn 10.20.0.7:443 (firewall DNAT 203.0.113.13:443), TUN iphttps0,
# IP-HTTPS prefix 2001:db8:20:97::/64, routed to the company LAN 2001:db8:20::/64 (PC3 2001:db8:20::30).
# Client: iphttps.py on PC1, TUN iphttps0, address from the server's Router Advertisement.

iphttps_server_start() {
  [ -n "${IPHSPID:-}" ] && return 0
  local d="$WORK/iphttps"; mkdir -p "$d"
  # an RSA certificate made at run time (TLS_RSA_* suites need an RSA key)
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=iphttps.callpath.test \
      -addext "subjectAltName=DNS:iphttps.callpath.test,IP:203.0.113.13" \
      -keyout "$d/iphttps.key" -out "$d/iphttps.crt" 2>/dev/null
  rm -f "$d/server.log"
  bgrun cpt-vpn "$d/server.out" "$PY" "$HERE/iphttps.py" server --listen 10.20.0.7 --port 443 \
      --cert "$d/iphttps.crt" --key "$d/iphttps.key" --iface iphttps0 --prefix 2001:db8:20:97::/64 --log "$d/server.log"
  IPHSPID=$LASTPID
  for _ in $(seq 50); do nsx cpt-vpn ss -tlnH | grep -q '10.20.0.7:443' && break; sleep 0.2; done
}

iphttps_server_stop() {
  [ -n "${IPHSPID:-}" ] || return 0
  stop_pid "$IPHSPID" TERM; IPHSPID=
}

# iphttps_up NS TAG -> VPNPID VPNSTATE
iphttps_up() {
  local ns=$1 tag=$2 d="$WORK/iphttps"
  iphttps_server_start
  VPNSTATE="$SW/vpn-$tag.state.json"; rm -f "$VPNSTATE"
  bgrun "$ns" "$SW/vpn-$tag.iphttps.out" "$PY" "$HERE/iphttps.py" client --connect 203.0.113.13 --port 443 \
      --url https://iphttps.callpath.test/IPHTTPS --cafile "$d/iphttps.crt" --iface iphttps0 \
      --state "$VPNSTATE" --log "$SW/vpn-$tag.iphttps.log"
  VPNPID=$LASTPID
  for _ in $(seq 100); do
    [ -s "$VPNSTATE" ] && break
    kill -0 "$VPNPID" 2>/dev/null || break
    sleep 0.1
  done
  [ -s "$VPNSTATE" ] || { log "IP-HTTPS $tag did not come up"; tail -5 "$SW/vpn-$tag.iphttps."* >&2; return 1; }
  log "IP-HTTPS $tag up: $("$PY" -c "import json;d=json.load(open('$VPNSTATE'));print(d['addr'], d['tlsVersion'], d['tlsCipher'], d['outerLocal'], '->', d['outerRemote'])")"
}

iphttps_down() {  # iphttps_down PID STATE
  stop_pid "$1" TERM
  for _ in $(seq 30); do grep -q '"downAt"' "$2" 2>/dev/null && break; sleep 0.1; done
}

hotel_block() {   # the hotel network: only TCP 80/443 out from PC1's side
  nsx cpt-home iptables -I HOMEOUT 1 -p tcp -m multiport --dports 80,443 -j ACCEPT
  nsx cpt-home iptables -I HOMEOUT 2 -j DROP
}
hotel_unblock() {
  nsx cpt-home iptables -D HOMEOUT -p tcp -m multiport --dports 80,443 -j ACCEPT
  nsx cpt-home iptables -D HOMEOUT -j DROP
}

scenario_iphttps() {
  begin iphttps
  corp6_up
  hotel_block
  start_cap cpt-pc1 eth0 "$SW/$SCEN.pcapng"; local c1=$CAPPID
  iphttps_up cpt-pc1 pc1
  local vpid=$VPNPID vst=$VPNSTATE
  start_cap cpt-pc1 iphttps0 "$SW/$SCEN-iphttps0.pcapng"; local c2=$CAPPID
  call c1 cpt-pc3 pc3 "--stun $STUN --turn $TURN_UDP --duration 5" "--stun $STUN --turn $TURN_UDP"
  stop_cap "$c2"
  iphttps_down "$vpid" "$vst"
  stop_cap "$c1"
  hotel_unblock
  iphttps_server_stop
  corp6_down
  manifest_vpn iphttps "PC1 sits in a hotel-like network (the home router lets only TCP 80/443 out: HOMEOUT accepts tcp dports 80,443 and drops everything else) and connects the company over IP-HTTPS (MS-IPHTTPS, DirectAccess's transport; our implementation iphttps.py): TCP 443 to 203.0.113.13 (firewall DNAT -> 10.20.0.7), TLS 1.2 with the NULL-encryption suite the server offers (TLS_RSA_WITH_NULL_SHA256, as Windows 8+ with -NullEncryption), POST /IPHTTPS with Content-Length 18446744073709551615, HTTP/1.1 200 OK, then raw IPv6 packets back to back in the TLS records. PC1 gets 2001:db8:20:97::/64 + random interface id from the server's Router Advertisement on iphttps0 (TUN) and the IPv6 default route through it. PC3 has the company IPv6 address 2001:db8:20::30. Both agents have STUN + TURN/UDP configured (Teams-like); from PC1 UDP is blocked, so the IPv6 host pair through the tunnel is the only one that can work. On eth0 the call is inside the TLS flow, readable because the suite is NULL; the -iphttps0 capture shows the inner IPv6 media." \
    pc3 "c1|$vst" iphttps0
  "$PY" "$HERE/lib/iphttps-confirm.py" "$CAPDIR/iphttps/iphttps.pcapng" "$CAPDIR/iphttps/iphttps.truth.json" \
      > "$CAPDIR/iphttps/iphttps.tshark-tls.txt"
  log "iphttps: $(grep -m1 'ServerHello cipher suite' "$CAPDIR/iphttps/iphttps.tshark-tls.txt")"
}
