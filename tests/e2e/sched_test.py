#!/usr/bin/python3
"""Schedulers, persistence, firewall marks and weights end to end, with real
HTTP clients and servers (see topology.py):

- wrr with weights 3 and 1 spreads 400 requests 300/100 (within 5 %);
- sh sends each client address to one server, always the same;
- persistence keeps a client on its server across new connections within the
  timeout, and lets it move once the template has expired;
- a firewall-mark service over ports 80 and 443 keeps a client on one server
  across both ports;
- weight 0, applied by a live reload, stops new connections to a server while
  an established (keep-alive) connection to it continues;
- a reload with a bad file, or with a change that needs a restart, is refused
  and changes nothing;
- `lbctl -L -n` shows each service as ipvsadm would.
"""
import argparse
import json
import re
import subprocess
import sys
import time

from topology import CLIENT_IP, PYTHON, RS_IPS, Topology, sh

WRR, SH, PERSIST, MARKED, DRAIN = (f"198.18.1.{n}" for n in (101, 102, 103, 104, 105))
CLIENTS = [f"198.18.1.{n}" for n in range(20, 30)]

SERVICES = f"""services:
  - {{protocol: tcp, vip: {WRR}, port: 80, scheduler: wrr, real_servers: [
      {{address: {RS_IPS[0]}, port: 8080, weight: 3}},
      {{address: {RS_IPS[1]}, port: 8080, weight: 1}}]}}
  - {{protocol: tcp, vip: {SH}, port: 80, scheduler: sh, real_servers: [
      {{address: {RS_IPS[0]}, port: 8080}}, {{address: {RS_IPS[1]}, port: 8080}}, {{address: {RS_IPS[2]}, port: 8080}}]}}
  - {{protocol: tcp, vip: {PERSIST}, port: 80, scheduler: rr, persistence: 3, real_servers: [
      {{address: {RS_IPS[0]}, port: 8080}}, {{address: {RS_IPS[1]}, port: 8080}}, {{address: {RS_IPS[2]}, port: 8080}}]}}
  - {{fwmark: 80, scheduler: rr, persistence: 30, real_servers: [
      {{address: {RS_IPS[0]}}}, {{address: {RS_IPS[1]}}}, {{address: {RS_IPS[2]}}}]}}
  - {{protocol: tcp, vip: {DRAIN}, port: 80, scheduler: rr, real_servers: [
      {{address: {RS_IPS[0]}, port: 8080, weight: @W1@}}, {{address: {RS_IPS[1]}, port: 8080, weight: @W2@}},
      {{address: {RS_IPS[2]}, port: 8080, weight: @W3@}}]}}
"""
# Short closing timeouts so that connections (and then templates) expire
# within the test.
TIMEOUTS = """  timeouts: {fin_wait: 1, time_wait: 1, close: 1, close_wait: 1, last_ack: 1}"""
MARKS = f"""firewall_marks:
  - {{mark: 80, protocol: tcp, destination: {MARKED}, ports: [80, 443]}}"""

# Each request on a new connection; prints the serving server per request.
REQUESTS = r'''
import http.client, json, sys
host, n, source = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ports = [int(p) for p in sys.argv[4].split(",")]
served, errors = [], []
for i in range(n):
    try:
        c = http.client.HTTPConnection(host, ports[i % len(ports)], timeout=5, source_address=(source, 0))
        c.request("GET", "/", headers={"Connection": "close"})
        r = c.getresponse()
        served.append(r.read().decode().split()[0])
        c.close()
    except Exception as e:
        errors.append(repr(e))
print(json.dumps({"served": served, "errors": errors}))
'''

# Holds one keep-alive connection: a request now, another when told on stdin.
KEEPALIVE = r'''
import http.client, sys
c = http.client.HTTPConnection(sys.argv[1], 80, timeout=10, source_address=(sys.argv[2], 0))
for line in sys.stdin:
    c.request("GET", "/")
    print(c.getresponse().read().decode().split()[0], flush=True)
'''

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def requests(t, host, n, source=CLIENT_IP, ports=(80,)):
    out = sh(PYTHON, "-c", REQUESTS, host, str(n), source, ",".join(map(str, ports)), ns=t.ns["client"], timeout=300)
    result = json.loads(out.stdout)
    if result["errors"]:
        print(f"  errors: {result['errors'][:3]}")
    return result["served"], result["errors"]


