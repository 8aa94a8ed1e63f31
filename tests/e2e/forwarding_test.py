#!/usr/bin/python3
"""Direct routing (DR) and IP tunnelling (TUN) end to end, with real clients
and servers in the topology of forwarding_topology.py:

- DR: 300 HTTP requests (a new connection each) to a service of two DR
  servers all succeed, rr spreads them 150/150, and the replies never cross
  lbd: `nat_out` does not move, and a capture on the bridge port leading to
  lbd shows no frame from a DR server (ARP aside) and none from a VIP; every
  frame lbd received came from the client, as many as its ext port counted;
- TUN: 300 requests through the TUN server all succeed; lbd sent them IPIP to
  the router, and the replies came back through the router, not lbd;
- one service mixing a DR, a TUN and a NAT server (rr) serves 300 requests
  100/100/100;
- path MTU through the tunnel: a 2 MiB upload with the client's 1500-byte DF
  packets completes after lbd answered them with ICMP fragmentation-needed
  (MTU 1480, the tunnel adds 20 bytes) and the client lowered its path MTU;
  lbd's counter FRAG_NEEDED_COUNTER grew; a 2 MiB download completes;
- the client learned lbd's MAC for every VIP (the real servers do not answer
  ARP for them);
- `lbctl -L -n` lists the mixed service's servers as Route, Tunnel and Masq;
- a health check through the tunnel (`through_tunnel`, set by a live edit):
  lbd's SYN to VIP:80 inside IPIP, decapsulated by the server, whose SYN-ACK
  comes back from the VIP through the router: up, "connected through the
  tunnel"; the check moved to VIP:81 (nothing listens) is refused and takes
  the server down;
- lbd exits 0 on SIGTERM; no namespace or process is left behind.
"""
import argparse
import collections
import json
import os
import re
import sys
import time

from forwarding_topology import (BIG_SIZE, CLIENT_IP, DR_IPS, DR_VIP, MIXED_VIP, NAT_IP,
                                 TUN_IP, TUN_VIP, UPLOAD_PORT, VIPS, ForwardingTopology, services_yaml)
from topology import PYTHON, check_nothing_left, sh

# lbd's event counter of ICMP fragmentation-needed messages it sent.
FRAG_NEEDED_COUNTER = "icmp_frag_needed_sent"
TUNNEL_MTU = 1480
REQUESTS_PER_CHECK = 300

DR_SERVICE = (DR_VIP, 80, [(DR_IPS[0], "dr"), (DR_IPS[1], "dr")])
TUN_SERVICES = [(TUN_VIP, 80, [(TUN_IP, "tunnel")]), (TUN_VIP, UPLOAD_PORT, [(TUN_IP, "tunnel")])]
MIXED_SERVICE = (MIXED_VIP, 80, [(DR_IPS[0], "dr"), (TUN_IP, "tunnel"), (NAT_IP, "nat")])
SERVICES = [DR_SERVICE, *TUN_SERVICES, MIXED_SERVICE]

# Each request on a new connection; prints who served each. Gives up after
# 5 failures in a row so that a broken forwarder fails fast.
REQUESTS = r'''
import http.client, json, sys
host, n = sys.argv[1], int(sys.argv[2])
served, errors, in_a_row = [], [], 0
for i in range(n):
    try:
        c = http.client.HTTPConnection(host, 80, timeout=5)
        c.request("GET", "/", headers={"Connection": "close"})
        r = c.getresponse()
        served.append(r.read().decode().split()[0])
        c.close()
        in_a_row = 0
    except Exception as e:
        errors.append(repr(e))
        in_a_row += 1
        if in_a_row == 5:
            errors.append("gave up after 5 failures in a row")
            break
print(json.dumps({"served": served, "errors": errors}))
'''

