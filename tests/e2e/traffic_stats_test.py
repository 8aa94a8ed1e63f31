#!/usr/bin/python3
"""Traffic counters end to end, as `ipvsadm --stats/--rate/-Z` show them:
exact connection, packet and byte counts for UDP datagrams of known sizes
(per service and per real server), connection counts for HTTP, rates that
rise while traffic flows, zeroing one service or all of them, and a removed
real server's traffic staying in its service's count.
"""
import argparse
import json
import re
import sys

import subprocess

from topology import PYTHON, RS_IPS, VIP, Topology, check_nothing_left, sh

# One socket (one connection, as IPVS sees UDP): N datagrams of SIZE bytes,
# each answered ("rsN: " + data) before the next.
UDP_EXCHANGE = r'''
import socket, sys
vip, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
replies = []
for i in range(n):
    s.sendto(b"x" * size, (vip, 53))
    data, _ = s.recvfrom(4096)
    replies.append(len(data))
print(" ".join(map(str, replies)))
'''

# A steady stream: `rate` datagrams per second for `seconds`, from one socket.
UDP_STREAM = r'''
import socket, sys, time
vip, rate, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setblocking(False)
start = time.monotonic()
sent = 0
while time.monotonic() - start < seconds:
    due = int((time.monotonic() - start) * rate)
    while sent < due:
        s.sendto(b"y" * 64, (vip, 53))
        sent += 1
    try:
        while True:
            s.recv(4096)
    except BlockingIOError:
        pass
    time.sleep(0.005)
print(sent)
'''

HTTP_REQUESTS = r'''
import http.client, sys
vip, n = sys.argv[1], int(sys.argv[2])
ok = 0
for _ in range(n):
    c = http.client.HTTPConnection(vip, 80, timeout=5)
    c.request("GET", "/")
    r = c.getresponse()
    r.read()
    c.close()
    ok += r.status == 200
print(ok)
'''

IP_UDP_HEADERS = 20 + 8


def services(t):
    result = json.loads(t.lbctl("--json", "services").stdout)
    return {(s["protocol"], s["port"]): s for s in result["services"]}


def reals(service):
    return {r["address"]: r for r in service["real_servers"]}


def stats_columns(t, flag):
    """`lbctl -L -n --stats|--rate --exact`: {line name: [5 numbers]}."""
    out = t.lbctl("-L", "-n", flag, "--exact").stdout
    rows, service = {}, None
    for line in out.splitlines():
        m = re.match(r"^(TCP|UDP)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$", line)
        if m:
            service = f"{m[1]} {m[2]}"
            rows[service] = [int(m[i]) for i in range(3, 8)]
            continue
        m = re.match(r"^\s+-> (\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$", line)
        if m:
            rows[f"{service} -> {m[1]}"] = [int(m[i]) for i in range(2, 7)]
    return rows


