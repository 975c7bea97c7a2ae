# Carrier-grade NAT behind the home router (double NAT), as on the admin's home line.
# Sourced by make-captures.sh.  cgnat_up/cgnat_down (lib/topo.sh) put the ISP namespace cpt-isp
# between the home router (WAN 100.87.23.140/10) and the core; the ISP SNATs 100.64.0.0/10 to
# 198.51.100.20 and, like the other NATs here, drops unsolicited inbound.

scenario_cgnat_srflx() {
  begin cgnat-srflx
  cgnat_up
  start_cap cpt-pc1 eth0 "$SW/$SCEN.pcapng"
  call c1 cpt-pc3 pc3 "--stun $STUN --turn $TURN_UDP --duration 5" "--stun $STUN --turn $TURN_UDP"
  stop_cap "$CAPPID"
  # the CGN's own view: its NAT rule counters and its conntrack table (mappings it made)
  {
    echo "\$ ip netns exec cpt-isp ip -br addr"; nsx cpt-isp ip -br addr
    echo "\$ ip netns exec cpt-home ip -br addr"; nsx cpt-home ip -br addr
    echo "\$ ip netns exec cpt-isp iptables -t nat -L POSTROUTING -v -n"; nsx cpt-isp iptables -t nat -L POSTROUTING -v -n
    if command -v conntrack >/dev/null; then
      echo "\$ ip netns exec cpt-isp conntrack -L -p udp"; nsx cpt-isp conntrack -L -p udp 2>&1
    elif [ -r /proc/net/nf_conntrack ]; then
      echo "\$ ip netns exec cpt-isp cat /proc/net/nf_conntrack"; nsx cpt-isp cat /proc/net/nf_conntrack | grep udp
    fi
  } > "$SW/cgnat-state.txt" 2>&1
  cgnat_down
  local notes="PC1 behind two NATs: home router (MASQUERADE to its WAN 100.87.23.140 in 100.64.0.0/10) and the ISP's carrier-grade NAT (SNAT to 198.51.100.20); serverReflexive = the XOR-MAPPED-ADDRESS PC1's agent learnt from the STUN server"
  local ng; ng=$("$PY" -c 'import json,sys;print(json.dumps(open(sys.argv[1]).read()))' "$SW/cgnat-state.txt")
  finish "{\"scenario\":\"cgnat-srflx\",\"description\":$(printf '%s' "PC1 at home behind the home router's NAT, whose WAN is itself behind the ISP's carrier-grade NAT (ISP namespace between the home router and the internet core: home WAN 100.87.23.140/10, CGN public address 198.51.100.20; both NATs drop unsolicited inbound), calls PC3 in the company (firewall NAT 203.0.113.11). No VPN; STUN 192.0.2.10:3478 and TURN/UDP configured on both, as Teams does. The label is the pair PC1's agent selected; serverReflexive is the XOR-MAPPED-ADDRESS PC1 learnt, i.e. the CGN's public address and port." | "$PY" -c 'import json,sys;print(json.dumps(sys.stdin.read()))'),\"outdir\":\"$CAPDIR/cgnat-srflx\",
   \"captures\":[{\"file\":\"$SW/cgnat-srflx.pcapng\",\"name\":\"cgnat-srflx.pcapng\",\"point\":\"$LANPOINT\",\"iface\":\"eth0\"}],
   \"calls\":[{\"pc1\":\"$SW/c1/pc1.json\",\"peer\":\"$SW/c1/pc3.json\",\"peerName\":\"pc3\",\"vpn\":null,\"recordServerReflexive\":true,
              \"notes\":$(printf '%s' "$notes" | "$PY" -c 'import json,sys;print(json.dumps(sys.stdin.read()))')}],
   \"extra\":{\"cgnat\":{\"homeWan\":\"$CGN_HOME_WAN/10\",\"ispInside\":\"$CGN_ISP_IN/10\",\"cgnPublic\":\"$CGN_PUBLIC\",\"stateAfterCall\":$ng}}}"
  # tshark's view of the STUN Binding responses PC1 got: XOR-MAPPED-ADDRESS as tshark decodes it
  local f="$CAPDIR/cgnat-srflx/cgnat-srflx.pcapng"
  { echo "# tshark: STUN Binding success responses to PC1 and the XOR-MAPPED-ADDRESS they carry (de-XORed by tshark)"
    echo "\$ tshark -r cgnat-srflx.pcapng -Y 'stun.type == 0x0101 && ip.src == 192.0.2.10' -T fields -E header=y -e frame.number -e ip.src -e udp.srcport -e ip.dst -e udp.dstport -e stun.att.ipv4 -e stun.att.port"
    tshark -r "$f" -Y 'stun.type == 0x0101 && ip.src == 192.0.2.10' -T fields -E header=y -e frame.number -e ip.src \
        -e udp.srcport -e ip.dst -e udp.dstport -e stun.att.ipv4 -e stun.att.port
    echo "(stun.att.ipv4/port list every address attribute: XOR-MAPPED-ADDRESS first, then RESPONSE-ORIGIN)"
    echo
    echo "\$ tshark -r cgnat-srflx.pcapng -Y 'stun.type == 0x0101 && ip.src == 192.0.2.10' -V -O stun | grep -E 'Frame|Message Type|XOR-MAPPED-ADDRESS:|RESPONSE-ORIGIN:'"
    tshark -r "$f" -Y 'stun.type == 0x0101 && ip.src == 192.0.2.10' -V -O stun | grep -E '^Frame [0-9]+:|Message Type:|XOR-MAPPED-ADDRESS:|RESPONSE-ORIGIN:'
    echo
    echo "truth serverReflexive: $("$PY" -c "import json;print(json.load(open('$CAPDIR/cgnat-srflx/cgnat-srflx.truth.json'))['calls'][0]['segments'][0].get('serverReflexive'))")"
  } > "$CAPDIR/cgnat-srflx/cgnat-srflx.tshark-stun.txt"
}