# upload HOST PORT SIZE: POSTs SIZE random bytes, prints the server's answer
# and the local digest; download HOST PATH: prints the size and digest.
TRANSFER = r'''
import hashlib, http.client, json, os, sys, time
mode, host = sys.argv[1], sys.argv[2]
start = time.monotonic()
try:
    if mode == "upload":
        body = os.urandom(int(sys.argv[4]))
        c = http.client.HTTPConnection(host, int(sys.argv[3]), timeout=30)
        c.request("POST", "/upload", body=body, headers={"Connection": "close"})
        r = c.getresponse()
        out = {"status": r.status, "answer": r.read().decode().strip(), "sha256": hashlib.sha256(body).hexdigest()}
    else:
        c = http.client.HTTPConnection(host, 80, timeout=30)
        c.request("GET", sys.argv[3], headers={"Connection": "close"})
        r = c.getresponse()
        data = r.read()
        out = {"status": r.status, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
except Exception as e:
    out = {"error": repr(e)}
out["seconds"] = round(time.monotonic() - start, 2)
print(json.dumps(out))
'''

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


class Lbd:
    """The balancer under test."""
    name = "lbd"

    def __init__(self, t, args):
        self.t, self.args = t, args
        self.events = []     # the event counters lbd reports, for messages

    def start(self):
        t, services = self.t, services_yaml(SERVICES)
        cfg = os.path.join(t.workdir, "check.yaml")
        with open(cfg, "w") as f:
            f.write(t.lbd_config("af_packet", services=services))
        r = sh(self.args.lbd, "--check-config", "--config", cfg, check=False)
        if r.returncode != 0:
            raise SystemExit(f"lbd rejects the DR/TUN configuration:\n{r.stdout}{r.stderr}")
        drivers = (self.args.driver,) if self.args.driver else ("af_xdp", "af_packet")
        return t.start_lbd(self.args.lbd, self.args.lbctl, drivers=drivers, services=services)

    def counters(self):
        """The counters the checks read, summed over workers."""
        st = self.t.stats()
        events = collections.Counter()
        for w in st["workers"]:
            events.update(w["events"])
        self.events = sorted(events)
        return {"nat_out": events["nat_out"], "frag_needed": events.get(FRAG_NEEDED_COUNTER),
                "ext_rx": next(p["rx_packets"] for p in st["ports"] if p["name"] == "ext"),
                "tx_errors": sum(p["tx_errors"] for p in st["ports"])}

    def stop(self):
        return self.t.stop_lbd()


def settled(read, timeout=3):
    """read() once its result stops changing (packets still in flight)."""
    last = read()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = read()
        if now == last:
            break
        last = now
    return last


def requests(t, host, n=REQUESTS_PER_CHECK):
    out = sh(PYTHON, "-c", REQUESTS, host, str(n), ns=t.ns["client"], timeout=600)
    result = json.loads(out.stdout)
    if result["errors"]:
        print(f"  errors: {result['errors'][:3]}")
    return result["served"], result["errors"]


def transfer(t, *argv):
    out = sh(PYTHON, "-c", TRANSFER, *argv, ns=t.ns["client"], timeout=120)
    result = json.loads(out.stdout)
    print(f"  {argv[0]}: {result}")
    return result


class Site:
    """The running topology, its balancer and the MAC addresses the captures
    are filtered on."""

    def __init__(self, t, lb):
        self.t, self.lb = t, lb
        self.lb_mac, self.client_mac = t.mac("lb", "lb-ext"), t.mac("client", "c0")
        self.router_mac = t.mac("router", "lan0")
        self.dr_macs = [t.mac(name, "eth0") for name in ("dr1", "dr2")]
        self.to_lb = f"not ether src {self.lb_mac}"    # on the bridge port leading to lbd

    def lan_capture(self, name, flt=""):
        """Both directions on the bridge port leading to lbd."""
        return self.t.capture(name, self.t.ns["lan"], "lan-lb", flt)

    def lb_received_only_client(self, cap, before, after, what):
        # Multicast (a namespace's IGMP report as an interface comes up) is
        # nobody's reply; what must not reach lbd is a real server's unicast.
        stray = cap.lines(f"{self.to_lb} and not ether src {self.client_mac} and not arp and not ether multicast")
        check(not stray, f"{what}: every frame lbd received came from the client or was ARP or multicast "
                         f"({len(stray)} others: {stray[:2]})")
        n = cap.count(self.to_lb)
        got = after["ext_rx"] - before["ext_rx"]
        check(abs(got - n) <= 3, f"{what}: the ext port received what the bridge sent it ({got} counted, {n} captured)")
        check(cap.count(f"{self.to_lb} and ip src host ({' or '.join(VIPS)})") == 0,
              f"{what}: no frame from a VIP (a reply) reached lbd")


