#!/bin/bash
# Rebuild the real captures in Captures/ from the namespace test field.
# usage: Captures/testbed/make-captures.sh [scenario ...]   (default: all)
# Needs root and working `ip netns`.  Installs what is missing (apt-get, pip into .venv).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CAPDIR="$(dirname "$HERE")"
source "$CAPDIR/tools/namespace-script.sh"
require_namespaces make-captures.sh

source "$HERE/lib/topo.sh"
WORK="$HERE/.work"
PY="$HERE/.venv/bin/python"
stop_started_on_exit

# ---------------------------------------------------------------- dependencies
install_deps() {
  local need=()
  command -v turnserver >/dev/null || need+=(coturn)
  command -v sstpc >/dev/null || need+=(sstp-client)
  command -v openvpn >/dev/null || need+=(openvpn)
  command -v sipp >/dev/null || need+=(sip-tester)
  command -v dumpcap >/dev/null || need+=(tshark)
  command -v tshark >/dev/null || need+=(tshark)
  command -v capinfos >/dev/null || need+=(tshark)
  command -v iptables-restore >/dev/null || need+=(iptables)
  command -v openssl >/dev/null || need+=(openssl)
  command -v gcc >/dev/null || need+=(gcc)
  command -v patch >/dev/null || need+=(patch)
  command -v unshare >/dev/null || need+=(util-linux)
  [ -x /usr/sbin/pppd ] || need+=(ppp)
  command -v ip >/dev/null || need+=(iproute2)
  command -v ss >/dev/null || need+=(iproute2)
  if [ ${#need[@]} -gt 0 ]; then
    log "apt-get install ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  if [ ! -x "$PY" ] || ! "$PY" -c 'import aiortc, sstpd.codec' 2>/dev/null; then
    log "creating venv $HERE/.venv"
    local base=python3
    [ -x /root/.pyenv/versions/3.11.7/bin/python3 ] && base=/root/.pyenv/versions/3.11.7/bin/python3
    if ! "$base" -c 'import ensurepip, sysconfig, os, sys; sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")) else 1)' 2>/dev/null; then
      log "apt-get install python3-venv python3-dev"   # venv + headers for sstp-server's C extension
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv python3-dev >/dev/null
      base=/usr/bin/python3
    fi
    "$base" -m venv "$HERE/.venv"
    "$HERE/.venv/bin/pip" install -q -r "$HERE/requirements.txt"
    bash "$HERE/lib/build-sstpd.sh" "$HERE/.venv"
  fi
}

# ---------------------------------------------------------------- helpers
bgrun() {  # bgrun NS LOGFILE cmd...  -> sets LASTPID, records it for teardown
  local ns=$1 lf=$2; shift 2
  ip netns exec "$ns" "$@" >"$lf" 2>&1 &
  LASTPID=$!
  PIDS+=("$LASTPID")
}

stop_pid() {  # stop one process we started, by PID
  local p=$1 sig=${2:-TERM}
  kill -"$sig" "$p" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
  forget "$p"
}

forget() {  # a process we started has been waited for: drop it from the teardown list
  local n=(); for q in "${PIDS[@]}"; do [ "$q" != "$1" ] && n+=("$q"); done; PIDS=("${n[@]}")
}

start_cap() {  # start_cap NS IFACE FILE -> CAPPID
  rm -f "$3"
  bgrun "$1" "$3.log" dumpcap -q -i "$2" -w "$3"
  CAPPID=$LASTPID
  for _ in $(seq 50); do [ -s "$3" ] && break; sleep 0.1; done
  sleep 0.5
}

stop_cap() { sleep 0.5; stop_pid "$1" INT; }

start_turn() {
  mkdir -p "$WORK/turn"
  # self-signed, with the server's IP as subjectAltName so a TURN/TLS client that trusts it can verify it
  [ -s "$WORK/turn/turn-san.crt" ] || openssl req -x509 -newkey rsa:2048 -nodes -days 3650 \
      -subj /CN=turn.callpath.test -addext "subjectAltName=IP:192.0.2.10,DNS:turn.callpath.test" \
      -keyout "$WORK/turn/turn.key" -out "$WORK/turn/turn-san.crt" 2>/dev/null
  sed -e "s#@CERT@#$WORK/turn/turn-san.crt#;s#@KEY@#$WORK/turn/turn.key#;s#@PID@#$WORK/turn/turn.pid#;s#@LOG@#$WORK/turn/turn.log#" \
      "$HERE/conf/turnserver.conf" > "$WORK/turn/turn.conf"
  rm -f "$WORK/turn/turn.log"*
  bgrun cpt-turn "$WORK/turn/stdout.log" turnserver -c "$WORK/turn/turn.conf" --db "$WORK/turn/turndb"
  TURNPID=$LASTPID
  sleep 1
}

STUN="stun:192.0.2.10:3478"
TURN_UDP="turn:192.0.2.10:3478?transport=udp"
TURN_TCP443="turn:192.0.2.10:443?transport=tcp"
TURN_TLS443="turns:192.0.2.10:443?transport=tcp"

# call TAG PEERNS PEERNAME "pc1 extra args" "peer extra args"
call() {
  local tag=$1 peerns=$2 peername=$3 a1=$4 a2=$5
  local d="$SW/$tag"; rm -rf "$d"; mkdir -p "$d"
  bgrun "$peerns" "$d/$peername.log" "$PY" "$HERE/agent.py" --role answer --name "$peername" --sig "$d" \
        --out "$d/$peername.json" --freq 660 $a2
  local ppid=$LASTPID
  bgrun cpt-pc1 "$d/pc1.log" "$PY" "$HERE/agent.py" --role offer --name pc1 --sig "$d" --out "$d/pc1.json" $a1
  local opid=$LASTPID
  wait "$opid" || log "pc1 agent failed: $(tail -3 "$d/pc1.log")"
  wait "$ppid" 2>/dev/null || true
  forget "$ppid"; forget "$opid"
  log "$tag: $(tail -1 "$d/pc1.log")"
}

begin() {  # begin SCENARIO
  SCEN=$1; SW="$WORK/$SCEN"; rm -rf "$SW"; mkdir -p "$SW"; log "=== $SCEN"
}

finish() {  # finish MANIFEST_JSON
  echo "$1" > "$SW/manifest.json"
  "$PY" "$HERE/truth.py" "$SW/manifest.json"
}

LANPOINT="pc1 LAN interface (eth0)"

for f in "$HERE"/scenarios/*.sh; do source "$f"; done

ALL=(lan-direct novpn-srflx relay-forced sstp-full sstp-split sstp-drop udp-blocked-turn-tcp sstp-tunnel-tunnel sstp-full-lan
     sstp-split-udp-blocked sstp-full-udp-blocked
     ovpn-full ovpn-split ovpn-drop ovpn-tunnel-tunnel ovpn-full-lan udp-blocked-turn-tls sip-sbc
     iphttps cgnat-srflx)
SEL=("$@"); [ ${#SEL[@]} -eq 0 ] && SEL=("${ALL[@]}")
for s in "${SEL[@]}"; do
  declare -F "scenario_${s//-/_}" >/dev/null || { echo "make-captures.sh: unknown scenario '$s' (known: ${ALL[*]})" >&2; exit 1; }
done

install_deps
mkdir -p "$WORK"
log "building topology"
topo_up
start_turn
for s in "${SEL[@]}"; do
  "scenario_${s//-/_}"
done
"$PY" "$HERE/lib/provenance.py" "$CAPDIR"
log "done"
