# OpenVPN over TCP 443: the VPN cases once more with a second real tunnel type.
# Server: openvpn in cpt-vpn 10.20.0.6:443/tcp (firewall DNAT 203.0.113.12:443), pool 10.20.98.0/24.

ovpn_pki() {
  local d="$WORK/ovpn"; mkdir -p "$d"; [ -s "$d/pc2.crt" ] && return 0
  ( cd "$d"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=callpath-test-CA -keyout ca.key -out ca.crt 2>/dev/null
    for n in server pc1 pc2; do
      openssl req -newkey rsa:2048 -nodes -subj "/CN=$n" -keyout $n.key -out $n.csr 2>/dev/null
      if [ $n = server ]; then eku=serverAuth; else eku=clientAuth; fi
      printf "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=$eku\n" > $n.ext
      openssl x509 -req -in $n.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile $n.ext -out $n.crt 2>/dev/null
    done )
}

ovpn_server_start() {
  [ -n "${OVPNSPID:-}" ] && return 0
  ovpn_pki
  local d="$WORK/ovpn"
  cat > "$d/server.conf" <<C
local 10.20.0.6
port 443
proto tcp-server
dev tun0
topology subnet
server 10.20.98.0 255.255.255.0
ca $d/ca.crt
cert $d/server.crt
key $d/server.key
dh none
keepalive 10 60
verb 3
C
  bgrun cpt-vpn "$d/server.log" openvpn --config "$d/server.conf"
  OVPNSPID=$LASTPID
  for _ in $(seq 50); do nsx cpt-vpn ss -tlnH | grep -q '10.20.0.6:443' && break; sleep 0.2; done
}

# ovpn_up NS CERTNAME MODE TAG -> VPNPID VPNSTATE
ovpn_up() {
  local ns=$1 cn=$2 mode=$3 tag=$4 d="$WORK/ovpn"
  ovpn_server_start
  VPNSTATE="$SW/vpn-$tag.state.json"; rm -f "$VPNSTATE"
  local extra="route 10.20.0.0 255.255.0.0"
  [ "$mode" = full ] && extra="redirect-gateway def1"
  cat > "$SW/vpn-$tag.ovpn" <<C
client
dev tun0
proto tcp-client
remote 203.0.113.12 443
nobind
ca $d/ca.crt
cert $d/$cn.crt
key $d/$cn.key
remote-cert-tls server
verb 3
$extra
C
  bgrun "$ns" "$SW/vpn-$tag.openvpn.log" openvpn --config "$SW/vpn-$tag.ovpn"
  VPNPID=$LASTPID
  for _ in $(seq 150); do grep -q "Initialization Sequence Completed" "$SW/vpn-$tag.openvpn.log" && break; sleep 0.2; done
  grep -q "Initialization Sequence Completed" "$SW/vpn-$tag.openvpn.log" || { log "OpenVPN $tag did not come up"; tail -5 "$SW/vpn-$tag.openvpn.log" >&2; return 1; }
  nsx "$ns" "$PY" "$HERE/lib/vpnstate.py" up "$VPNSTATE" "$mode" tun0 203.0.113.12 "$SW/vpn-$tag.openvpn.log"
  log "OpenVPN $tag up ($mode): $("$PY" -c "import json;d=json.load(open('$VPNSTATE'));print(d['addr'], d['outerLocal'], '->', d['outerRemote'])")"
}

ovpn_down() {  # ovpn_down PID STATE
  stop_pid "$1" TERM
  "$PY" "$HERE/lib/vpnstate.py" down "$2"
}

scenario_ovpn_full() {
  vpn_call_scenario ovpn ovpn-full full "PC1 at home connects the company VPN over OpenVPN on TCP 443 (203.0.113.12:443 DNAT -> 10.20.0.6; tun0 10.20.98.x) in FULL-TUNNEL mode (redirect-gateway def1), then calls PC3 (10.20.0.30). STUN/TURN configured on both. On eth0 the call is inside the OpenVPN TCP flow; the -tun0 capture shows the inner media."
}

scenario_ovpn_split() {
  vpn_call_scenario ovpn ovpn-split split "PC1 connects the company VPN over OpenVPN TCP 443 in SPLIT-TUNNEL mode (only 10.20.0.0/16 via tun0), then calls PC3 (10.20.0.30). Label = the pair ICE actually selected."
}

scenario_ovpn_full_lan() {
  vpn_call_scenario ovpn ovpn-full-lan full "PC1 has the company VPN up over OpenVPN TCP 443 in FULL-TUNNEL mode and calls PC2 on the same home LAN (PC2 has no VPN). Label = the pair ICE actually selected." cpt-pc2 pc2
}

scenario_ovpn_drop() { vpn_drop_scenario ovpn ovpn-drop; }
scenario_ovpn_tunnel_tunnel() { vpn_tunnel_tunnel_scenario ovpn ovpn-tunnel-tunnel; }
