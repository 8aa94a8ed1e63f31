#!/usr/bin/python3
"""The shared connection table end to end, with two workers (two receive
queues on each of lbd's veths, the kernel spreading flows over them):

- 500 HTTP requests through NAT all succeed, both workers carry traffic in
  both directions, and wrr spreads the requests exactly;
- while a long download and a loop of requests run, the real-server set is
  changed 100 times by live reloads (servers removed, added back and
  reweighted; the download's own server removed first): every reload is
  accepted, the download completes intact (SHA-256) from its removed server,
  and not one request fails;
- `lbctl -L -c -n` lists the connections in ipvsadm's format, filtered by
  service; `ipvsadm --set` and `-L --timeout` change and show the timeouts at
  run time, and an established connection takes the new timeout;
- with expire_nodest_conn set at run time, a removed server's idle
  keep-alive connection is flushed and its next request gets no answer;
- `lbctl stats` shows the table (occupancy, inserts, expiries, memory per
  connection) and each worker's packets and busy/idle cycles;
- lbd stops cleanly and nothing is left behind.
"""
import argparse
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import time

from topology import CLIENT_IP, PYTHON, RS_IPS, VIP, Topology, check_nothing_left, sh

BIG_SIZE = 32 << 20   # bytes
BIG_RATE = "2M"       # curl --limit-rate: the download lasts ~16 s
BIG_PORT = 30000      # the download's client port, below the ephemeral range (32768-60999):
                      # no earlier request's TIME_WAIT connection has it
CHANGES = 100

BIG_LOCATION = "    location = /big.bin {{ root {www}; }}\n"

# Requests on a new connection each: N of them ("count N"), or until stdin
# closes ("loop"); then one JSON line: which server answered how often, and
# the failures.
REQUESTS = r'''
import collections, http.client, json, sys, threading
vip, mode = sys.argv[1], sys.argv[2]
done = threading.Event()
if mode == "loop":
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
left = int(sys.argv[3]) if mode == "count" else -1
counts, errors = collections.Counter(), []
while left != 0 and not done.is_set():
    left -= 1
    try:
        c = http.client.HTTPConnection(vip, 80, timeout=5)
        c.request("GET", "/", headers={"Connection": "close"})
        r = c.getresponse()
        body = r.read().decode()
        c.close()
        if r.status == 200 and body.startswith("rs"):
            counts[body.split()[0]] += 1
        else:
            errors.append(f"status {r.status}: {body!r}")
    except Exception as e:
        errors.append(repr(e))
print(json.dumps({"counts": counts, "ok": sum(counts.values()), "errors": errors[:20], "failed": len(errors)}),
      flush=True)
'''

# One keep-alive connection: a request per line on stdin, the answering
# server (or the error) per line on stdout; prints its client port first.
KEEPALIVE = r'''
import http.client, sys
c = http.client.HTTPConnection(sys.argv[1], 80, timeout=float(sys.argv[2]))
c.connect()
print(c.sock.getsockname()[1], flush=True)
for _ in sys.stdin:
    try:
        c.request("GET", "/")
        print(c.getresponse().read().decode().split()[0], flush=True)
    except Exception as e:
        print("error " + type(e).__name__, flush=True)
'''

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def services_yaml(servers):
    """The wrr service over `servers`: {index: weight}."""
    reals = "".join(f"      - {{address: {RS_IPS[i]}, port: 8080, weight: {w}}}\n" for i, w in sorted(servers.items()))
    return f"""services:
  - protocol: tcp
    vip: {VIP}
    port: 80
    scheduler: wrr
    real_servers:
{reals}"""


def reload(t, servers):
    with open(t.config_path, "w") as f:
        f.write(t.lbd_config(t.driver, services=services_yaml(servers)))
    return t.lbctl("reload", check=False)


