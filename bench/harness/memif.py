"""The memif harness: lbd (or dpdk-testpmd, the reference) between the
generator's two net_memif ports, all in userspace on this host.

    lbd-gen port 0 (memif client) ---> [ext] lbd [int] ---> lbd-gen port 1
        clients 198.18.0.0/16            VIP 198.18.1.100      "real servers" 198.18.2.11..14

The forwarder is the memif server, the generator the zero-copy client. The
real servers exist only as static neighbours whose MAC is the generator's
receive port, so everything lbd forwards comes back to be checked. Every
process runs in a network namespace of the run's own: memif's socket is
abstract (per namespace) and lbd's exception-path TAPs, with the port
addresses, appear there and nowhere else.

Hugepages are reserved here (and given back at the end). Both DPDK
processes run --in-memory, so a SIGKILL leaves nothing behind: that is how
a run ends, both ends at once, because DPDK 22.11's memif crashes the
survivor whose peer disconnects while it polls. lbd's counters are read over
its control socket before that.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

VIP = "198.18.1.100"
VPORT = 80
REAL_PORT = 8080
REALS = ["198.18.2.11", "198.18.2.12", "198.18.2.13", "198.18.2.14"]
LBD_EXT_MAC = "02:00:00:00:01:01"
LBD_INT_MAC = "02:00:00:00:02:01"
GEN_TX_MAC = "02:00:00:00:0a:01"
GEN_RX_MAC = "02:00:00:00:0a:02"
HUGEPAGE_DIR = "/sys/kernel/mm/hugepages/hugepages-2048kB"
# lbd's connection table costs about 220 bytes a connection (bench/conn).
CONN_BYTES = 240


class HarnessError(RuntimeError):
    pass


class Hugepages:
    """Reserves at least `mb` of 2 MB hugepages (mounting hugetlbfs when
    nothing is mounted) and restores the previous reservation on close()."""

    def __init__(self, mb):
        self.mounted_here = False
        self.before = int(open(f"{HUGEPAGE_DIR}/nr_hugepages").read())
        if not any(" hugetlbfs " in line for line in open("/proc/mounts")):
            os.makedirs("/dev/hugepages", exist_ok=True)
            subprocess.run(["mount", "-t", "hugetlbfs", "none", "/dev/hugepages"], check=True)
            self.mounted_here = True
        try:
            self.ensure(mb)
        except BaseException:
            self.close()
            raise

    def ensure(self, mb):
        pages = (mb + 1) // 2
        free = int(open(f"{HUGEPAGE_DIR}/free_hugepages").read())
        total = int(open(f"{HUGEPAGE_DIR}/nr_hugepages").read())
        if free < pages:
            with open(f"{HUGEPAGE_DIR}/nr_hugepages", "w") as f:
                f.write(str(total + pages - free))
            free = int(open(f"{HUGEPAGE_DIR}/free_hugepages").read())
        if free < pages:
            raise HarnessError(f"could reserve only {free} of {pages} 2 MB hugepages (memory fragmented?)")

    def close(self):
        with open(f"{HUGEPAGE_DIR}/nr_hugepages", "w") as f:
            f.write(str(self.before))
        if self.mounted_here:
            subprocess.run(["umount", "/dev/hugepages"], check=False)


def lbd_config(workdir, method, workers=1, table_size=65536, mbufs=32767, cpus=None):
    """lbd's YAML for one run: two memif ports (servers on the harness's
    socket), UDP and TCP services on VIP:80 over four real servers forwarded
    by `method` (nat, dr, tun), static neighbours for them."""
    cpus = cpus or os.cpu_count() or 1
    socket = os.path.join(workdir, "memif.sock")
    # The main lcore shares CPU 0 with the generator (it sleeps in epoll);
    # worker w on CPU w, wrapping when the machine has fewer.
    worker_lcores = ", ".join(f'"{w}@{w % cpus}"' for w in range(1, workers + 1))
    forward = {"nat": "nat", "dr": "dr", "tun": "tunnel"}[method]
    port = f", port: {REAL_PORT}" if method == "nat" else ""
    reals = "\n".join(f"      - {{address: {r}{port}, forward: {forward}}}" for r in REALS)
    neighbors = "\n".join(f'    - {{address: {r}, mac: "{GEN_RX_MAC}"}}' for r in REALS)
    services = "\n".join(f"""  - protocol: {proto}
    vip: {VIP}
    port: {VPORT}
    scheduler: rr
    real_servers:
{reals}""" for proto in ("udp", "tcp"))
    return f"""# Written by bench/harness/memif.py for one benchmark run.
eal:
  huge_pages: "on"
  mbufs: {mbufs}
  file_prefix: lbd-bench-{os.getpid()}
  log_level: error
  extra_args: ["--single-file-segments"]
lcores:
  main: "0@0"
  workers: [{worker_lcores}]
  idle_sleep_us: 0
