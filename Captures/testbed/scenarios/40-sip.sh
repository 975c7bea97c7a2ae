# SIP call with ICE candidates in the SDP, to an SBC (sipp on both ends).

scenario_sip_sbc() {
  begin sip-sbc
  "$PY" "$HERE/sip/mkwav.py" "$SW/tone.wav" 6 440
  start_cap cpt-pc1 eth0 "$SW/$SCEN.pcapng"; local c1=$CAPPID
  bgrun cpt-pc1 "$SW/sipagent.log" "$PY" "$HERE/sip/sipagent.py" --local 192.168.178.91 --port 7000 \
      --stun 192.0.2.10:3478 --turn 192.0.2.10:3478 --out "$SW/pc1-candidates.json" --stop "$SW/stop"
  local ap=$LASTPID
  for _ in $(seq 100); do [ -s "$SW/pc1-candidates.json" ] && break; sleep 0.1; done
  "$PY" - "$SW" "$HERE/sip" <<'P'
import json, sys
sw, sip = sys.argv[1:3]
c = json.load(open(f"{sw}/pc1-candidates.json"))
sub = {"@WAV@": f"{sw}/tone.wav", "@HOST_IP@": c["host"][0], "@MEDIA_PORT@": str(c["host"][1]),
       "@SRFLX_IP@": c["srflx"][0], "@SRFLX_PORT@": str(c["srflx"][1]), "@RELAY_IP@": c["relay"][0],
       "@RELAY_PORT@": str(c["relay"][1]), "@RELAY_RADDR@": c["relayRelated"][0], "@RELAY_RPORT@": str(c["relayRelated"][1]),
       "@DURATION_MS@": "5000", "@SBC_MEDIA_PORT@": "6000"}
for n in ("uac", "uas"):
    t = open(f"{sip}/{n}.xml.in").read()
    for k, v in sub.items():
        t = t.replace(k, v)
    open(f"{sw}/{n}.xml", "w").write(t)
P
  bgrun cpt-sbc "$SW/uas.out" sipp -sf "$SW/uas.xml" -i 192.0.2.130 -p 5060 -mi 192.0.2.130 -mp 6000 -m 1 \
      -trace_msg -message_file "$SW/uas-messages.log" -trace_err -error_file "$SW/uas-errors.log" -nostdin
  local up=$LASTPID
  sleep 0.5
  bgrun cpt-pc1 "$SW/uac.out" sipp -sf "$SW/uac.xml" -i 192.168.178.91 -p 5060 -mi 192.168.178.91 -mp 7000 -m 1 \
      -trace_msg -message_file "$SW/uac-messages.log" -trace_err -error_file "$SW/uac-errors.log" -nostdin 192.0.2.130:5060
  local cp=$LASTPID
  wait "$cp" || log "sipp UAC exit $?"
  wait "$up" || log "sipp UAS exit $?"
  touch "$SW/stop"; wait "$ap" || true
  forget "$cp"; forget "$up"; forget "$ap"
  stop_cap "$c1"
  "$PY" "$HERE/sip/siptruth.py" sip-sbc "$SW" "$CAPDIR/sip-sbc" "$SW/$SCEN.pcapng"
  "$PY" "$HERE/truth.py" "$SW/manifest.json"
}