def raw_call(t, request):
    """One request as bytes on lbd's control socket; the decoded reply."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(t.socket)
        s.sendall(json.dumps(request).encode() + b"\n")
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            reply += chunk
    return json.loads(reply)


def connections(t, *args):
    return json.loads(t.lbctl("--json", "connections", *args).stdout)["connections"]


def change_plan(first_removed):
    """CHANGES server sets: the first removes `first_removed`; then servers
    leave, come back and change weight in turn, never leaving none."""
    sets, current = [], {0: 1, 1: 1, 2: 1}
    current = {i: w for i, w in current.items() if i != first_removed}
    sets.append(dict(current))
    step = 0
    while len(sets) < CHANGES:
        i = step % 3
        if i in current and len(current) > 1 and step % 2 == 0:
            del current[i]                      # remove
        elif i not in current:
            current[i] = 1 + step % 4           # add back
        else:
            current[i] = 1 + (current[i] % 4)   # reweight
        sets.append(dict(current))
        step += 1
    return sets


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lbd", required=True)
    ap.add_argument("--lbctl", required=True)
    args = ap.parse_args()

    # AF_PACKET: DPDK 22.11's AF_XDP driver takes a veth for a single-queue
    # device (veths report no combined channels), so only one worker could
    # bind it; AF_PACKET spreads flows over its queues by fanout.
    t = Topology(workers=2)
    pids = []
    try:
        t.build()
        www = os.path.join(t.workdir, "www")
        os.makedirs(www)
        big = os.path.join(www, "big.bin")
        with open(big, "wb") as f:
            f.write(os.urandom(BIG_SIZE))
        with open(big, "rb") as f:
            big_sha = hashlib.sha256(f.read()).hexdigest()
        t.start_servers(locations=BIG_LOCATION.format(www=www))
        driver = t.start_lbd(args.lbd, args.lbctl, drivers=("af_packet",),
                             services=services_yaml({0: 1, 1: 1, 2: 1}))
        pids.append(t.lbd.pid)
        print(f"lbd running on {driver} with 2 workers")
        status = json.loads(t.lbctl("--json", "status").stdout)
        check(len(status["workers"]) == 2, f"lbd runs two workers ({status['workers']})")

        # --- 500 requests through NAT, both workers busy ------------------
        out = sh(PYTHON, "-c", REQUESTS, VIP, "count", 500, ns=t.ns["client"], timeout=300).stdout
        r = json.loads(out)
        counts = r["counts"]
        check(r["failed"] == 0 and r["ok"] == 500, f"500 requests through NAT all succeed ({r['errors'][:3]})")
        check(sorted(counts.values()) == [166, 167, 167], f"wrr with equal weights spreads them exactly ({counts})")
        stats = t.stats()
        for w in stats["workers"]:
            ev = w["events"]
            check(w["rx_packets"] > 100 and ev["nat_in"] > 50 and ev["nat_out"] > 50,
                  f"worker on lcore {w['lcore']} forwarded both directions "
                  f"(rx {w['rx_packets']}, nat_in {ev['nat_in']}, nat_out {ev['nat_out']})")
            check(w["busy_cycles"] > 0 and w["idle_cycles"] > 0, f"worker {w['lcore']} reports busy and idle cycles")
        conns = stats["connections"]
        check(conns["inserted"] >= 500 and conns["capacity"] == 65536 and conns["bytes_per_connection"] > 64,
              f"stats show the table: {conns}")
        human = t.lbctl("stats").stdout
        check(re.search(r"Connections:\n  capacity 65536, in use \d+ \(", human) is not None,
              "lbctl stats shows the table's occupancy")

        # --- a long download and a request loop through 100 changes -------
        out_file = os.path.join(t.workdir, "download.bin")
        curl = t.spawn("download", t.ns["client"],
                       ["curl", "-s", "-S", "--local-port", str(BIG_PORT), "--limit-rate", BIG_RATE,
                        "-o", out_file, "-w", "%{http_code}", f"http://{VIP}/big.bin"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        loop = t.spawn("loop", t.ns["client"], [PYTHON, "-c", REQUESTS, VIP, "loop"],
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        pids += [curl.pid, loop.pid]
        download = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            download = next((c for c in connections(t) if c["client_port"] == BIG_PORT), None)
            if download is not None and download["state"] == "ESTABLISHED":
                break
            time.sleep(0.2)
        check(download is not None and download["state"] == "ESTABLISHED",
              f"the download's connection is listed as ESTABLISHED ({download})")
        listing = t.lbctl("-L", "-c", "-n").stdout.splitlines()
        check(listing[:2] == ["IPVS connection entries",
                              "pro expire state       source             virtual            destination"],
              f"lbctl -L -c -n prints ipvsadm's header ({listing[:2]})")
        row = re.compile(rf"^TCP \d\d:\d\d  ESTABLISHED {re.escape(CLIENT_IP)}:{BIG_PORT} +{re.escape(VIP)}:80 +"
                         rf"{re.escape(download['dest_address'] if download else '?')}:8080$")
        check(any(row.match(line) for line in listing), "and the download's line in ipvsadm's format")
        only = t.lbctl("-L", "-c", "-n", "-t", f"{VIP}:80").stdout.splitlines()
        none = t.lbctl("-L", "-c", "-n", "-u", f"{VIP}:53").stdout.splitlines()
        check(any(row.match(line) for line in only) and len(none) == 2,
              "-t VIP:80 lists it, -u VIP:53 lists no connection")

        dest = RS_IPS.index(download["dest_address"]) if download else 0
        refused = []
        start = time.monotonic()
        plan = change_plan(dest)
        for n, servers in enumerate(plan):
            rc = reload(t, servers)
            if rc.returncode != 0:
                refused.append((n, rc.stderr.strip()))
            if n == 0:
                listed = next((c for c in connections(t) if c["client_port"] == BIG_PORT), None)
                check(listed is not None and listed["state"] == "ESTABLISHED",
                      f"after its server {RS_IPS[dest]} left the service, the download's connection continues")
            time.sleep(0.03)
        took = time.monotonic() - start
        check(not refused, f"{CHANGES} live changes of the real-server set all accepted in {took:.1f} s ({refused[:3]})")
        check(curl.poll() is None, "the download was still running when the last change was made")

        # Timeouts at run time, ipvsadm's way: an established connection
        # takes the new ESTABLISHED timeout at its next packet. A keep-alive
        # connection's next request is that packet for sure; the download
        # may be silent by now, its last megabytes waiting in the client's
        # socket buffer for curl's rate limit.
        held = t.spawn("keepalive-timeout", t.ns["client"], [PYTHON, "-c", KEEPALIVE, VIP, "5"],
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        pids.append(held.pid)
        held_port = int(held.stdout.readline())

        def held_request():
            held.stdin.write("go\n")
            held.stdin.flush()
            answer = held.stdout.readline().strip()
            return answer, next((c for c in connections(t) if c["client_port"] == held_port), None)

        answer, listed = held_request()
        check(answer in ("rs1", "rs2", "rs3") and listed is not None and listed["expires_s"] > 600,
              f"a keep-alive connection ({answer}) expires after the default 900 s "
              f"({listed and listed['expires_s']})")
        rc = t.lbctl("--set", "600", "0", "0", check=False)
        check(rc.returncode == 0, f"ipvsadm --set 600 0 0 accepted ({rc.stderr.strip()})")
        shown = t.lbctl("-L", "--timeout").stdout
        check(shown == "Timeout (tcp tcpfin udp): 600 120 300\n", f"-L --timeout shows it ({shown!r})")
        answer, listed = held_request()
        check(answer in ("rs1", "rs2", "rs3") and listed is not None and 590 <= listed["expires_s"] <= 600,
              f"after its next request it expires within 600 s ({answer}, {listed and listed['expires_s']})")
        t.stop_process("keepalive-timeout", held)

        code = curl.communicate(timeout=120)[0]
        with open(out_file, "rb") as f:
            got_sha = hashlib.sha256(f.read()).hexdigest()
        check(code == "200" and got_sha == big_sha,
              f"the {BIG_SIZE >> 20} MiB download completed intact (HTTP {code}, sha256 match: {got_sha == big_sha})")
        loop.stdin.close()
        result = json.loads(loop.stdout.readline())
        t.stop_process("loop", loop)
        check(result["ok"] >= 50 and result["failed"] == 0,
              f"the request loop: {result['ok']} requests, {result['failed']} failed {result['errors'][:3]}")
        drops = {k: v for w in t.stats()["workers"] for k, v in w["drops"].items() if v}
        print(f"drops during the changes: {drops}")

        # --- expire_nodest_conn: a removed server's connections flushed ---
        reload(t, {0: 1, 1: 1, 2: 1})
        rc = t.lbctl("set", "expire_nodest_conn=yes", check=False)
        check(rc.returncode == 0, f"lbctl set expire_nodest_conn=yes ({rc.stderr.strip()})")
        keep = t.spawn("keepalive", t.ns["client"], [PYTHON, "-c", KEEPALIVE, VIP, "2"],
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        pids.append(keep.pid)
        port = int(keep.stdout.readline())
        keep.stdin.write("go\n")
        keep.stdin.flush()
        pinned = keep.stdout.readline().strip()
        check(pinned in ("rs1", "rs2", "rs3"), f"a keep-alive connection is served by {pinned}")
        flushed_before = t.stats()["connections"]["flushed"]
        idx = int(pinned[2:]) - 1 if pinned in ("rs1", "rs2", "rs3") else 0
        rc = reload(t, {i: 1 for i in range(3) if i != idx})
        check(rc.returncode == 0 and "kept run-time settings the file does not change: timeouts.established, "
              "expire_nodest_conn" in rc.stdout, f"a reload keeps the run-time settings ({rc.stdout.strip()})")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(c["client_port"] == port for c in connections(t)):
            time.sleep(0.2)
        check(not any(c["client_port"] == port for c in connections(t)),
              f"its connection to the removed {pinned} is flushed from the table")
        check(t.stats()["connections"]["flushed"] > flushed_before, "and counted as flushed")
        keep.stdin.write("again\n")
        keep.stdin.flush()
        answer = keep.stdout.readline().strip()
        check(answer.startswith("error"), f"its next request gets no answer ({answer})")
        t.stop_process("keepalive", keep)
        settings = json.loads(t.lbctl("--json", "settings").stdout)
        check(settings["expire_nodest_conn"] is True and settings["timeouts"]["established"] == 600,
              f"lbctl settings shows what was set ({settings})")

        # Bad requests: a precise error each, nothing changed.
        before = raw_call(t, {"v": 1, "cmd": "settings"})["result"]
        for args, want in (({"limit": 0}, "args.limit"), ({"cursor": -1}, "args.cursor"),
                           ({"service": {"protocol": "icmp", "vip": VIP, "port": 80}}, "args.service.protocol"),
                           ({"service": {"protocol": "tcp", "vip": "nowhere", "port": 80}}, "args.service.vip")):
            err = raw_call(t, {"v": 1, "cmd": "connections", "args": args}).get("error", {})
            check(err.get("code") == "bad_request" and want in err.get("message", ""),
                  f"connections {args} is refused naming {want} ({err})")
        for args, want in (({"timeouts": {"established": 0}}, "args.timeouts.established"),
                           ({"timeouts": {"udp": 30, "bogus": 5}}, "args.timeouts.bogus"),
                           ({"expire_nodest_conn": "yes", "timeouts": {"udp": 30}}, "args.expire_nodest_conn"),
                           ({"sysctl": 1}, "args.sysctl")):
            err = raw_call(t, {"v": 1, "cmd": "set", "args": args}).get("error", {})
            check(err.get("code") == "bad_request" and want in err.get("message", ""),
                  f"set {args} is refused naming {want} ({err})")
        after = raw_call(t, {"v": 1, "cmd": "settings"})["result"]
        check(after == before, "and no refused set changed anything (all or nothing)")

        rc = t.stop_lbd()
        check(rc == 0, f"lbd exits 0 on SIGTERM (got {rc})")
    finally:
        t.close()
    check_nothing_left(check, f"lbd{t.tag}-", pids)
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
