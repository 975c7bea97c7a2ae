# SSTP VPN scenarios.  Sourced by make-captures.sh.
# Server: sstp-server (PyPI, patched) in cpt-vpn 10.20.0.5:443, reached via the
# company firewall's DNAT 203.0.113.10:443; PPP on both ends is userppp.py over
# TUN devices named pppN.  Client: Debian's sstpc, whose pppd is userppp.py.

sstp_server_start() {
  [ -n "${SSTPDPID:-}" ] && return 0
  local d="$WORK/vpn"; mkdir -p "$d"
  [ -s "$d/vpn.crt" ] || openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=vpn.callpath.test \
      -keyout "$d/vpn.key" -out "$d/vpn.crt" 2>/dev/null
  printf '#!/bin/sh\nexec %s %s --server-role "$@"\n' "$PY" "$HERE/userppp.py" > "$d/userppp-server"
  printf '#!/bin/sh\nexec %s %s --pppd-role "$@"\n' "$PY" "$HERE/userppp.py" > "$d/fake-pppd"
  chmod +x "$d/userppp-server" "$d/fake-pppd"
  echo "{\"secrets\":{\"alice\":\"vpnpass1\",\"bob\":\"vpnpass2\"},\"log\":\"$d/ppp-server.log\"}" > "$d/ppp-server.json"
  bgrun cpt-vpn "$d/sstpd.log" "$HERE/.venv/bin/sstpd" -l 10.20.0.5 -p 443 -c "$d/vpn.crt" -k "$d/vpn.key" \
      --pppd "$d/userppp-server" --pppd-config "$d/ppp-server.json" --local 10.20.99.1 --remote 10.20.99.0/24
  SSTPDPID=$LASTPID
  for _ in $(seq 50); do nsx cpt-vpn ss -tlnH | grep -q '10.20.0.5:443' && break; sleep 0.2; done
}

# sstp_up NS USER PASS MODE TAG  -> VPNPID, VPNSTATE
sstp_up() {
  local ns=$1 user=$2 pass=$3 mode=$4 tag=$5
  sstp_server_start
  local conf="$SW/vpn-$tag.conf.json"; VPNSTATE="$SW/vpn-$tag.state.json"; rm -f "$VPNSTATE"
  echo "{\"mode\":\"$mode\",\"iface\":\"ppp0\",\"server\":\"203.0.113.10\",\"lanGw\":\"192.168.178.1\",\"splitRoutes\":\"10.20.0.0/16\",\"state\":\"$VPNSTATE\",\"log\":\"$SW/vpn-$tag.ppp.log\"}" > "$conf"
  local attempt
  for attempt in 1 2 3; do
    bgrun "$ns" "$SW/vpn-$tag.sstpc.log" env CALLPATH_PPP_CONF="$conf" unshare -m sh -c \
       "mount --bind '$WORK/vpn/fake-pppd' /usr/sbin/pppd && exec sstpc --cert-warn --log-stderr --log-level 3 --user '$user' --password '$pass' 203.0.113.10"
    VPNPID=$LASTPID
    for _ in $(seq 100); do
      [ -s "$VPNSTATE" ] && "$PY" -c "import json,sys;sys.exit(0 if json.load(open('$VPNSTATE')).get('up') else 1)" 2>/dev/null && break
      kill -0 "$VPNPID" 2>/dev/null || break
      sleep 0.2
    done
    [ -s "$VPNSTATE" ] && "$PY" -c "import json,sys;sys.exit(0 if json.load(open('$VPNSTATE')).get('up') else 1)" && break
    log "SSTP VPN $tag attempt $attempt failed: $(grep -a 'sstpc\[' "$SW/vpn-$tag.sstpc.log" | tail -1)"
    cp "$SW/vpn-$tag.sstpc.log" "$SW/vpn-$tag.sstpc.attempt$attempt.log"
    stop_pid "$VPNPID" TERM
    [ "$attempt" = 3 ] && return 1
    sleep 1
  done
  grep -aq "Connection Established" "$SW/vpn-$tag.sstpc.log" || sleep 1
  log "SSTP $tag up ($mode): $("$PY" -c "import json;d=json.load(open('$VPNSTATE'));print(d['addr'], d['outerLocal'], '->', d['outerRemote'])")"
}