def services(t):
    return json.loads(t.lbctl("--json", "services").stdout)["services"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lbd", required=True)
    ap.add_argument("--lbctl", required=True)
    args = ap.parse_args()

    t = Topology()
    try:
        t.build()
        for a in CLIENTS:
            sh("ip", "addr", "add", f"{a}/24", "dev", "c0", ns=t.ns["client"])
        t.start_servers()
        services_yaml = SERVICES.replace("@W1@", "1").replace("@W2@", "1").replace("@W3@", "1")
        driver = t.start_lbd(args.lbd, args.lbctl, services=services_yaml, connections=TIMEOUTS, extra=MARKS)
        print(f"lbd running on {driver}")

        listing = t.lbctl("-L", "-n").stdout
        print(listing, end="")
        for line in (f"TCP  {WRR}:80 wrr", f"TCP  {SH}:80 sh", f"TCP  {PERSIST}:80 rr persistent 3",
                     "FWM  80 rr persistent 30", f"TCP  {DRAIN}:80 rr"):
            check(line in listing.split("\n"), f"listing shows `{line}`")
        check(re.search(rf"  -> {re.escape(RS_IPS[0])}:0 +Masq", listing) is not None,
              "real servers of the mark service keep the packet's port (:0)")
        check(re.search(rf"  -> {re.escape(RS_IPS[0])}:8080 +Masq    3 ", listing) is not None, "wrr weight 3 shown")

        # wrr 3:1
        served, errors = requests(t, WRR, 400)
        n1, n2 = served.count("rs1"), served.count("rs2")
        check(not errors and abs(n1 - 300) <= 15 and abs(n2 - 100) <= 5, f"wrr 3:1 spreads 400 requests {n1}/{n2}")

        # sh: each client address on one server, always the same.
        chosen = {}
        for a in CLIENTS:
            served, errors = requests(t, SH, 5, source=a)
            chosen[a] = set(served)
        check(all(len(s) == 1 for s in chosen.values()), f"sh keeps each client on one server: {chosen}")
        check(len(set().union(*chosen.values())) >= 2, "and different clients land on different servers")

        # Persistence: 10 new connections stick; after the template expires, the client moves.
        served, errors = requests(t, PERSIST, 10)
        check(not errors and len(set(served)) == 1, f"persistence keeps a client on its server: {served}")
        first = served[0] if served else None
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            svc = next(s for s in services(t) if s.get("vip") == PERSIST)
            if all(r["persistent_conns"] == 0 for r in svc["real_servers"]):
                break
            time.sleep(0.5)
        check(all(r["persistent_conns"] == 0 for r in svc["real_servers"]), "the template expires after its timeout")
        served, errors = requests(t, PERSIST, 1)
        check(served and served[0] != first, f"then the client moves to another server ({first} -> {served})")

        # Mark 80 over ports 80 and 443: one server for the client across both.
        served, errors = requests(t, MARKED, 10, ports=(80, 443))
        check(not errors and len(served) == 10 and len(set(served)) == 1,
              f"the mark service keeps a client on one server across ports 80 and 443: {served}")
        # Draining the client's server keeps its template (the kernel's
        # expire_quiescent_template 0): new connections still go there, and
        # lookup says so.
        if served:
            held = RS_IPS[int(served[0][2:]) - 1]
            t.lbctl("weight", "fwmark:80", held, "0")
            look = json.loads(t.lbctl("--json", "lookup", "tcp", f"{CLIENT_IP}:40000", f"{MARKED}:443").stdout)
            check(look.get("decided_by") == "template" and look.get("real_server", {}).get("address") == held,
                  f"lookup: a drained server's template still decides ({look.get('decided_by')}, "
                  f"{look.get('real_server')})")
            again, errors = requests(t, MARKED, 3)
            check(not errors and again == [served[0]] * 3, f"and new connections follow it ({again})")
            t.lbctl("weight", "fwmark:80", held, "1")

        # Weight 0 by live reload: no new connections, the established one continues.
        keep = t.spawn("keepalive", t.ns["client"], [PYTHON, "-c", KEEPALIVE, DRAIN, CLIENT_IP],
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        keep.stdin.write("go\n")
        keep.stdin.flush()
        pinned = keep.stdout.readline().strip()
        check(pinned in ("rs1", "rs2", "rs3"), f"a keep-alive connection is served by {pinned}")
        weights = {f"@W{i}@": ("0" if f"rs{i}" == pinned else "1") for i in (1, 2, 3)}
        drained = SERVICES
        for k, v in weights.items():
            drained = drained.replace(k, v)
        with open(t.config_path, "w") as f:
            f.write(t.lbd_config(driver, services=drained, connections=TIMEOUTS, extra=MARKS))
        r = t.lbctl("reload", check=False)
        check(r.returncode == 0, f"lbctl reload applies the new weights ({r.stdout.strip()} {r.stderr.strip()})")
        served, errors = requests(t, DRAIN, 30)
        check(not errors and pinned not in served and len(served) == 30,
              f"weight 0: no new connection reaches {pinned} ({sorted(set(served))})")
        keep.stdin.write("go\n")
        keep.stdin.flush()
        again = keep.stdout.readline().strip()
        check(again == pinned, f"while the established connection continues on it ({again})")
        keep.stdin.close()
        t.stop_process("keepalive", keep)

        # Refused reloads change nothing.
        before = t.lbctl("-L", "-n").stdout
        with open(t.config_path, "w") as f:
            f.write(t.lbd_config(driver, services="services:\n  - {protocol: tcp, vip: 198.18.1.200, port: 80, scheduler: fastest}\n",
                                 connections=TIMEOUTS, extra=MARKS))
        r = t.lbctl("reload", check=False)
        check(r.returncode == 1 and "fastest" in r.stderr, f"a bad file is refused with its error ({r.stderr.strip()})")
        with open(t.config_path, "w") as f:
            bigger = t.lbd_config(driver, services=drained, connections=TIMEOUTS, extra=MARKS)
            f.write(bigger.replace("table_size: 65536", "table_size: 4096"))
        r = t.lbctl("reload", check=False)
        check(r.returncode == 1 and "connections.table_size" in r.stderr and "restart" in r.stderr,
              f"a change that needs a restart is refused ({r.stderr.strip()})")
        check(t.lbctl("-L", "-n").stdout == before, "and the running services are unchanged")
        served, errors = requests(t, WRR, 4)
        check(not errors and len(served) == 4, "traffic still flows after the refused reloads")

        drops = {k: v for w in t.stats()["workers"] for k, v in w["drops"].items() if v}
        print(f"drops: {drops}")
        rc = t.stop_lbd()
        check(rc == 0, f"lbd exits 0 on SIGTERM (got {rc})")
    finally:
        t.close()
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")


if __name__ == "__main__":
    main()
