#!/usr/bin/python3
"""End to end through lbd with real clients and servers (see topology.py):
300 HTTP requests through the VIP all succeed and rr spreads them evenly; a
UDP request gets its answer; ping to the VIP works; a connection to a VIP
port with no service fails and is counted; the appliance's own address
reaches the kernel through the exception path; `lbctl -L -n` shows the table
in ipvsadm's format; lbd stops cleanly on SIGTERM and nothing is left behind.
"""
import argparse
import json
import re
import subprocess
import sys

from topology import LB_EXT_IP, PYTHON, Topology, VIP, check_nothing_left, sh

HTTP_CLIENT = r'''
import collections, http.client, json, sys
vip, n = sys.argv[1], int(sys.argv[2])
counts, errors = collections.Counter(), []
for _ in range(n):
    try:
        c = http.client.HTTPConnection(vip, 80, timeout=5)
        c.request("GET", "/")
        r = c.getresponse()
        body = r.read().decode()
        c.close()
        if r.status == 200:
            counts[body.split()[0]] += 1
        else:
            errors.append(f"status {r.status}")
    except Exception as e:
        errors.append(repr(e))
print(json.dumps({"counts": counts, "errors": errors}))
'''

UDP_CLIENT = r'''
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(b"hello", (sys.argv[1], 53))
data, peer = s.recvfrom(2048)
print(data.decode(), peer[0], peer[1])
'''

TCP_CONNECT = r'''
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3]))
print(s.recv(100).decode())
'''

BANNER_SERVER = r'''
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 9000))
s.listen()
while True:
    c, _ = s.accept()
    c.sendall(b"appliance kernel says hi")
    c.close()
'''

BROADCAST_LISTENER = r'''
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 9999))
s.settimeout(10)
print(s.recvfrom(100)[0].decode(), flush=True)
'''

BROADCAST_SENDER = r'''
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
for _ in range(20):
    s.sendto(b"broadcast from the appliance", (sys.argv[1], 9999))
    time.sleep(0.2)
'''

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lbd", required=True)
    ap.add_argument("--lbctl", required=True)
    ap.add_argument("--driver", choices=["af_xdp", "af_packet"],
                    help="DPDK driver for lbd's ports (default: AF_XDP, falling back to AF_PACKET)")
    args = ap.parse_args()

    t = Topology()
    pids = []
    try:
        t.build()
        t.start_servers()
        driver = t.start_lbd(args.lbd, args.lbctl, drivers=(args.driver,) if args.driver else ("af_xdp", "af_packet"))
        print(f"lbd running on {driver}")
        client = t.ns["client"]

        ping = sh("ping", "-c", "3", "-i", "0.2", "-W", "2", VIP, ns=client, check=False)
        check(ping.returncode == 0, f"ping {VIP} through lbd: {ping.stdout.splitlines()[-1] if ping.stdout else ping.stderr}")

        out = sh(PYTHON, "-c", HTTP_CLIENT, VIP, "300", ns=client, timeout=180)
        result = json.loads(out.stdout)
        counts = result["counts"]
        check(not result["errors"], f"300 HTTP requests all succeed (errors: {result['errors'][:3]})")
        check(counts == {"rs1": 100, "rs2": 100, "rs3": 100}, f"rr spreads them evenly: {counts}")

        udp = sh(PYTHON, "-c", UDP_CLIENT, VIP, ns=client, check=False, timeout=10)
        check(udp.returncode == 0 and re.fullmatch(rf"rs[123]: hello {re.escape(VIP)} 53\n", udp.stdout) is not None,
              f"UDP request to {VIP}:53 answered from the VIP: {udp.stdout.strip() or udp.stderr.strip()}")

        before = t.drop_total("no_service")
        bad = sh(PYTHON, "-c", TCP_CONNECT, VIP, "81", "2", ns=client, check=False, timeout=10)
        check(bad.returncode != 0, "a connection to an unconfigured VIP port fails")
        check(t.drop_total("no_service") > before, "and is counted as no_service")

        banner = t.spawn("banner", t.ns["lb"], [PYTHON, "-c", BANNER_SERVER, LB_EXT_IP])
        pids.append(banner.pid)
        Topology.wait_for(lambda: sh(PYTHON, "-c", TCP_CONNECT, LB_EXT_IP, "9000", "1", ns=client,
                                     check=False).returncode == 0, "the exception path", timeout=10)
        own = sh(PYTHON, "-c", TCP_CONNECT, LB_EXT_IP, "9000", "3", ns=client, check=False)
        check(own.stdout.strip() == "appliance kernel says hi",
              "TCP to the appliance's own address reaches its kernel through the exception TAP")

        listener = t.spawn("bcast-listener", t.ns["rs1"], [PYTHON, "-c", BROADCAST_LISTENER],
                           stdout=subprocess.PIPE, text=True)
        pids.append(listener.pid)
        sh(PYTHON, "-c", BROADCAST_SENDER, "198.18.2.255", ns=t.ns["lb"], timeout=20)
        heard = listener.communicate(timeout=15)[0].strip()
        check(heard == "broadcast from the appliance",
              "a broadcast from the appliance's kernel leaves through the port to the subnet")

        listing = t.lbctl("-L", "-n").stdout
        print(listing, end="")
        lines = listing.split("\n")
        check(re.fullmatch(r"IP Virtual Server version 1\.2\.1 \(size=65536\)", lines[0]) is not None, "listing header")
        check(lines[1] == "Prot LocalAddress:Port Scheduler Flags", "listing title line 1")
        check(lines[2] == "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn", "listing title line 2")
        check(lines[3] == f"TCP  {VIP}:80 rr", "TCP service line")
        rows = [l for l in lines if l.startswith("  -> 198.18.2.")]
        check(len(rows) == 6 and all(re.fullmatch(r"  -> 198\.18\.2\.1[123]:(8080|5353) +Masq    1      \d+ +\d+ *", r)
                                     for r in rows), "real server rows: Masq, weight 1, counters")
        check(all(len(r) == len("  -> ") + 28 + 1 + 7 + 1 + 6 + 1 + 10 + 1 + 10 for r in rows), "rows padded as ipvsadm pads them")
        check(f"UDP  {VIP}:53 wlc" in lines, "UDP service line")

        st = t.stats()
        check(sum(w["events"]["conn_created"] for w in st["workers"]) >= 301, "connections were created for each request")
        # Every next hop answered ARP at once: a lost ARP request (AF_XDP once
        # dropped freshly allocated buffers as invalid descriptors) shows here.
        unresolved = sum(w["drops"]["neighbor_unreachable"] for w in st["workers"])
        check(unresolved == 0, f"no packet waited in vain for ARP (neighbor_unreachable = {unresolved})")
        check(all(p["tx_errors"] == 0 for p in st["ports"]), f"no transmit errors: {[p['tx_errors'] for p in st['ports']]}")
        pids.append(t.lbd.pid)
        rc = t.stop_lbd()
        check(rc == 0, f"lbd exits 0 on SIGTERM (got {rc})")
    finally:
        pids += [p.pid for _, p in t.procs]
        t.close()

    check_nothing_left(check, f"lbd{t.tag}-", pids)
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
