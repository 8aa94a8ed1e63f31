"""The benchmark's scenarios over the memif harness, each with its
same-run reference (dpdk-testpmd io forwarding on the same sockets and
CPUs). A Plan says how long and how large; `full` is the published run,
`smoke` keeps the harness working in the test suite within seconds.
"""
import os
from dataclasses import dataclass, field

import memif


@dataclass
class Plan:
    duration: float                 # seconds per measurement
    flows: int                      # established-flow scenarios
    flow_scaling: list              # flow counts
    sizes: list                     # wire sizes ("imix" too)
    latency_rate: int               # offered pps for the latency percentiles
    syn_flows: int                  # distinct flows the SYN scenario cycles over
    workers: list = field(default_factory=list)
    callgrind: dict = field(default_factory=dict)
    kernel_seconds: int = 10
    kernel_connections: int = 50
    repeat: int = 1                 # each measurement, alternating with its reference


def max_workers():
    # One CPU for the generator (lbd's main lcore shares it), one per worker.
    return max(1, (os.cpu_count() or 1) - 1)


def full_plan():
    return Plan(duration=5, flows=10_000,
                flow_scaling=[10_000, 100_000, 1_000_000, 4_000_000, 16_000_000],
                sizes=[64, 128, 256, 512, 1024, 1518, "imix"], latency_rate=1_000_000,
                syn_flows=16_000_000, workers=list(range(1, max_workers() + 1)),
                callgrind={"flows": 2000, "established": 100_000, "new": 20_000},
                kernel_seconds=10, kernel_connections=50, repeat=3)


def smoke_plan():
    return Plan(duration=0.3, flows=1000, flow_scaling=[1000, 20_000], sizes=[64, "imix"],
                latency_rate=200_000, syn_flows=200_000, workers=[1],
                callgrind={"flows": 100, "established": 1000, "new": 500},
                kernel_seconds=1, kernel_connections=10)


def table_size_for(flows):
    """lbd's connection table for `flows` connections: the next power of
    two (the table fills completely: bench/conn)."""
    size = 65536
    while size < flows:
        size *= 2
    return size


def hugepage_mb(plan):
    biggest = max(plan.flow_scaling + [plan.syn_flows])
    return table_size_for(biggest) * memif.CONN_BYTES // (1 << 20) + 1024


class Runner:
    """Runs measurements one at a time; every result is a dict with the
    scenario, the forwarder, its parameters and the generator's report.
    Each scenario runs `plan.repeat` times, lbd alternating with its
    reference, so that drift on a shared machine hits both; aggregate()
    keeps the median run of each and the spread."""

    def __init__(self, build, plan, progress):
        self.build = build
        self.plan = plan
        self.progress = progress
        self.results = []

    def one(self, scenario, forwarder, method="nat", workers=1, table=65536, **gen):
        gen.setdefault("duration", self.plan.duration)
        gen.setdefault("flows", self.plan.flows)
        label = f"{scenario}: {forwarder}{'' if forwarder == 'testpmd' else ' ' + method} workers={workers} " + \
            " ".join(f"{k}={v}" for k, v in gen.items() if k != "duration")
        self.progress(label)
        with memif.Run(self.build) as run:
            if forwarder == "testpmd":
                run.start_testpmd(workers)
                # testpmd keeps no state per flow: no warm-up to wait for.
                rep = run.measure("unchanged", reals=[], queues=workers, **dict(gen, warmup=False))
            else:
                run.start_lbd(method, workers, table)
                rep = run.measure(method, queues=workers, **gen)
        result = {"scenario": scenario, "forwarder": forwarder, "method": method,
                  "workers": workers, "params": gen, "report": rep}
        self.results.append(result)
        self.progress(f"  -> {rep['rx_pps'] / 1e6:.2f} Mpps, {rep['rx_ok']} verified, exit {rep['exit']}"
                      + (f", {rep['lbd']['cycles_per_packet']:.0f} cycles/packet"
                         if rep.get("lbd") and rep["lbd"]["cycles_per_packet"] else ""))
        return result

    def forwarding(self):
        """Established flows, 64 B, for each method; testpmd first."""
        self.one("forwarding", "testpmd")
        for method in ("nat", "dr", "tun"):
            self.one("forwarding", "lbd", method)

    def latency(self):
        """Latency percentiles at an offered rate both forwarders carry."""
        rate = self.plan.latency_rate
        self.one("latency", "testpmd", rate=rate)
        for method in ("nat", "dr", "tun"):
            self.one("latency", "lbd", method, rate=rate)

    def connection_rate(self):
        """Every packet a SYN of a flow not seen for the whole run."""
        flows = self.plan.syn_flows
        self.one("syn", "testpmd", kind="syn", flows=flows, warmup=False)
        self.one("syn", "lbd", "nat", table=table_size_for(flows), kind="syn", flows=flows,
                 warmup=False)

    def flow_scaling(self):
        self.one("flows", "testpmd", flows=max(self.plan.flow_scaling))
        for flows in self.plan.flow_scaling:
            self.one("flows", "lbd", "nat", table=table_size_for(flows), flows=flows)

    def workers(self):
        for w in self.plan.workers:
            self.one("workers", "testpmd", workers=w)
            self.one("workers", "lbd", "nat", workers=w)

    def sizes(self):
        for size in self.plan.sizes:
            self.one("sizes", "testpmd", size=size)
            self.one("sizes", "lbd", "nat", size=size)

    def run(self, name):
        for _ in range(self.plan.repeat):
            getattr(self, name)()