def check_dr(site):
    t, lb = site.t, site.lb
    cap = site.lan_capture("dr-lb")
    before = lb.counters()
    served, errors = requests(t, DR_VIP)
    after = lb.counters()
    print(f"  capture: {cap.stop()}")
    counts = collections.Counter(served)
    check(not errors and len(served) == REQUESTS_PER_CHECK,
          f"DR: {REQUESTS_PER_CHECK} requests to {DR_VIP} all succeed ({len(served)} served, {len(errors)} errors)")
    check(counts == {"dr1": 150, "dr2": 150}, f"DR: rr spreads them 150/150: {dict(counts)}")
    check(after["nat_out"] == before["nat_out"], f"DR: nat_out unchanged ({before['nat_out']} -> {after['nat_out']})")
    dr_to_lb = cap.lines(f"{site.to_lb} and (ether src {site.dr_macs[0]} or ether src {site.dr_macs[1]}) and not arp")
    check(not dr_to_lb, f"DR: no frame from a DR server reached lbd, ARP aside ({len(dr_to_lb)}: {dr_to_lb[:2]})")
    site.lb_received_only_client(cap, before, after, "DR")
    to_dr = cap.count(f"ether src {site.lb_mac} and (ether dst {site.dr_macs[0]} or ether dst {site.dr_macs[1]}) "
                      f"and dst host {DR_VIP} and tcp")
    check(to_dr >= 3 * REQUESTS_PER_CHECK,
          f"DR: lbd passed the client's packets to the DR servers' MACs, VIP unchanged ({to_dr} frames)")


def check_tun(site):
    t, lb = site.t, site.lb
    cap = site.lan_capture("tun-lb")
    via_router = t.capture("tun-router", t.ns["router"], "lan0", f"ether src {site.router_mac} and tcp")
    decap_before = t.decap_counters()
    before = lb.counters()
    served, errors = requests(t, TUN_VIP)
    decap_after = settled(t.decap_counters)
    after = lb.counters()
    print(f"  captures: {cap.stop()} / {via_router.stop()}")
    check(not errors and served == ["tun1"] * REQUESTS_PER_CHECK,
          f"TUN: {REQUESTS_PER_CHECK} requests to {TUN_VIP} all served by tun1 ({dict(collections.Counter(served))}, "
          f"{len(errors)} errors)")
    check(after["nat_out"] == before["nat_out"], f"TUN: nat_out unchanged ({before['nat_out']} -> {after['nat_out']})")
    ipip = cap.count(f"ether src {site.lb_mac} and ether dst {site.router_mac} and ip proto 4 and dst host {TUN_IP}")
    check(ipip >= 3 * REQUESTS_PER_CHECK,
          f"TUN: lbd sent the client's packets IPIP to {TUN_IP} via the router ({ipip} frames)")
    decapsulated = decap_after["decapsulated"] - decap_before["decapsulated"]
    check(decapsulated == ipip and decap_after["malformed"] == decap_before["malformed"],
          f"TUN: the server decapsulated each of them ({decapsulated} of {ipip}; counters {decap_after})")
    synacks = via_router.count(f"src host {TUN_VIP} and src port 80 and dst host {CLIENT_IP} "
                               "and tcp[tcpflags] & (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack)")
    check(synacks >= REQUESTS_PER_CHECK,
          f"TUN: the replies came to the client through the router ({synacks} SYN-ACKs from {TUN_VIP} forwarded)")
    site.lb_received_only_client(cap, before, after, "TUN")


