# Sourced by the capture builders (testbed/make-captures.sh, vpn-tunnels/make-vpn-tunnels.sh):
# refuse without root or network namespaces, log with the time, and on exit stop the processes
# the script started (PIDS, newest first, by PID only) and remove its namespaces (`topo_down`,
# which the script defines).

PIDS=()

# require_namespaces NAME: exits unless we are root and `ip netns` works.
require_namespaces() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "$1: must run as root (needs ip netns, veth, iptables, TUN); refusing." >&2; exit 2
  fi
  if ! ip netns add "cp-probe-$$" >/dev/null 2>&1; then
    echo "$1: 'ip netns add' does not work here (no network namespaces); refusing." >&2; exit 2
  fi
  ip netns del "cp-probe-$$"
}

log() { echo "[$(date +%T)] $*" >&2; }

cleanup() {
  local rc=$?
  set +e
  for ((i=${#PIDS[@]}-1; i>=0; i--)); do kill "${PIDS[$i]}" 2>/dev/null; done
  sleep 0.5
  for ((i=${#PIDS[@]}-1; i>=0; i--)); do
    kill -0 "${PIDS[$i]}" 2>/dev/null && kill -9 "${PIDS[$i]}" 2>/dev/null
  done
  PIDS=()
  topo_down
  exit $rc
}

stop_started_on_exit() {
  trap cleanup EXIT
  trap 'exit 130' INT TERM
}