vpn_down() {  # vpn_down PID STATEFILE
  stop_pid "$1" TERM
  for _ in $(seq 30); do grep -q '"downAt"' "$2" 2>/dev/null && break; sleep 0.1; done
}

# manifest with a VPN: manifest_vpn SCEN DESC PEER "TAG:STATEFILE[:NOTES] ..." TUNIF [PPP_CALL_IDX]
manifest_vpn() {
  local scen=$1 desc=$2 peer=$3 specs=$4 tunif=$5 pppcalls=${6:-0}
  local calls="" spec t st notes
  for spec in $specs; do
    IFS='|' read -r t st notes <<<"$spec"
    [ -n "$calls" ] && calls+=","
    calls+="{\"pc1\":\"$SW/$t/pc1.json\",\"peer\":\"$SW/$t/$peer.json\",\"peerName\":\"$peer\",\"vpnStateFile\":\"$st\",\"notes\":$(printf '%s' "${notes//_/ }" | "$PY" -c 'import json,sys;print(json.dumps(sys.stdin.read() or None))')}"
  done
  finish "{\"scenario\":\"$scen\",\"description\":$(printf '%s' "$desc" | "$PY" -c 'import json,sys;print(json.dumps(sys.stdin.read()))'),\"outdir\":\"$CAPDIR/$scen\",
   \"captures\":[{\"file\":\"$SW/$scen.pcapng\",\"name\":\"$scen.pcapng\",\"point\":\"$LANPOINT\",\"iface\":\"eth0\"},
                 {\"file\":\"$SW/$scen-$tunif.pcapng\",\"name\":\"$scen-$tunif.pcapng\",\"point\":\"pc1 VPN interface ($tunif)\",\"iface\":\"$tunif\",\"calls\":[$pppcalls]}],
   \"calls\":[$calls]}"
}

# ---- VPN-type-independent helpers (TYPE = sstp | ovpn)
vpn_iface() { [ "$1" = sstp ] && echo ppp0 || echo tun0; }
vpn_name() { [ "$1" = sstp ] && echo "SSTP" || echo "OpenVPN (TCP 443)"; }

vpn_up() {  # vpn_up TYPE NS WHO(pc1|pc2) MODE TAG -> VPNPID VPNSTATE
  local type=$1 ns=$2 who=$3 mode=$4 tag=$5
  if [ "$type" = sstp ]; then
    if [ "$who" = pc1 ]; then sstp_up "$ns" alice vpnpass1 "$mode" "$tag"; else sstp_up "$ns" bob vpnpass2 "$mode" "$tag"; fi
  else
    ovpn_up "$ns" "$who" "$mode" "$tag"
  fi
}

vpn_stop() {  # vpn_stop TYPE PID STATE
  if [ "$1" = sstp ]; then vpn_down "$2" "$3"; else ovpn_down "$2" "$3"; fi
}

# vpn_drop_later TYPE PID STATE FLAGFILE DELAY: background; drops the VPN DELAY s after FLAGFILE appears.
# SSTP: userppp.py records downAt itself; OpenVPN: recorded here once the process is gone.
vpn_drop_later() {
  local type=$1 pid=$2 st=$3 flag=$4 delay=$5
  ( for _ in $(seq 600); do [ -e "$flag" ] && break; sleep 0.1; done; sleep "$delay"
    kill -TERM "$pid" 2>/dev/null
    if [ "$type" = ovpn ]; then
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      "$PY" "$HERE/lib/vpnstate.py" down "$st"
    fi ) &
  DROPTIMER=$!
}

vpn_call_scenario() {  # vpn_call_scenario TYPE SCEN MODE DESC [PEERNS PEERNAME]
  local type=$1 scen=$2 mode=$3 desc=$4 pns=${5:-cpt-pc3} pname=${6:-pc3}
  local tif; tif=$(vpn_iface "$type")
  begin "$scen"
  start_cap cpt-pc1 eth0 "$SW/$SCEN.pcapng"; local c1=$CAPPID
  vpn_up "$type" cpt-pc1 pc1 "$mode" pc1
  local vpid=$VPNPID vst=$VPNSTATE
  if [ "${VPN_BLOCK_UDP:-0}" = 1 ]; then   # "some companies block RTP on VPN connections"
    nsx cpt-vpn iptables -I FORWARD -i "${tif%0}+" -d 10.20.0.0/16 -p udp -j DROP
    nsx cpt-vpn iptables -I FORWARD -o "${tif%0}+" -s 10.20.0.0/16 -p udp -j DROP
  fi
  start_cap cpt-pc1 "$tif" "$SW/$SCEN-$tif.pcapng"; local c2=$CAPPID
  call c1 "$pns" "$pname" "--stun $STUN --turn $TURN_UDP --duration 5" "--stun $STUN --turn $TURN_UDP"
  stop_cap "$c2"
  if [ "${VPN_BLOCK_UDP:-0}" = 1 ]; then
    nsx cpt-vpn iptables -D FORWARD -i "${tif%0}+" -d 10.20.0.0/16 -p udp -j DROP
    nsx cpt-vpn iptables -D FORWARD -o "${tif%0}+" -s 10.20.0.0/16 -p udp -j DROP
  fi
  vpn_stop "$type" "$vpid" "$vst"
  stop_cap "$c1"
  manifest_vpn "$scen" "$desc" "$pname" "c1|$vst" "$tif"
}

vpn_drop_scenario() {  # vpn_drop_scenario TYPE SCEN
  local type=$1 scen=$2 tif; tif=$(vpn_iface "$type")
  local vn; vn=$(vpn_name "$type")
  begin "$scen"
  start_cap cpt-pc1 eth0 "$SW/$SCEN.pcapng"; local c1=$CAPPID
  vpn_up "$type" cpt-pc1 pc1 full s1
  local vpid=$VPNPID vst1=$VPNSTATE
  start_cap cpt-pc1 "$tif" "$SW/$SCEN-$tif.pcapng"; local c2=$CAPPID
  # drop the VPN 3 s after PC1's agent reports ICE connected
  vpn_drop_later "$type" "$vpid" "$vst1" "$SW/c1/pc1.connected" 3
  local timer=$DROPTIMER
  call c1 cpt-pc3 pc3 "--stun $STUN --turn $TURN_UDP --duration 8" "--stun $STUN --turn $TURN_UDP --duration 8"
  wait "$timer" 2>/dev/null || true
  stop_pid "$vpid" TERM
  stop_cap "$c2"
  call c2 cpt-pc3 pc3 "--stun $STUN --turn $TURN_UDP --duration 5" "--stun $STUN --turn $TURN_UDP"
  vpn_up "$type" cpt-pc1 pc1 full s2
  local vpid2=$VPNPID vst2=$VPNSTATE
  call c3 cpt-pc3 pc3 "--stun $STUN --turn $TURN_UDP --duration 5" "--stun $STUN --turn $TURN_UDP"
  vpn_stop "$type" "$vpid2" "$vst2"
  stop_cap "$c1"
  manifest_vpn "$scen" "Full-tunnel $vn VPN on PC1; call 1 PC1<->PC3 runs through the tunnel; 3 s after PC1's ICE agent reports the call connected the VPN is dropped (VPN client process stopped; tunnel torn down, default route back to the home router). aiortc has no ICE restart, so call 1 loses media for its remaining seconds (see statsTimeline in the agent report). Call 2 is a new call between the same peers while the VPN is down (it finds the path without the VPN). Then the VPN is re-established and call 3 finds the tunnel path again." pc3 \
    "c1|$vst1|VPN_dropped_during_this_call:_segment_ends_at_the_VPN's_downAt;_no_media_afterwards_(no_ICE_restart_in_aiortc) c2|$vst1|new_call_while_the_VPN_is_down c3|$vst2|new_call_after_the_VPN_was_re-established" "$tif" 0
}

vpn_tunnel_tunnel_scenario() {  # TYPE SCEN
  local type=$1 scen=$2 tif; tif=$(vpn_iface "$type")
  local vn; vn=$(vpn_name "$type")
  begin "$scen"
  start_cap cpt-pc1 eth0 "$SW/$SCEN.pcapng"; local c1=$CAPPID
  vpn_up "$type" cpt-pc1 pc1 full pc1
  local vp1=$VPNPID vst1=$VPNSTATE
  vpn_up "$type" cpt-pc2 pc2 full pc2
  local vp2=$VPNPID vst2=$VPNSTATE
  start_cap cpt-pc1 "$tif" "$SW/$SCEN-$tif.pcapng"; local c2=$CAPPID
  call c1 cpt-pc2 pc2 "--stun $STUN --turn $TURN_UDP --duration 5" "--stun $STUN --turn $TURN_UDP"
  stop_cap "$c2"
  vpn_stop "$type" "$vp2" "$vst2"
  vpn_stop "$type" "$vp1" "$vst1"
  stop_cap "$c1"
  manifest_vpn "$scen" "PC1 and PC2 (same home LAN) are BOTH connected to the company $vn VPN in full-tunnel mode, and PC1 calls PC2. The directly connected home LAN route stays (as on Windows), so ICE may find LAN pairs as well as the tunnel pair: the label is the pair PC1's agent selected; if PC2's agent selected a different pair the truth says so (symmetric=false, peerSelectedPair, reverseMedia)." pc2 "c1|$vst1" "$tif"
}

# ---- SSTP scenarios
scenario_sstp_full() {
  vpn_call_scenario sstp sstp-full full "PC1 at home connects the company SSTP VPN (sstpc -> NAT -> 203.0.113.10:443 DNAT -> sstp-server 10.20.0.5; PPP/IPCP gives PC1 10.20.99.x on ppp0) in FULL-TUNNEL mode (default route via ppp0, only the VPN server via the home router), then calls PC3 (10.20.0.30) in the company. STUN/TURN configured on both. The capture on eth0 shows the call inside the SSTP/TLS flow; the -ppp0 capture shows the inner media."
}

scenario_sstp_split() {
  vpn_call_scenario sstp sstp-split split "PC1 at home connects the company SSTP VPN in SPLIT-TUNNEL mode (only 10.20.0.0/16 via ppp0; internet incl. the TURN server via the home router), then calls PC3 (10.20.0.30). STUN/TURN configured on both. Label = the pair ICE actually selected (aiortc offers the tunnel address as a host candidate)."
}

scenario_sstp_full_lan() {
  vpn_call_scenario sstp sstp-full-lan full "The study's first row: PC1 has the company SSTP VPN up in FULL-TUNNEL mode and calls PC2 on the same home LAN (PC2 has no VPN). STUN/TURN configured on both. Label = the pair ICE actually selected (the home LAN stays directly connected)." cpt-pc2 pc2
}

scenario_sstp_split_udp_blocked() {
  VPN_BLOCK_UDP=1 vpn_call_scenario sstp sstp-split-udp-blocked split "The study's note: the company blocks RTP (here: all UDP) between VPN clients and the company LAN (iptables on the VPN server: FORWARD -i ppp+ -d 10.20.0.0/16 -p udp DROP and the reverse). PC1 has the SSTP VPN in SPLIT-TUNNEL mode (local breakout for the internet) and calls PC3. Host-candidate pairs through the tunnel fail; the label is the pair ICE then selected."
}

scenario_sstp_full_udp_blocked() {
  VPN_BLOCK_UDP=1 vpn_call_scenario sstp sstp-full-udp-blocked full "As sstp-split-udp-blocked, but the SSTP VPN is in FULL-TUNNEL mode: UDP between VPN clients and the company LAN is dropped by the VPN server, while UDP from the VPN to the internet (via the company firewall's NAT) is allowed. The label is the pair ICE then selected (the media still crosses the tunnel on PC1's side)."
}

scenario_sstp_drop() { vpn_drop_scenario sstp sstp-drop; }
scenario_sstp_tunnel_tunnel() { vpn_tunnel_tunnel_scenario sstp sstp-tunnel-tunnel; }
