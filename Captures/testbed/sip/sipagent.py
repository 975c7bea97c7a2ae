#!/usr/bin/env python3
"""PC1's side of the SIP call, before sipp runs: learn the real srflx address of
the RTP port with a STUN Binding (coturn), and hold a real TURN allocation for
the relay candidate, so the SDP offer's a=candidate lines are true.  Writes JSON
to --out, keeps the allocation until --stop exists, then releases it."""
import argparse, asyncio, json, os, socket, time

from aioice import stun
from aioice.turn import create_turn_endpoint


async def main(a):
    res = {"t": time.time()}
    # STUN Binding from the RTP port itself
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.local, a.port))
    s.settimeout(2)
    req = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
    host, port = a.stun.split(":")
    for _ in range(3):
        s.sendto(bytes(req), (host, int(port)))
        try:
            data, addr = s.recvfrom(2048)
            resp = stun.parse_message(data)
            res["srflx"] = list(resp.attributes["XOR-MAPPED-ADDRESS"])
            break
        except socket.timeout:
            continue
    s.close()
    res["host"] = [a.local, a.port]

    class P(asyncio.DatagramProtocol):
        pass
    th, tp = a.turn.split(":")
    transport, _ = await create_turn_endpoint(P, server_addr=(th, int(tp)), username=a.user,
                                              password=a.password, lifetime=600)
    res["relay"] = list(transport.get_extra_info("sockname"))
    res["relayRelated"] = list(transport.get_extra_info("related_address"))
    json.dump(res, open(a.out + ".tmp", "w"), indent=1)
    os.rename(a.out + ".tmp", a.out)
    while not os.path.exists(a.stop):
        await asyncio.sleep(0.1)
    transport.close()
    await asyncio.sleep(0.5)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--local", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--stun", required=True)
    p.add_argument("--turn", required=True)
    p.add_argument("--user", default="teams")
    p.add_argument("--password", default="relaypass")
    p.add_argument("--out", required=True)
    p.add_argument("--stop", required=True)
    asyncio.run(main(p.parse_args()))
