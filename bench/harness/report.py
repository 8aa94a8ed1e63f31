"""Writes the benchmark's report: `<out>/<date>-<host>.md` with every
figure beside its same-run reference, the raw results as JSON beside it,
and PNG plots (rate vs flows, rate vs workers, latency percentiles, rate vs
packet size)."""
import json
import os
import platform
import subprocess

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def machine():
    cpu = "unknown CPU"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(next(line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")))
    dpdk = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "dpdk"], capture_output=True, text=True).stdout
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                         cwd=os.path.dirname(__file__)).stdout.strip()
    return {"host": platform.node(), "cpu": cpu, "cpus": os.cpu_count(), "memory_gib": round(mem_kb / 2**20, 1),
            "kernel": platform.release(), "dpdk": dpdk or "unknown", "lbd": rev or "unknown"}


def mpps(r):
    return r["report"]["rx_pps"] / 1e6


def mpps_spread(r):
    """The median run's Mpps, and the range over the repeats."""
    lo, hi = r.get("spread_pps", [r["report"]["rx_pps"]] * 2)
    if r.get("runs", 1) < 2:
        return f"{mpps(r):.2f}"
    return f"{mpps(r):.2f} ({lo / 1e6:.2f}–{hi / 1e6:.2f})"


def gbps(r):
    return r["report"]["rx_gbps"]


def verified(r):
    rep = r["report"]
    faults = {k: v for k, v in rep["faults"].items() if v}
    text = f"{rep['rx_ok']:,}"
    if r.get("faulty_runs"):
        text += f" — {r['faulty_runs']} of {r['runs']} runs with faults"
    if faults:
        text += " — FAULTS " + ", ".join(f"{k} {v:,}" for k, v in faults.items())
    return text


def cycles(r):
    lbd = r["report"].get("lbd")
    return f"{lbd['cycles_per_packet']:.0f}" if lbd and lbd["cycles_per_packet"] else "—"


def drops(r):
    lbd = r["report"].get("lbd")
    if not lbd:
        return "—"
    d = dict(lbd["drops"])
    if lbd["rx_missed"]:
        d["rx_missed"] = lbd["rx_missed"]
    return ", ".join(f"{k} {v:,}" for k, v in d.items()) or "0"


def pick(results, scenario, forwarder=None):
    return [r for r in results
            if r["scenario"] == scenario and (forwarder is None or r["forwarder"] == forwarder)]


def lbd_vs_reference(ax, xs, lbd, reference, xlabel, ylabel):
    """lbd's line and its reference's, dashed, over the same x values."""
    ax.plot(xs, lbd, "o-", label="lbd NAT")
    ax.plot(xs, reference, "s--", color="gray", label="testpmd io (reference)")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)


def ratio(a, b):
    return f"{a / b:.2f}" if b else "—"


def paired(r):
    """lbd / its reference: the median of the repeats' back-to-back ratios,
    and their range."""
    if "ratio" not in r:
        return "—"
    lo, hi = r["ratio_spread"]
    return f"{r['ratio']:.2f}" + (f" ({lo:.2f}–{hi:.2f})" if r.get("runs", 1) > 1 else "")


def us(ns):
    return f"{ns / 1000:.1f}"