def run(t, lbd, lbctl, pids):
    t.build()
    t.start_servers()
    t.start_lbd(lbd, lbctl)
    client = t.ns["client"]

    # --- exact counts: UDP ----------------------------------------------------
    n, size = 10, 100
    out = sh(PYTHON, "-c", UDP_EXCHANGE, VIP, str(n), str(size), ns=client, timeout=120).stdout.split()
    reply_sizes = [int(x) for x in out]
    assert len(reply_sizes) == n, out
    expected = {"conns": 1, "inpkts": n, "outpkts": n, "inbytes": n * (IP_UDP_HEADERS + size),
                "outbytes": sum(IP_UDP_HEADERS + r for r in reply_sizes)}
    udp = services(t)[("udp", 53)]
    assert udp["stats"] == expected, udp["stats"]
    served = [r for r in udp["real_servers"] if r["stats"]["conns"] > 0]
    assert len(served) == 1 and served[0]["stats"] == expected, udp["real_servers"]
    idle = [r for r in udp["real_servers"] if r is not served[0]]
    assert all(r["stats"] == dict.fromkeys(expected, 0) for r in idle), idle
    cols = stats_columns(t, "--stats")
    row = [expected[k] for k in ("conns", "inpkts", "outpkts", "inbytes", "outbytes")]
    assert cols[f"UDP {VIP}:53"] == row, cols
    assert cols[f"UDP {VIP}:53 -> {served[0]['address']}:5353"] == row, cols
    print(f"udp: {n} datagrams counted exactly: {row}")

    # --- HTTP: one connection per request, rr spreads them -------------------
    ok = int(sh(PYTHON, "-c", HTTP_REQUESTS, VIP, "30", ns=client, timeout=120).stdout)
    assert ok == 30, ok
    tcp = services(t)[("tcp", 80)]
    assert tcp["stats"]["conns"] == 30, tcp["stats"]
    per_real = [r["stats"]["conns"] for r in tcp["real_servers"]]
    assert per_real == [10, 10, 10], per_real
    # At least SYN, ACK, request, FIN, ACK in; SYN-ACK, response, FIN out.
    assert tcp["stats"]["inpkts"] >= 30 * 5 and tcp["stats"]["outpkts"] >= 30 * 3, tcp["stats"]
    assert sum(r["stats"]["inbytes"] for r in tcp["real_servers"]) == tcp["stats"]["inbytes"]
    total = json.loads(t.lbctl("--json", "stats").stdout)["traffic"]["stats"]
    assert total["conns"] == 31 and total["inpkts"] == tcp["stats"]["inpkts"] + n, total
    print(f"tcp: 30 connections, 10 per real server; total {total}")

    # --- rates: up while traffic flows, as --rate shows ----------------------
    stream = t.spawn("udp-stream", client, [PYTHON, "-c", UDP_STREAM, VIP, "200", "8"],
                     stdout=subprocess.PIPE, text=True)
    t.wait_for(lambda: services(t)[("udp", 53)]["rates"]["inpps"] > 0, "a UDP packet rate", timeout=20)
    rates = services(t)[("udp", 53)]["rates"]
    # The estimator converges slowly (a quarter of the way every 2 s): only
    # bounds, never more than what was sent.
    assert 0 < rates["inpps"] <= 200 and 0 < rates["inbps"] <= 200 * (IP_UDP_HEADERS + 64), rates
    cols = stats_columns(t, "--rate")
    assert cols[f"UDP {VIP}:53"][1] > 0, cols
    stream.wait(timeout=30)
    print(f"udp rate while streaming: {rates}")

    # --- zeroing: one service, then everything -------------------------------
    before_tcp = services(t)[("tcp", 80)]["stats"]
    t.lbctl("-Z", "-u", f"{VIP}:53")
    now = services(t)
    assert now[("udp", 53)]["stats"]["conns"] == 0 and now[("udp", 53)]["rates"] == dict.fromkeys(
        ["cps", "inpps", "outpps", "inbps", "outbps"], 0), now[("udp", 53)]
    assert all(r["stats"]["inpkts"] == 0 for r in now[("udp", 53)]["real_servers"])
    assert now[("tcp", 80)]["stats"] == before_tcp, now[("tcp", 80)]["stats"]
    bad = t.lbctl("-Z", "-t", f"{VIP}:99", check=False)
    assert bad.returncode != 0 and "No such service" in bad.stderr, (bad.returncode, bad.stderr)
    t.lbctl("-Z")
    now = services(t)
    assert all(s["stats"]["conns"] == 0 for s in now.values()), now
    assert json.loads(t.lbctl("--json", "stats").stdout)["traffic"]["stats"]["conns"] == 0
    sh(PYTHON, "-c", UDP_EXCHANGE, VIP, "1", "10", ns=client, timeout=120)
    assert services(t)[("udp", 53)]["stats"]["conns"] == 1
    print("zeroing: one service, then all; counting resumes")

    # --- a removed real server's traffic stays in its service ----------------
    ok = int(sh(PYTHON, "-c", HTTP_REQUESTS, VIP, "9", ns=client, timeout=120).stdout)
    assert ok == 9
    assert services(t)[("tcp", 80)]["stats"]["conns"] == 9
    t.lbctl("real", "delete", f"tcp:{VIP}:80", f"{RS_IPS[2]}:8080")
    tcp = services(t)[("tcp", 80)]
    assert RS_IPS[2] not in reals(tcp) and tcp["stats"]["conns"] == 9, tcp
    print("a removed real server's connections stay in its service's count")

    pids.append(t.lbd.pid)
    assert t.stop_lbd() == 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lbd", required=True)
    ap.add_argument("--lbctl", required=True)
    args = ap.parse_args()
    t = Topology()
    pids = []
    try:
        run(t, args.lbd, args.lbctl, pids)
    finally:
        pids += [p.pid for _, p in t.procs]
        t.close()

    def check(cond, what):
        assert cond, what

    check_nothing_left(check, f"lbd{t.tag}-", pids)
    print("traffic stats: all checks passed")


if __name__ == "__main__":
    sys.exit(main())
