"""The kernel peer: the same veth topology as the end-to-end tests (client,
director, three real servers running nginx, one running iperf3), load
balanced once by nftables DNAT in the director's kernel and once by lbd
(net_af_xdp on the same veths), with the same wrk and iperf3 workloads.

    client 198.18.1.10 --- [lb-ext] director [lb-int] --- bridge --- rs1..rs3 198.18.2.11..13
                           VIP 198.18.1.100

Through veths the kernel carries every packet on both sides of the
director, so these figures compare the two load balancers on equal terms
(what an application sees), not lbd's own packet rate (the memif harness).
lbd runs as in the end-to-end tests: its worker sleeps 50 µs when a poll
round finds nothing, because on a 2-CPU machine a busy-polling worker would
take the CPU the client and servers need.
"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "e2e"))

import topology  # noqa: E402
from topology import LB_EXT_IP, LB_INT_IP, RS_IPS, VIP, Topology, sh  # noqa: E402

IPERF_PORT = 5201

# The end-to-end tests' services (HTTP on 80 over the three servers, DNS),
# and iperf3 on rs1.
SERVICES = topology.DEFAULT_SERVICES + f"""  - protocol: tcp
    vip: {VIP}
    port: {IPERF_PORT}
    scheduler: rr
    real_servers:
      - {{address: {RS_IPS[0]}, port: {IPERF_PORT}}}
"""

# numgen inc: round robin, as lbd's rr; conntrack translates the replies.
NFT_RULES = f"""table ip lbbench {{
  chain prerouting {{
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr {VIP} tcp dport 80 dnat to numgen inc mod 3 map {{ 0 : {RS_IPS[0]}, 1 : {RS_IPS[1]}, 2 : {RS_IPS[2]} }} : 8080
    ip daddr {VIP} tcp dport {IPERF_PORT} dnat to {RS_IPS[0]} : {IPERF_PORT}
  }}
}}
"""


def wrk(topo, seconds, connections):
    """wrk against the VIP from the client: requests/s and latency (ms)."""
    r = sh("wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", f"http://{VIP}/",
           ns=topo.ns["client"], timeout=seconds + 60)
    out = r.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", out)

    def ms(label):
        m = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return None
        return float(m.group(1)) * {"us": 1e-3, "ms": 1, "s": 1e3}[m.group(2)]

    return {"requests_per_s": rps, "p50_ms": ms("50%"), "p90_ms": ms("90%"), "p99_ms": ms("99%"),
            "errors": errors.group(0) if errors else None, "connections": connections}


def iperf3(topo, seconds):
    """iperf3 (one TCP stream) to the VIP: Gbit/s received."""
    r = sh("iperf3", "-c", VIP, "-p", str(IPERF_PORT), "-t", str(seconds), "-J", ns=topo.ns["client"],
           timeout=seconds + 60)
    data = json.loads(r.stdout)
    if "error" in data:
        raise RuntimeError(f"iperf3 through {VIP}: {data['error']}")
    return {"gbps": data["end"]["sum_received"]["bits_per_second"] / 1e9,
            "retransmits": data["end"]["sum_sent"].get("retransmits")}


def workloads(topo, seconds, connections):
    return {"wrk": wrk(topo, seconds, connections), "iperf3": iperf3(topo, seconds)}


def start_servers(topo):
    topo.start_servers()
    topo.spawn("iperf3", topo.ns["rs1"], ["iperf3", "-s", "-B", RS_IPS[0], "-p", str(IPERF_PORT)],
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Listening, seen without connecting: iperf3 takes any connection for a
    # test's control channel and is busy until it gives up on it.
    topo.wait_for(lambda: f"{RS_IPS[0]}:{IPERF_PORT}" in sh("ss", "-ltnH", ns=topo.ns["rs1"]).stdout,
                  "iperf3 server")


def run_nftables(seconds, connections, tag):
    with Topology(tag=f"{tag}n") as topo:
        topo.build()
        lb = topo.ns["lb"]
        sh("ip", "addr", "add", f"{LB_EXT_IP}/24", "dev", "lb-ext", ns=lb)
        sh("ip", "addr", "add", f"{VIP}/32", "dev", "lb-ext", ns=lb)
        sh("ip", "addr", "add", f"{LB_INT_IP}/24", "dev", "lb-int", ns=lb)
        sh("sysctl", "-qw", "net.ipv4.ip_forward=1", ns=lb)
        rules = os.path.join(topo.workdir, "lbbench.nft")
        with open(rules, "w") as f:
            f.write(NFT_RULES)
        sh("nft", "-f", rules, ns=lb)
        start_servers(topo)
        out = workloads(topo, seconds, connections)
        out["forwarder"] = "nftables DNAT (numgen inc, conntrack)"
        return out


def run_lbd(build, seconds, connections, tag):
    with Topology(tag=f"{tag}l") as topo:
        topo.build()
        start_servers(topo)
        driver = topo.start_lbd(os.path.join(build, "app/lbd/lbd"), os.path.join(build, "app/lbctl/lbctl"),
                                services=SERVICES)
        out = workloads(topo, seconds, connections)
        out["forwarder"] = f"lbd (net_{driver}, 1 worker, idle_sleep_us 50)"
        stats = topo.stats()
        drops = {}
        for w in stats["workers"]:
            for k, v in w["drops"].items():
                if v:
                    drops[k] = drops.get(k, 0) + v
        # What the ports themselves lost (AF_XDP's rings full: the worker
        # behind) is not one of lbd's drops.
        for p in stats["ports"]:
            for k in ("rx_missed", "rx_errors", "tx_errors"):
                if p[k]:
                    drops[f"{p['name']}.{k}"] = p[k]
        out["lbd_drops"] = drops
        return out


def measure(build, seconds=10, connections=50):
    tag = f"b{os.getpid() % 10000}"
    return {"nftables": run_nftables(seconds, connections, tag),
            "lbd": run_lbd(build, seconds, connections, tag)}


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1] if len(sys.argv) > 1 else "build", 3, 20), indent=2))