def check_mixed(site):
    served, errors = requests(site.t, MIXED_VIP)
    counts = collections.Counter(served)
    check(not errors and counts == {"dr1": 100, "tun1": 100, "nat1": 100},
          f"mixed: {REQUESTS_PER_CHECK} requests to {MIXED_VIP} spread 100/100/100 over DR, TUN and NAT: "
          f"{dict(counts)}, {len(errors)} errors")


def check_path_mtu(site):
    t, lb = site.t, site.lb
    client = t.ns["client"]
    no_pmtu = sh("sysctl", "-n", "net.ipv4.ip_no_pmtu_disc", ns=client).stdout.strip()
    check(no_pmtu == "0", f"the client does path-MTU discovery (DF set; ip_no_pmtu_disc = {no_pmtu})")
    sh("ip", "route", "flush", "cache", ns=client)
    cap = site.lan_capture("pmtu-lb", "icmp or (ip[6] & 0x40 != 0 and greater 1400)")
    decap_before = t.decap_counters()
    before = lb.counters()
    up = transfer(t, "upload", TUN_VIP, str(UPLOAD_PORT), str(BIG_SIZE))
    after = lb.counters()
    print(f"  capture: {cap.stop()}")
    check(up.get("status") == 200 and up.get("answer") == f"tun1 {BIG_SIZE} {up.get('sha256')}",
          f"a {BIG_SIZE}-byte upload through the TUN server completes intact")
    big_df = cap.count(f"ether src {site.client_mac} and greater 1514")
    check(big_df >= 1, f"the client first sent 1500-byte DF packets ({big_df})")
    frag_needed = cap.lines(f"ether src {site.lb_mac} and dst host {CLIENT_IP} and icmp[icmptype] == 3 and "
                            f"icmp[icmpcode] == 4 and icmp[6:2] == {TUNNEL_MTU}")
    check(frag_needed, f"lbd answered them with ICMP fragmentation-needed, MTU {TUNNEL_MTU} "
                       f"({len(frag_needed)}: {frag_needed[:1]})")
    route = " ".join(sh("ip", "route", "get", TUN_VIP, ns=client).stdout.split())
    check(f"mtu {TUNNEL_MTU}" in route, f"the client lowered its path MTU to {TUN_VIP}: {route}")
    if after["frag_needed"] is None:
        check(False, f"lbd counts them under {FRAG_NEEDED_COUNTER} (no such event counter; it has {lb.events})")
    else:
        check(after["frag_needed"] > before["frag_needed"],
              f"lbd counted them ({FRAG_NEEDED_COUNTER}: {before['frag_needed']} -> {after['frag_needed']})")
    down = transfer(t, "download", TUN_VIP, "/big")
    check(down.get("status") == 200 and down.get("size") == BIG_SIZE and down.get("sha256") == t.big_sha256,
          f"a {BIG_SIZE}-byte download from the TUN server completes intact")
    decap_after = settled(t.decap_counters)
    check(decap_after["fragments"] == decap_before["fragments"],
          f"nothing reached the TUN server fragmented ({decap_after})")


def check_arp(site):
    out = sh("ip", "-j", "neigh", "show", "dev", "c0", ns=site.t.ns["client"]).stdout
    neigh = {n["dst"]: n.get("lladdr") for n in json.loads(out)}
    check(all(neigh.get(v) == site.lb_mac for v in (DR_VIP, TUN_VIP)),
          f"the client reaches the VIPs at lbd's MAC {site.lb_mac}: {neigh}")


