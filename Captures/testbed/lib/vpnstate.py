#!/usr/bin/env python3
"""Record an OpenVPN client's own state (run inside the client's namespace).
usage: vpnstate.py up STATE MODE IFACE SERVER LOGFILE | vpnstate.py down STATE"""
import json, subprocess, sys, time

cmd, path = sys.argv[1], sys.argv[2]
if cmd == "up":
    mode, iface, server, logfile = sys.argv[3:7]
    addr = json.loads(subprocess.run(["ip", "-j", "addr", "show", iface], capture_output=True, text=True).stdout)
    a4 = [x for x in addr[0]["addr_info"] if x["family"] == "inet"][0]
    ss = subprocess.run(["ss", "-tnH", "state", "established", "dst", f"{server}:443"],
                        capture_output=True, text=True).stdout.split()
    log = open(logfile, errors="replace").read().splitlines()
    st = {"vpn": "openvpn", "client": "openvpn 2.6 (Debian), TCP 443", "server": server, "mode": mode,
          "iface": iface, "up": True, "upAt": time.time(), "addr": a4["local"], "prefixlen": a4["prefixlen"],
          "outerLocal": ss[2] if len(ss) >= 4 else None, "outerRemote": ss[3] if len(ss) >= 4 else None,
          "routeTable": subprocess.run(["ip", "route"], capture_output=True, text=True).stdout,
          "openvpnLog": [l for l in log if "Initialization Sequence Completed" in l or "net_route" in l
                         or "net_addr" in l or "Peer Connection" in l or "TCP connection established" in l]}
    json.dump(st, open(path, "w"), indent=1)
else:
    st = json.load(open(path))
    st.update({"up": False, "downAt": time.time()})
    json.dump(st, open(path, "w"), indent=1)