def _key(r):
    return (r["scenario"], r["forwarder"], r["method"], r["workers"], repr(sorted(r["params"].items())))


def _reference(r, runs):
    """The testpmd run paired with lbd run `r`: same scenario and repeat,
    same size and workers where the scenario varies them."""
    for t in runs:
        if (t["forwarder"] == "testpmd" and t["scenario"] == r["scenario"] and t["repeat"] == r["repeat"]
                and t["workers"] == r["workers"]
                and (r["scenario"] != "sizes" or t["params"]["size"] == r["params"]["size"])):
            return t
    return None


def _rate(r):
    """What a scenario compares: connections made per second for lbd in
    the SYN scenario, else packets received per second."""
    if r["scenario"] == "syn" and r["forwarder"] == "lbd":
        return r["report"]["lbd"]["connections_created"] / r["report"]["seconds"]
    return r["report"]["rx_pps"]


def aggregate(results):
    """One result per measurement from the chronological list of runs: the
    run with the median packet rate (for the latency scenario the median
    p99), with `runs`, `spread_pps` [min, max] over the repeats, `faulty_runs`
    and, for lbd, `ratio` = the median over the repeats of lbd's rate over
    its reference's in the same repeat (back to back: drift on a shared
    machine hits both) with `ratio_spread`."""
    groups, seen = {}, {}
    for r in results:
        k = _key(r)
        r = dict(r, repeat=seen.get(k, 0))
        seen[k] = r["repeat"] + 1
        groups.setdefault(k, []).append(r)
    runs_with_repeat = [r for g in groups.values() for r in g]
    out = []
    for runs in groups.values():
        if runs[0]["scenario"] == "latency":
            ordered = sorted(runs, key=lambda r: r["report"]["latency_ns"]["p99"])
        else:
            ordered = sorted(runs, key=lambda r: r["report"]["rx_pps"])
        median = dict(ordered[len(ordered) // 2])
        pps = [r["report"]["rx_pps"] for r in runs]
        median["runs"] = len(runs)
        median["spread_pps"] = [min(pps), max(pps)]
        median["faulty_runs"] = sum(1 for r in runs if r["report"]["exit"] != 0)
        if median["forwarder"] == "lbd":
            ratios = sorted(_rate(r) / _rate(t) for r in runs
                            if (t := _reference(r, runs_with_repeat)) and _rate(t))
            if ratios:
                median["ratio"] = ratios[len(ratios) // 2]
                median["ratio_spread"] = [ratios[0], ratios[-1]]
        out.append(median)
    return out