def check_listing(site):
    listing = site.t.lbctl("-L", "-n").stdout
    print(listing, end="")
    lines = listing.split("\n")
    head = f"TCP  {MIXED_VIP}:80 rr"
    check(head in lines, f"listing shows `{head}`")
    rows = []
    if head in lines:
        for line in lines[lines.index(head) + 1:]:
            if not line.startswith("  -> "):
                break
            rows.append(line)
    for addr, name in ((DR_IPS[0], "Route"), (TUN_IP, "Tunnel"), (NAT_IP, "Masq")):
        check(any(re.fullmatch(rf"  -> {re.escape(addr)}:80 +{name} +1 +\d+ +\d+ *", r) for r in rows),
              f"the mixed service lists {addr}:80 as {name}")


def health_state(t, addr):
    servers = json.loads(t.lbctl("--json", "health").stdout)["servers"]
    return next(s for s in servers if s["address"] == addr and s["service"].get("vip") == TUN_VIP)


def check_health_through_tunnel(site):
    t = site.t
    # The ext port's source route: off-subnet via the gateway through the
    # TAP, on-link hosts still directly.
    far = sh("ip", "-4", "route", "get", TUN_IP, "from", "198.18.1.1", ns=t.ns["lb"], check=False).stdout
    near = sh("ip", "-4", "route", "get", CLIENT_IP, "from", "198.18.1.1", ns=t.ns["lb"], check=False).stdout
    check("via 198.18.1.254" in far and "table 25200" in far, f"from the ext address to {TUN_IP}: via the gateway ({far.strip()})")
    check("via" not in near and "dev" in near, f"to the on-link client: directly ({near.strip()})")
    decap_before = t.decap_counters()["decapsulated"]
    r = t.lbctl("service", "edit", f"tcp:{TUN_VIP}:80", "--check", "tcp", "--interval", "500ms",
                "--timeout", "400ms", "--rise", "1", "--fall", "1", "--through-tunnel", "yes", check=False)
    check(r.returncode == 0, f"health check through the tunnel set by a live edit ({r.stdout}{r.stderr})")
    t.wait_for(lambda: health_state(t, TUN_IP).get("last") is not None, "the first check through the tunnel")
    s = health_state(t, TUN_IP)
    check(s["state"] == "up" and s["last"]["reason"] == f"connected through the tunnel to {TUN_VIP}:80",
          f"TUN server up by a SYN-ACK from {TUN_VIP}:80 through the tunnel ({s['last']})")
    check(t.decap_counters()["decapsulated"] > decap_before, "the server decapsulated the check's SYN")
    r = t.lbctl("service", "edit", f"tcp:{TUN_VIP}:80", "--check-port", "81", check=False)
    check(r.returncode == 0, f"the check moved to port 81 ({r.stdout}{r.stderr})")
    t.wait_for(lambda: health_state(t, TUN_IP)["state"] == "down", "the TUN server down", timeout=15)
    reason = health_state(t, TUN_IP)["last"]["reason"]
    check(reason == f"connect through the tunnel: refused (RST from {TUN_VIP}:81)",
          f"refused through the tunnel: down ({reason!r})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lbd", required=True)
    ap.add_argument("--lbctl", required=True)
    ap.add_argument("--driver", choices=["af_xdp", "af_packet"],
                    help="DPDK driver for lbd's ports (default: AF_XDP, falling back to AF_PACKET)")
    args = ap.parse_args()

    t = ForwardingTopology()
    pids = []
    try:
        t.build()
        t.start_servers()
        lb = Lbd(t, args)
        print(f"{lb.name} running on {lb.start()}", flush=True)
        pids = [p.pid for _, p in t.procs]
        site = Site(t, lb)
        check_dr(site)
        check_tun(site)
        check_mixed(site)
        check_path_mtu(site)
        check_arp(site)
        check_listing(site)
        check_health_through_tunnel(site)
        check(lb.counters()["tx_errors"] == 0, "no transmit errors")
        rc = lb.stop()
        check(rc == 0, f"{lb.name} exits 0 on SIGTERM (got {rc})")
    finally:
        pids += [p.pid for _, p in t.procs]
        t.close()

    check_nothing_left(check, f"lbd{t.tag}-", pids)
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")


if __name__ == "__main__":
    main()
