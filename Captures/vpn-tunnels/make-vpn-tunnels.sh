#!/bin/bash
# Rebuilds Captures/vpn-tunnels/: real IPsec (strongSwan IKEv2, PSK) and WireGuard (wireguard-go)
# tunnels between Linux network namespaces with RTP-like media through them, captured on the
# client's outer interface; then L2TPv2, GRE and PPTP captures re-encapsulated from the real
# WireGuard run's inner packets (no kernel L2TP/GRE/PPP here); tshark's per-protocol counts beside
# every capture; the malformed variants. See README.md.
# usage: Captures/vpn-tunnels/make-vpn-tunnels.sh [ipsec-direct|ipsec-natt|wireguard|reencap|truth|malformed ...]
# Needs root, `ip netns`, /dev/net/tun. Installs what is missing (apt-get, pip into .venv).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"
source "$HERE/../tools/namespace-script.sh"
require_namespaces make-vpn-tunnels.sh

WORK="$HERE/.work"
PY="$HERE/.venv/bin/python"
NAMESPACES=(cpv-cli cpv-nat cpv-srv)
PSK="callpath-test-psk-0123456789"   # a test key for namespaces that reach nothing else

topo_down() {
  for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
}

stop_started_on_exit

install_deps() {
  local need=()
  [ -x /usr/lib/ipsec/charon ] || need+=(strongswan-charon)
  command -v swanctl >/dev/null || need+=(strongswan-swanctl)
  [ -f /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ] || need+=(libcharon-extra-plugins)
  [ -f /usr/lib/ipsec/plugins/libstrongswan-curve25519.so ] || need+=(libstrongswan-extra-plugins)
  command -v wireguard-go >/dev/null || need+=(wireguard-go)
  command -v wg >/dev/null || need+=(wireguard-tools)
  command -v dumpcap >/dev/null || need+=(tshark)
  command -v tshark >/dev/null || need+=(tshark)
  command -v iptables >/dev/null || need+=(iptables)
  command -v unshare >/dev/null || need+=(util-linux)
  if [ ${#need[@]} -gt 0 ]; then
    log "apt-get install ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  if [ ! -x "$PY" ] || ! "$PY" -c 'import scapy' 2>/dev/null; then
    log "creating venv $HERE/.venv"
    python3 -m venv "$HERE/.venv"
    "$HERE/.venv/bin/pip" install -q -r "$HERE/requirements.txt"
  fi
}

bgrun() {  # bgrun NS LOGFILE cmd...  -> sets LASTPID, records it for teardown
  local ns=$1 lf=$2; shift 2
  ip netns exec "$ns" "$@" >"$lf" 2>&1 &
  LASTPID=$!
  PIDS+=("$LASTPID")
}

forget() { local n=(); for q in "${PIDS[@]}"; do [ "$q" != "$1" ] && n+=("$q"); done; PIDS=("${n[@]}"); }

stop_pid() {  # stop one process we started, by PID
  local p=$1 sig=${2:-TERM}
  kill -"$sig" "$p" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
  forget "$p"
}

start_cap() {  # start_cap NS IFACE FILE -> CAPPID (classic pcap, whole frames)
  rm -f "$3"
  bgrun "$1" "$WORK/$(basename "$3").dumpcap.log" dumpcap -q -P -i "$2" -w "$3"
  CAPPID=$LASTPID
  for _ in $(seq 50); do [ -s "$3" ] && break; sleep 0.1; done
  sleep 0.5
}

stop_cap() { sleep 0.5; stop_pid "$1" INT; chmod 644 "$2"; }  # stop_cap PID FILE

ns_new() {  # ns_new NAME: a namespace with lo up, IPv6 off, reverse-path filter off
  ip netns add "$1"
  ip -n "$1" link set lo up
  ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
      net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
}

# Topology "direct": client 203.0.113.30 and VPN server 203.0.113.20 on one link.
# Topology "nat": client 192.168.50.2 behind a home router (MASQUERADE to 203.0.113.10, drops
# unsolicited inbound), VPN server 203.0.113.20. No namespace has a route anywhere else.
topo_up() {
  topo_down
  ns_new cpv-cli; ns_new cpv-srv
  ip -n cpv-srv addr add 10.30.0.1/32 dev lo    # the company network behind the VPN server
  ip link add cpv-srv0 type veth peer name cpv-srv1
  ip link set cpv-srv0 netns cpv-srv name eth0
  if [ "$1" = nat ]; then
    ns_new cpv-nat
    ip link set cpv-srv1 netns cpv-nat name wan0
    ip link add cpv-cli0 type veth peer name cpv-cli1
    ip link set cpv-cli0 netns cpv-cli name eth0
    ip link set cpv-cli1 netns cpv-nat name lan0
    ip -n cpv-nat addr add 192.168.50.1/24 dev lan0
    ip -n cpv-nat addr add 203.0.113.10/24 dev wan0
    ip -n cpv-nat link set lan0 up; ip -n cpv-nat link set wan0 up
    ip netns exec cpv-nat sysctl -qw net.ipv4.ip_forward=1
    ip netns exec cpv-nat iptables -t nat -A POSTROUTING -o wan0 -j MASQUERADE
    ip netns exec cpv-nat iptables -P FORWARD DROP
    ip netns exec cpv-nat iptables -A FORWARD -i lan0 -o wan0 -j ACCEPT
    ip netns exec cpv-nat iptables -A FORWARD -i wan0 -o lan0 -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
    ip -n cpv-cli addr add 192.168.50.2/24 dev eth0
    ip -n cpv-cli link set eth0 address 02:00:c0:a8:32:02
    ip -n cpv-cli link set eth0 up
    ip -n cpv-cli route add default via 192.168.50.1
    CLIENT_OUTER=192.168.50.2
  else
    ip link set cpv-srv1 netns cpv-cli name eth0
    ip -n cpv-cli addr add 203.0.113.30/24 dev eth0
    ip -n cpv-cli link set eth0 address 02:00:cb:00:71:1e
    ip -n cpv-cli link set eth0 up
    CLIENT_OUTER=203.0.113.30
  fi
  ip -n cpv-srv addr add 203.0.113.20/24 dev eth0
  ip -n cpv-srv link set eth0 address 02:00:cb:00:71:14
  ip -n cpv-srv link set eth0 up
  ip -n cpv-cli addr add 10.30.1.2/32 dev lo    # the client's inner (tunnel) address
}

# ---------------------------------------------------------------- IPsec (strongSwan, kernel-libipsec)
# The kernel here has XFRM but no ESP transform (`ip xfrm state add … proto esp` answers "Requested
# type not found"), so charon uses kernel-libipsec: ESP in userspace over a TUN device (ipsec0).
# strongSwan 5.9.8's libipsec always UDP-encapsulates ESP (raw ESP sockets came in 5.9.11), so
# even without NAT the IKE SA moves to 4500 and ESP is ESP-in-UDP; see ipsec_esp below.
charon_conf() {  # charon_conf DIR: strongswan.conf of one charon instance
  cat > "$1/strongswan.conf" <<EOF
charon {
  load_modular = no
  load = random nonce aes sha1 sha2 hmac kdf gmp curve25519 pubkey pem pkcs1 x509 kernel-libipsec kernel-netlink socket-default vici
  install_virtual_ip = no
  retransmit_timeout = 2.0
  filelog {
    charon {
      path = $1/charon.log
      time_format = %T
      default = 1
      ike = 2
      knl = 1
      esp = 1
    }
  }
  plugins {
    vici { socket = unix://$1/charon.vici }
    kernel-libipsec { load = yes }
  }
}
EOF
}

swanctl_conf() {  # swanctl_conf DIR ROLE
  local local_id remote_id addrs ts_l ts_r start
  if [ "$2" = client ]; then
    local_id=client@callpath.test; remote_id=vpn.callpath.test; addrs="remote_addrs = 203.0.113.20"
    ts_l=10.30.1.2/32; ts_r=10.30.0.0/24
  else
    local_id=vpn.callpath.test; remote_id=client@callpath.test; addrs="local_addrs = 203.0.113.20"
    ts_l=10.30.0.0/24; ts_r=10.30.1.2/32
  fi
  cat > "$1/swanctl.conf" <<EOF
connections {
  corp {
    version = 2
    $addrs
    proposals = aes128-sha256-x25519
    dpd_delay = 0
    local { auth = psk
            id = $local_id }
    remote { auth = psk
             id = $remote_id }
    children {
      corp {
        local_ts = $ts_l
        remote_ts = $ts_r
        esp_proposals = aes128-sha256
        mode = tunnel
      }
    }
  }
}
secrets {
  ike-corp {
    id-1 = client@callpath.test
    id-2 = vpn.callpath.test
    secret = "$PSK"
  }
}
EOF
}

start_charon() {  # start_charon NS DIR ROLE -> CHARONPID; a private /run so two instances keep apart
  local ns=$1 dir=$2
  rm -rf "$dir"; mkdir -p "$dir"
  charon_conf "$dir"; swanctl_conf "$dir" "$3"
  bgrun "$ns" "$dir/stdout.log" env STRONGSWAN_CONF="$dir/strongswan.conf" \
      unshare -m sh -c 'mount -t tmpfs cpv-run /run && exec /usr/lib/ipsec/charon'
  CHARONPID=$LASTPID
  for _ in $(seq 100); do [ -S "$dir/charon.vici" ] && break; sleep 0.1; done
  [ -S "$dir/charon.vici" ] || { log "charon in $ns did not start: $(tail -5 "$dir/charon.log" "$dir/stdout.log")"; exit 1; }
  ip netns exec "$ns" swanctl --load-all --file "$dir/swanctl.conf" --uri "unix://$dir/charon.vici" >"$dir/load.log" 2>&1
}

swan() {  # swan NS DIR args...: swanctl against that instance
  local ns=$1 dir=$2; shift 2
  ip netns exec "$ns" swanctl "$@" --uri "unix://$dir/charon.vici" 2> >(grep -v "failed to load" >&2)
}

media_both() {  # media_both CLIENT_INNER SERVER_INNER SECONDS OUTDIR: RTP-like UDP both ways through the tunnel
  bgrun cpv-srv "$4/media-server.json" "$PY" "$HERE/media.py" "$2:40002" "$1:40000" "$3" 0x5e4e0002
  local sp=$LASTPID
  bgrun cpv-cli "$4/media-client.json" "$PY" "$HERE/media.py" "$1:40000" "$2:40002" "$3" 0x5e4e0001
  local cp=$LASTPID
  wait "$cp" || true; forget "$cp"
  wait "$sp" || true; forget "$sp"
}

scenario_ipsec() {  # scenario_ipsec direct|nat
  local kind=$1 name=ipsec-$1
  [ "$kind" = nat ] && name=ipsec-natt
  log "=== $name"
  topo_up "$kind"
  local W="$WORK/$name"; rm -rf "$W"; mkdir -p "$W"
  start_charon cpv-srv "$W/server" server; local spid=$CHARONPID
  start_charon cpv-cli "$W/client" client; local cpid=$CHARONPID
  start_cap cpv-cli eth0 "$HERE/$name.pcap"; local cap=$CAPPID
  swan cpv-cli "$W/client" --initiate --child corp --timeout 20 > "$W/initiate.log" 2>&1 \
      || { log "$name: initiate failed: $(tail -5 "$W/initiate.log")"; exit 1; }
  sleep 0.5
  media_both 10.30.1.2 10.30.0.1 4.5 "$W"
  sleep 0.5
  swan cpv-cli "$W/client" --list-sas --raw > "$W/client-sas.txt"
  swan cpv-srv "$W/server" --list-sas --raw > "$W/server-sas.txt"
  swan cpv-cli "$W/client" --terminate --ike corp --timeout 10 > "$W/terminate.log" 2>&1 || true
  sleep 0.5
  stop_cap "$cap" "$HERE/$name.pcap"
  stop_pid "$cpid"; stop_pid "$spid"
  "$PY" "$HERE/tunnel-state.py" ipsec "$HERE/$name.pcap" "$W" > "$HERE/$name.tunnel.json"
  log "$name: $(capinfos -c "$HERE/$name.pcap" | tail -1)"
}

# ---------------------------------------------------------------- WireGuard (wireguard-go, userspace)
scenario_wireguard() {
  log "=== wireguard"
  topo_up nat
  local W="$WORK/wireguard"; rm -rf "$W"; mkdir -p "$W"
  (umask 077; wg genkey > "$W/client.key"; wg genkey > "$W/server.key")
  wg pubkey < "$W/client.key" > "$W/client.pub"; wg pubkey < "$W/server.key" > "$W/server.pub"
  # Interface names differ per end: wireguard-go keeps its UAPI socket in /var/run/wireguard/NAME.sock.
  bgrun cpv-srv "$W/wg-server.log" env LOG_LEVEL=verbose wireguard-go -f wgs0; local spid=$LASTPID
  bgrun cpv-cli "$W/wg-client.log" env LOG_LEVEL=verbose wireguard-go -f wgc0; local cpid=$LASTPID
  for _ in $(seq 50); do
    [ -S /var/run/wireguard/wgs0.sock ] && [ -S /var/run/wireguard/wgc0.sock ] && break; sleep 0.1
  done
  ip netns exec cpv-srv wg set wgs0 listen-port 51820 private-key "$W/server.key" \
      peer "$(cat "$W/client.pub")" allowed-ips 10.31.0.2/32
  ip netns exec cpv-cli wg set wgc0 private-key "$W/client.key" \
      peer "$(cat "$W/server.pub")" endpoint 203.0.113.20:51820 allowed-ips 10.31.0.0/24
  ip -n cpv-srv addr add 10.31.0.1/24 dev wgs0; ip -n cpv-srv link set wgs0 mtu 1420 up
  ip -n cpv-cli addr add 10.31.0.2/24 dev wgc0; ip -n cpv-cli link set wgc0 mtu 1420 up
  start_cap cpv-cli eth0 "$HERE/wireguard.pcap"; local cap=$CAPPID
  start_cap cpv-cli wgc0 "$W/wgc0.pcap"; local icap=$CAPPID
  media_both 10.31.0.2 10.31.0.1 4.5 "$W"
  sleep 0.5
  ip netns exec cpv-cli wg show wgc0 dump > "$W/client-wg.txt"
  ip netns exec cpv-srv wg show wgs0 dump > "$W/server-wg.txt"
  stop_cap "$icap" "$W/wgc0.pcap"; stop_cap "$cap" "$HERE/wireguard.pcap"
  stop_pid "$cpid"; stop_pid "$spid"
  cp "$W/wgc0.pcap" "$HERE/inner-media.pcap"   # raw IP: the inner packets the re-encapsulations carry
  "$PY" "$HERE/tunnel-state.py" wireguard "$HERE/wireguard.pcap" "$W" > "$HERE/wireguard.tunnel.json"
  log "wireguard: $(capinfos -c "$HERE/wireguard.pcap" | tail -1)"
}

install_deps
mkdir -p "$WORK"
SEL=("$@"); [ ${#SEL[@]} -eq 0 ] && SEL=(ipsec-direct ipsec-natt wireguard reencap truth malformed)
for s in "${SEL[@]}"; do
  case $s in
    ipsec-direct) scenario_ipsec direct ;;
    ipsec-natt) scenario_ipsec nat ;;
    wireguard) scenario_wireguard ;;
    reencap)
      "$PY" reencap.py esp ipsec-direct.pcap ipsec-esp.pcap
      for kind in l2tp gre pptp; do "$PY" reencap.py "$kind" inner-media.pcap "$kind.pcap"; done ;;
    truth) "$PY" tshark-counts.py ipsec-direct.pcap ipsec-natt.pcap ipsec-esp.pcap wireguard.pcap inner-media.pcap \
             l2tp.pcap gre.pcap pptp.pcap ;;
    malformed) "$PY" make-malformed.py && "$PY" tshark-counts.py malformed/*.pcap ;;
    *) echo "make-vpn-tunnels.sh: unknown step '$s'" >&2; exit 1 ;;
  esac
done
topo_down
ls -la "$HERE"/*.pcap >&2
log "done"