control:
  socket: {workdir}/lbd.sock
ports:
  - name: ext
    device: "net_memif0,role=server,id=0,socket={socket}"
    address: 198.18.1.1/24
    mac: "{LBD_EXT_MAC}"
  - name: int
    device: "net_memif1,role=server,id=1,socket={socket}"
    address: 198.18.2.1/24
    mac: "{LBD_INT_MAC}"
neighbors:
  static:
{neighbors}
connections:
  table_size: {table_size}
services:
{services}
"""


class Run:
    """One measurement: a forwarder (lbd or testpmd) and the generator on
    the same memif socket. Use as a context manager; measure() returns the
    generator's report with, for lbd, `lbd` = its counters over the measured
    interval (worker stats deltas)."""

    def __init__(self, build_dir):
        self.build = build_dir
        self.workdir = tempfile.mkdtemp(prefix="lbd-bench-")
        self.socket = os.path.join(self.workdir, "memif.sock")
        self.procs = []
        self.lbd = None
        self.netns = f"lbdbench{os.getpid() % 100000}"

    def __enter__(self):
        subprocess.run(["ip", "netns", "add", self.netns], check=True)
        subprocess.run(["ip", "-n", self.netns, "link", "set", "lo", "up"], check=True)
        return self

    def __exit__(self, *exc):
        self.kill_all()
        subprocess.run(["ip", "netns", "del", self.netns], check=False)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def _spawn(self, name, argv, **kw):
        out = open(os.path.join(self.workdir, f"{name}.log"), "w")
        # `ip netns exec` execs the command: the pid is the program's.
        p = subprocess.Popen(["ip", "netns", "exec", self.netns] + argv, stdout=kw.pop("stdout", out), stderr=subprocess.STDOUT
                             if kw.pop("merge", True) else out, **kw)
        self.procs.append((name, p))
        return p

    def kill_all(self):
        """Both ends at once (memif), by pid."""
        for _, p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
        for _, p in self.procs:
            p.wait()
        self.procs = []

    def output(self, name):
        path = os.path.join(self.workdir, f"{name}.log")
        return open(path).read() if os.path.exists(path) else ""

    # --- forwarders -------------------------------------------------------
    def start_lbd(self, method, workers=1, table_size=65536):
        cfg = os.path.join(self.workdir, "lbd.yaml")
        with open(cfg, "w") as f:
            f.write(lbd_config(self.workdir, method, workers, table_size))
        p = self._spawn("lbd", [os.path.join(self.build, "app/lbd/lbd"), "--config", cfg])
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if p.poll() is not None:
                raise HarnessError(f"lbd exited ({p.returncode}):\n{self.output('lbd')}")
            if self.lbctl("status").returncode == 0:
                self.lbd = p
                yield_generator_cpu(p.pid)
                return
            time.sleep(0.1)
        raise HarnessError(f"lbd did not answer in 120 s:\n{self.output('lbd')}")

    def start_testpmd(self, workers=1):
        """testpmd io forwarding, the harness's ceiling: same sockets, same
        CPUs as lbd's main lcore and workers."""
        cpus = os.cpu_count() or 1
        lcores = ",".join(["0@0"] + [f"{w}@{w % cpus}" for w in range(1, workers + 1)])
        q = str(workers)
        self._spawn("testpmd", [
            "stdbuf", "-oL", "dpdk-testpmd", "--in-memory", "--single-file-segments", "--no-pci",
            f"--file-prefix=tp-bench-{os.getpid()}", f"--lcores={lcores}", "--log-level=error",
            f"--vdev=net_memif0,role=server,id=0,socket={self.socket}",
            f"--vdev=net_memif1,role=server,id=1,socket={self.socket}",
            "--", "--forward-mode=io", "--total-num-mbufs=32768", f"--rxq={q}", f"--txq={q}",
            f"--nb-cores={workers}", "--stats-period", "3600"])
        deadline = time.monotonic() + 30
        # memif's socket is abstract (no file): wait for testpmd to forward.
        while "forwards packets" not in self.output("testpmd"):
            if time.monotonic() > deadline or self.procs[-1][1].poll() is not None:
                raise HarnessError(f"testpmd did not start:\n{self.output('testpmd')}")
            time.sleep(0.1)
        yield_generator_cpu(self.procs[-1][1].pid)

    def lbctl(self, *args):
        return subprocess.run([os.path.join(self.build, "app/lbctl/lbctl"), "-S",
                               os.path.join(self.workdir, "lbd.sock"), *args],
                              capture_output=True, text=True)

    def lbd_stats(self):
        r = self.lbctl("--json", "stats")
        if r.returncode != 0:
            raise HarnessError(f"lbctl stats: {r.stderr}")
        return json.loads(r.stdout)

    # --- the generator ----------------------------------------------------
    def measure(self, method, kind="udp", flows=10000, size="64", duration=5.0, rate=0,
                warmup=True, queues=1, reals=None, real_port=None):
        """Runs lbd-gen against the forwarder started before; returns its
        report (+ 'lbd' deltas when lbd forwards, + 'exit' the generator's
        status: 3 = faults)."""
        reals = REALS if reals is None else reals
        if real_port is None:
            real_port = REAL_PORT if method == "nat" else 0
        dst_mac = LBD_EXT_MAC if self.lbd else GEN_RX_MAC
        argv = [os.path.join(self.build, "bench/lbd-gen"), "--in-memory", "--single-file-segments",
                "--no-pci", f"--file-prefix=gen-bench-{os.getpid()}", "-l", "0", "--log-level=error",
                f"--vdev=net_memif0,role=client,id=0,socket={self.socket},zero-copy=yes,mac={GEN_TX_MAC}",
                f"--vdev=net_memif1,role=client,id=1,socket={self.socket},zero-copy=yes,mac={GEN_RX_MAC}",
                "--", "--dst-mac", dst_mac, "--method", method, "--kind", kind, "--flows", str(flows),
                "--size", str(size), "--duration", str(duration), "--rate", str(rate),
                "--queues", str(queues), "--vip", VIP, "--vport", str(VPORT), "--hold", "--wait-go",
                "--mbufs", "65535"]
        if reals:
            argv += ["--real", ",".join(reals)]
        if real_port:
            argv += ["--real-port", str(real_port)]
        if warmup:
            argv.append("--warmup-flows")
        gen = self._spawn("gen", argv, stdout=subprocess.PIPE, stdin=subprocess.PIPE, merge=False, text=True)
        before = None
        report = None
        # A generator that never reports is killed, which ends its output.
        timeout = duration + 120 + flows / 200000
        watchdog = threading.Timer(timeout, gen.kill)
        watchdog.start()
        try:
            while report is None:
                line = gen.stdout.readline()
                if not line:
                    raise HarnessError(f"lbd-gen ended without a report within {timeout:.0f} s ({gen.poll()}):\n"
                                       + self.output("gen") + (f"\nlbd:\n{self.output('lbd')}" if self.lbd else ""))
                try:
                    msg = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if msg.get("phase") == "ready":
                    before = self.lbd_stats() if self.lbd else None
                    gen.stdin.write("go\n")
                    gen.stdin.flush()
                else:
                    report = msg
        finally:
            watchdog.cancel()
        if self.lbd:
            report["lbd"] = interval(before, self.lbd_stats())
        # The generator's status: it still holds the ports; its verdict is
        # in the report (exit 3 = faults), recomputed here.
        report["exit"] = 0 if report["rx_ok"] == report["rx_packets"] else 3
        self.kill_all()
        return report


