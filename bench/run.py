#!/usr/bin/python3
"""The benchmark suite, one command: packet rate (NAT, DR, TUN), latency,
connection rate, flow-count scaling, workers and packet sizes through the
memif harness, each beside dpdk-testpmd measured in the same run;
instructions per packet under callgrind; nftables DNAT vs lbd on veths.
Writes <out>/<date>-<host>.md (+ .json and PNG plots).

    bench/run.py [--smoke] [--out bench/results] [--build build]

Run as root (hugepages, namespaces). --smoke runs tiny sizes in about a
minute (the test suite's bench_smoke); the full run takes about 15 minutes
and 5 GiB of hugepages. Exit status 3 when any frame lbd forwarded failed
the generator's checks.
"""
import argparse
import datetime
import json
import os
import platform
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "harness"))

import callgrind  # noqa: E402
import kernel_peer  # noqa: E402
import memif  # noqa: E402
import report  # noqa: E402
import scenarios  # noqa: E402

SECTIONS = ("forwarding", "latency", "connection_rate", "flow_scaling", "workers", "sizes", "callgrind",
            "kernel_peer")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="tiny durations and sizes (seconds, not minutes)")
    ap.add_argument("--out", default=None, help="directory for the report (default bench/results)")
    ap.add_argument("--build", default=None, help="lbd's build directory (default build)")
    ap.add_argument("--only", action="append", choices=SECTIONS, help="run only these sections (repeatable)")
    ap.add_argument("--report-only", metavar="JSON",
                    help="measure nothing: write the report and plots again from a run's .json")
    args = ap.parse_args()
    if args.report_only:
        return rewrite(args.report_only)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    build = os.path.abspath(args.build or os.path.join(root, "build"))
    out = os.path.abspath(args.out or os.path.join(root, "bench", "results"))
    if os.geteuid() != 0:
        sys.exit("bench/run.py: run as root (hugepages, network namespaces)")
    os.makedirs(out, exist_ok=True)
    plan = scenarios.smoke_plan() if args.smoke else scenarios.full_plan()
    sections = args.only or SECTIONS
    started = time.monotonic()
    log = lambda msg: print(f"[{time.monotonic() - started:6.1f} s] {msg}", flush=True)

    runner = scenarios.Runner(build, plan, log)
    hugepages = memif.Hugepages(scenarios.hugepage_mb(plan))
    try:
        for name in sections:
            if hasattr(runner, name):
                runner.run(name)
    finally:
        hugepages.close()
    cg = None
    if "callgrind" in sections:
        log("callgrind: instructions per packet on a fixed input")
        cg = callgrind.measure(build, **plan.callgrind)
        log(f"  -> new flow {cg['new_flow']:.0f}, established {cg['established']:.0f} instructions/packet")
    kernel = None
    if "kernel_peer" in sections:
        log("kernel peer: nftables DNAT vs lbd with wrk and iperf3")
        kernel = kernel_peer.measure(build, plan.kernel_seconds, plan.kernel_connections)
        log(f"  -> HTTP {kernel['nftables']['wrk']['requests_per_s']:,.0f} vs {kernel['lbd']['wrk']['requests_per_s']:,.0f} req/s, "
            f"iperf3 {kernel['nftables']['iperf3']['gbps']:.2f} vs {kernel['lbd']['iperf3']['gbps']:.2f} Gbit/s")

    now = datetime.datetime.now()
    stem = f"{now:%Y-%m-%d}-{platform.node()}" + ("-smoke" if args.smoke else "")
    meta = {"date": f"{now:%Y-%m-%d %H:%M}", "machine": report.machine(), "duration": plan.duration,
            "command": " ".join(["bench/run.py"] + sys.argv[1:]), "elapsed_s": time.monotonic() - started,
            "kernel_seconds": plan.kernel_seconds, "plan": "smoke" if args.smoke else "full"}
    meta["repeat"] = plan.repeat
    results = scenarios.aggregate(runner.results)
    md, plots = report.Writer(out, stem, meta["plan"], results, cg, kernel, meta).write(runner.results)
    log(f"report: {md}")
    for p in plots:
        log(f"plot: {p}")
    faulty = [r for r in runner.results if r["report"]["exit"] != 0]
    for r in faulty:
        log(f"FAULTS in {r['scenario']} {r['forwarder']} {r['method']}: {r['report']['faults']}")
    return 3 if faulty else 0


def rewrite(path):
    """The report and plots of an earlier run, from its raw results (all
    repeats), with this revision's report writer."""
    data = json.load(open(path))
    out, stem = os.path.dirname(os.path.abspath(path)), os.path.basename(path)[:-len(".json")]
    runs = data["all_runs"]
    md, plots = report.Writer(out, stem, data["meta"]["plan"], scenarios.aggregate(runs), data["callgrind"],
                              data["kernel_peer"], data["meta"]).write(runs)
    print(f"report: {md}")
    for p in plots:
        print(f"plot: {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
