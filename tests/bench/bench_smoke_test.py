#!/usr/bin/python3
"""The benchmark suite's smoke run: bench/run.py --smoke end to end (memif
harness with lbd and testpmd, callgrind, the nftables kernel peer) into a
scratch directory, then what a reader of the report relies on: every
section and plot is there, every lbd figure has its same-run testpmd (or
nftables) reference, every forwarded frame passed the generator's checks,
and nothing is left behind (namespaces, hugepages)."""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

FAILED = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILED.append(what)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    hugepages = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
    pages_before = open(hugepages).read().strip()
    ns_before = set(subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split())
    out = tempfile.mkdtemp(prefix="lbd-bench-smoke-")
    r = subprocess.run([sys.executable, os.path.join(root, "bench", "run.py"), "--smoke", "--out", out,
                        "--build", os.path.abspath(args.build)], capture_output=True, text=True, timeout=900)
    print(r.stdout[-4000:])
    check(r.returncode == 0, f"bench/run.py --smoke exits 0 ({r.returncode}: {r.stderr[-2000:]})")

    reports = glob.glob(os.path.join(out, "*-smoke.md"))
    check(len(reports) == 1, f"one report written ({reports})")
    if not reports:
        return
    md = open(reports[0]).read()
    for section in ("## Established-flow forwarding", "## Latency at", "## New connections",
                    "## Flow-count scaling", "## Workers", "## Packet sizes",
                    "## Instructions per packet", "## The kernel peer"):
        check(section in md, f"report has '{section}'")
    check("testpmd io (reference)" in md and "nftables DNAT" in md, "references named in the report")
    pngs = glob.glob(os.path.join(out, "*-smoke-*.png"))
    check(sorted(os.path.basename(p).rsplit("-", 1)[1] for p in pngs)
          == ["flows.png", "latency.png", "sizes.png", "workers.png"], f"four plots ({pngs})")
    for p in pngs:
        with open(p, "rb") as f:
            check(f.read(8) == b"\x89PNG\r\n\x1a\n" and os.path.getsize(p) > 5000, f"{os.path.basename(p)} is a PNG")
        check(f"]({os.path.basename(p)})" in md, f"report shows {os.path.basename(p)}")

    data = json.load(open(reports[0][:-3] + ".json"))
    results = data["results"]
    for res in results:
        rep = res["report"]
        name = f"{res['scenario']} {res['forwarder']} {res['method']} {res['params']}"
        check(rep["rx_ok"] > 0 and rep["rx_ok"] == rep["rx_packets"] and not any(rep["faults"].values()),
              f"{name}: {rep['rx_ok']} frames, all verified")
        if res["forwarder"] == "lbd":
            refs = [t for t in results if t["scenario"] == res["scenario"] and t["forwarder"] == "testpmd"]
            check(refs, f"{name}: a testpmd reference in the same run")
            check(rep["lbd"]["cycles_per_packet"] and rep["lbd"]["cycles_per_packet"] > 50,
                  f"{name}: lbd's cycles/packet read ({rep['lbd']['cycles_per_packet']})")
    methods = {r["method"] for r in results if r["scenario"] == "forwarding" and r["forwarder"] == "lbd"}
    check(methods == {"nat", "dr", "tun"}, f"forwarding measured for NAT, DR and TUN ({methods})")
    syn = [r for r in results if r["scenario"] == "syn" and r["forwarder"] == "lbd"]
    check(syn and syn[0]["report"]["lbd"]["connections_created"] > 1000,
          "the SYN scenario made connections in lbd")
    flows = [r for r in results if r["scenario"] == "flows" and r["forwarder"] == "lbd"]
    check(all(r["report"]["lbd"]["connections_in_use"] >= r["params"]["flows"] for r in flows),
          "flow scaling: every flow has its connection in lbd's table")
    cg = data["callgrind"]
    check(100 < cg["established"] < cg["new_flow"], f"callgrind: established {cg['established']:.0f} < new flow "
          f"{cg['new_flow']:.0f} instructions/packet")
    k = data["kernel_peer"]
    check(k["nftables"]["wrk"]["requests_per_s"] > 0 and k["lbd"]["wrk"]["requests_per_s"] > 0
          and k["nftables"]["iperf3"]["gbps"] > 0 and k["lbd"]["iperf3"]["gbps"] > 0,
          "kernel peer: wrk and iperf3 through nftables and lbd")

    ns_after = set(subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split())
    check(ns_after <= ns_before, f"no namespace left ({ns_after - ns_before})")
    check(open(hugepages).read().strip() == pages_before, "hugepage reservation given back")
    subprocess.run(["rm", "-rf", out])


if __name__ == "__main__":
    main()
    print(f"{len(FAILED)} failed" if FAILED else "all passed")
    sys.exit(1 if FAILED else 0)