def yield_generator_cpu(pid):
    """The forwarder's threads other than its forwarding lcores (the main
    lcore, the control and interrupt threads, all on CPU 0 with the
    generator) run SCHED_IDLE: when they wake (a sweep tick, a health
    check) they must not take the generator's CPU for a time slice, which
    would show as milliseconds of latency that neither forwarder causes.
    DPDK names its worker lcores' threads rte-worker-N, in lbd and testpmd
    alike; they keep their priority."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                if f.read().startswith("rte-worker"):
                    continue
            os.sched_setscheduler(int(tid), os.SCHED_IDLE, os.sched_param(0))
        except (ProcessLookupError, PermissionError, FileNotFoundError):
            pass


def interval(before, after):
    """lbd's counters over the measured interval: packets, busy cycles,
    drops by name, connections created."""
    def total(stats, key):
        return sum(w[key] for w in stats["workers"])

    def drops(stats):
        out = {}
        for w in stats["workers"]:
            for k, v in w["drops"].items():
                out[k] = out.get(k, 0) + v
        return out

    rx = total(after, "rx_packets") - total(before, "rx_packets")
    busy = total(after, "busy_cycles") - total(before, "busy_cycles")
    idle = total(after, "idle_cycles") - total(before, "idle_cycles")
    d0, d1 = drops(before), drops(after)
    conn = lambda s: s.get("connections", {})
    created = conn(after)["inserted"] - conn(before)["inserted"]
    return {
        "rx_packets": rx,
        "tx_packets": total(after, "tx_packets") - total(before, "tx_packets"),
        "busy_cycles": busy,
        "idle_cycles": idle,
        "cycles_per_packet": busy / rx if rx else None,
        "drops": {k: d1[k] - d0.get(k, 0) for k in d1 if d1[k] - d0.get(k, 0)},
        "connections_created": created,
        "connections_in_use": conn(after)["in_use"],
        "connections_refused_full": conn(after)["refused_full"] - conn(before)["refused_full"],
        "rx_missed": sum(p["rx_missed"] for p in after["ports"]) - sum(p["rx_missed"] for p in before["ports"]),
    }