class Writer:
    def __init__(self, out_dir, stem, plan_name, results, callgrind, kernel, meta):
        self.out_dir = out_dir
        self.stem = stem
        self.plan_name = plan_name
        self.results = results
        self.callgrind = callgrind
        self.kernel = kernel
        self.meta = meta
        self.lines = []
        self.plots = []

    def add(self, *lines):
        self.lines.extend(lines)

    def table(self, header, rows):
        self.add("| " + " | ".join(header) + " |", "|" + "---|" * len(header))
        for row in rows:
            self.add("| " + " | ".join(str(c) for c in row) + " |")
        self.add("")

    def plot(self, name, title, draw):
        fig, ax = plt.subplots(figsize=(7, 4))
        draw(ax)
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
        ax.legend()
        fig.tight_layout()
        path = os.path.join(self.out_dir, f"{self.stem}-{name}.png")
        fig.savefig(path, dpi=100)
        plt.close(fig)
        self.plots.append(path)
        self.add(f"![{title}]({os.path.basename(path)})", "")

    # --- sections ---------------------------------------------------------
    def header(self):
        m = self.meta["machine"]
        self.add(f"# lbd benchmark — {self.meta['date']} on {m['host']}", "",
                 f"- Machine: {m['cpu']}, {m['cpus']} CPUs, {m['memory_gib']} GiB; kernel {m['kernel']}; "
                 f"DPDK {m['dpdk']}; lbd {m['lbd']}",
                 f"- Plan: `{self.plan_name}`, {self.meta['duration']} s per measurement, each repeated "
                 f"{self.meta['repeat']}× alternating with its reference (the median run is shown, the "
                 "range over the repeats in brackets); command: "
                 f"`{self.meta['command']}`; {self.meta['elapsed_s']:.0f} s in all",
                 "- Harness: lbd-gen (memif client, zero-copy, CPU 0) → lbd or dpdk-testpmd (memif server; "
                 "main lcore CPU 0, worker(s) from CPU 1) → lbd-gen. Every forwarded frame is checked "
                 "(addresses, ports, TTL, checksums, IPIP header) and counted as verified or by fault.",
                 "- Reference: `dpdk-testpmd --forward-mode=io` on the same sockets and CPUs, measured in "
                 "this run: the harness's ceiling. lbd / testpmd is the median over the repeats of lbd's "
                 "rate over testpmd's in the same repeat, measured back to back (range in brackets).",
                 "- cycles/packet: lbd's own TSC accounting (busy rounds' cycles / packets received, over "
                 "the measured interval; includes memif's copy into lbd's buffers).", "")

    def forwarding(self):
        ref = pick(self.results, "forwarding", "testpmd")
        if not ref:
            return
        self.add("## Established-flow forwarding (64 B, one worker)", "")
        rows = [["testpmd io (reference)", mpps_spread(ref[0]), f"{gbps(ref[0]):.2f}", "1.00", "—", verified(ref[0]),
                 "—"]]
        for r in pick(self.results, "forwarding", "lbd"):
            rows.append([f"lbd {r['method'].upper()}", mpps_spread(r), f"{gbps(r):.2f}", paired(r),
                         cycles(r), verified(r), drops(r)])
        self.table(["forwarder", "Mpps", "Gbit/s", "lbd / testpmd", "cycles/packet", "frames verified",
                    "lbd drops"], rows)

    def latency(self):
        rs = pick(self.results, "latency")
        if not rs:
            return
        rate = rs[0]["params"]["rate"]
        self.add(f"## Latency at {rate / 1e6:g} Mpps offered (64 B)", "",
                 "Generator TSC at receive minus the TSC stamped at transmit: both memif rings and the "
                 "forwarder. The reference is testpmd at the same offered rate.", "")
        rows = []
        for r in rs:
            lat = r["report"]["latency_ns"]
            name = "testpmd io (reference)" if r["forwarder"] == "testpmd" else f"lbd {r['method'].upper()}"
            rows.append([name, f"{mpps(r):.2f}", us(lat["p50"]), us(lat["p99"]), us(lat["p99.9"]),
                         f"{lat['samples']:,}", verified(r)])
        self.table(["forwarder", "Mpps carried", "p50 µs", "p99 µs", "p99.9 µs", "samples", "frames verified"],
                   rows)

        def draw(ax):
            labels = [row[0].replace(" (reference)", "") for row in rows]
            width = 0.25
            for i, p in enumerate(("p50", "p99", "p99.9")):
                vals = [r["report"]["latency_ns"][p] / 1000 for r in rs]
                ax.bar([x + (i - 1) * width for x in range(len(rs))], vals, width, label=p)
            ax.set_xticks(range(len(rs)), labels)
            ax.set_yscale("log")  # the median and the tails differ a thousandfold
            ax.set_ylabel("µs (log scale)")
        self.plot("latency", f"Latency percentiles at {rate / 1e6:g} Mpps offered", draw)

    def syn(self):
        ref = pick(self.results, "syn", "testpmd")
        lbd = pick(self.results, "syn", "lbd")
        if not ref or not lbd:
            return
        r, t = lbd[0], ref[0]
        lb = r["report"]["lbd"]
        made = lb["connections_created"] / r["report"]["seconds"]
        self.add("## New connections (SYNs of flows not seen before, NAT)", "",
                 "lbd's rate is the connections its workers inserted over the measured interval, per "
                 "second; the reference is the packet rate testpmd carries of the same SYNs.", "")
        self.table(["forwarder", "new connections/s", "lbd / testpmd", "connections made (lbd)",
                    "cycles/packet", "frames verified", "lbd drops"],
                   [["testpmd io (reference, packets/s)", f"{t['report']['rx_pps']:,.0f}", "1.00", "—", "—",
                     verified(t), "—"],
                    ["lbd NAT", f"{made:,.0f}", paired(r),
                     f"{lb['connections_created']:,} (table {lb['connections_in_use']:,} in use)", cycles(r),
                     verified(r), drops(r)]])

    def flows(self):
        rs = pick(self.results, "flows", "lbd")
        ref = pick(self.results, "flows", "testpmd")
        if not rs or not ref:
            return
        base = mpps(ref[0])
        self.add("## Flow-count scaling (established UDP flows, NAT, 64 B)", "",
                 f"Reference: testpmd io {mpps_spread(ref[0])} Mpps with {ref[0]['params']['flows']:,} flows "
                 "(it keeps no per-flow state) in this run.", "")
        rows = []
        for r in rs:
            lb = r["report"]["lbd"]
            warm = r["report"].get("warmup") or {}
            rows.append([f"{r['params']['flows']:,}", mpps_spread(r), paired(r), cycles(r),
                         f"{lb['connections_in_use']:,}", f"{lb['connections_created']:,}",
                         f"{warm.get('seconds', 0):.1f}", verified(r), drops(r)])
        self.table(["flows", "Mpps", "lbd / testpmd", "cycles/packet", "connections in table",
                    "made while measuring", "warm-up s", "frames verified", "lbd drops"], rows)

        def draw(ax):
            xs = [r["params"]["flows"] for r in rs]
            ax.plot(xs, [mpps(r) for r in rs], "o-", label="lbd NAT")
            ax.axhline(base, color="gray", linestyle="--", label="testpmd io (reference)")
            ax.set_xscale("log")
            ax.set_xlabel("established flows")
            ax.set_ylabel("Mpps")
            ax.set_ylim(bottom=0)
        self.plot("flows", "Packet rate vs flows (64 B, one worker)", draw)

    def workers(self):
        rs = pick(self.results, "workers", "lbd")
        if not rs:
            return
        self.add("## Workers", "",
                 f"This machine has {self.meta['machine']['cpus']} CPUs: one for the generator, "
                 f"{len(rs)} worker configuration(s) measured (1..CPUs-1).", "")
        rows = []
        refs = {r["workers"]: r for r in pick(self.results, "workers", "testpmd")}
        for r in rs:
            t = refs.get(r["workers"])
            rows.append([r["workers"], mpps_spread(r), mpps_spread(t) if t else "—",
                         paired(r), cycles(r), verified(r)])
        self.table(["workers", "lbd NAT Mpps", "testpmd Mpps (same cores)", "lbd / testpmd", "cycles/packet",
                    "frames verified"], rows)

        def draw(ax):
            xs = [r["workers"] for r in rs]
            lbd_vs_reference(ax, xs, [mpps(r) for r in rs], [mpps(refs[x]) if x in refs else 0 for x in xs],
                             "workers", "Mpps")
            ax.set_xticks(xs)
        self.plot("workers", "Packet rate vs workers (64 B)", draw)

    def sizes(self):
        rs = pick(self.results, "sizes", "lbd")
        if not rs:
            return
        refs = {str(r["params"]["size"]): r for r in pick(self.results, "sizes", "testpmd")}
        self.add("## Packet sizes (NAT, established flows)", "")
        rows = []
        for r in rs:
            t = refs.get(str(r["params"]["size"]))
            rows.append([r["params"]["size"], mpps_spread(r), f"{gbps(r):.2f}",
                         f"{mpps(t):.2f} / {gbps(t):.2f}" if t else "—", paired(r),
                         cycles(r), verified(r)])
        self.table(["size (B)", "lbd Mpps", "lbd Gbit/s", "testpmd Mpps / Gbit/s", "lbd / testpmd",
                    "cycles/packet", "frames verified"], rows)

        def draw(ax):
            labels = [str(r["params"]["size"]) for r in rs]
            lbd_vs_reference(ax, labels, [gbps(r) for r in rs],
                             [gbps(refs[x]) if x in refs else 0 for x in labels],
                             "frame size (bytes on the wire)", "Gbit/s")
        self.plot("sizes", "Throughput vs packet size", draw)

    def instructions(self):
        cg = self.callgrind
        if not cg:
            return
        inp = cg["inputs"]
        self.add("## Instructions per packet (callgrind, fixed input)", "",
                 "The real lbd binary reading a pcap written by lbd-gen (net_pcap) and transmitting on "
                 "net_null; only Worker::handle_port_frame and what it calls is counted (parse, lookup or "
                 "schedule, rewrite, counters, transmit queue). Stable to the instruction on a noisy "
                 "machine: compare runs of different revisions.", "")
        self.table(["packet", "instructions/packet", "input"],
                   [["new flow (scheduled, connection inserted)", f"{cg['new_flow']:.0f}",
                     f"{inp['new']['frames']:,} UDP flows, one packet each"],
                    ["established flow (lookup + NAT)", f"{cg['established']:.0f}",
                     f"{inp['established']['flows']:,} flows, then {inp['established']['frames'] - inp['established']['flows']:,} packets of them"]])

    def kernel_peer(self):
        k = self.kernel
        if not k:
            return
        n, lb = k["nftables"], k["lbd"]
        self.add("## The kernel peer: nftables DNAT vs lbd on the same veths", "",
                 "Client → director → three nginx real servers (one running iperf3) in network namespaces, "
                 f"the same workloads against each: `wrk -t1 -c{n['wrk']['connections']} -d{self.meta['kernel_seconds']}s "
                 f"--latency`, `iperf3 -t {self.meta['kernel_seconds']}` (one stream). The kernel carries "
                 "every packet on both sides of the director, so this compares what an application sees, "
                 "on a machine where clients and servers share the two CPUs with the director.", "")

        def row(name, r):
            w, i = r["wrk"], r["iperf3"]
            f = lambda v: f"{v:.2f}" if v is not None else "—"
            d = r.get("lbd_drops")
            drops = "—" if d is None else (", ".join(f"{k} {v:,}" for k, v in d.items()) or "0")
            return [name, f"{w['requests_per_s']:,.0f}", f(w["p50_ms"]), f(w["p90_ms"]), f(w["p99_ms"]),
                    f"{i['gbps']:.2f}", i["retransmits"], drops]
        self.table(["director", "HTTP requests/s", "p50 ms", "p90 ms", "p99 ms", "iperf3 Gbit/s", "retransmits",
                    "lbd drops"],
                   [row(n["forwarder"] + " (reference)", n), row(lb["forwarder"], lb),
                    ["lbd / nftables", ratio(lb["wrk"]["requests_per_s"], n["wrk"]["requests_per_s"]), "", "", "",
                     ratio(lb["iperf3"]["gbps"], n["iperf3"]["gbps"]), "", ""]])

    def write(self, all_runs=None):
        self.header()
        self.forwarding()
        self.latency()
        self.syn()
        self.flows()
        self.workers()
        self.sizes()
        self.instructions()
        self.kernel_peer()
        md = os.path.join(self.out_dir, f"{self.stem}.md")
        with open(md, "w") as f:
            f.write("\n".join(self.lines) + "\n")
        with open(os.path.join(self.out_dir, f"{self.stem}.json"), "w") as f:
            json.dump({"meta": self.meta, "results": self.results, "all_runs": all_runs or self.results,
                       "callgrind": self.callgrind, "kernel_peer": self.kernel}, f, indent=1)
        return md, self.plots
