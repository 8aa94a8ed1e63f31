#!/usr/bin/python3
"""The lbd binary as an operator meets it: --check-config on every shipped
example; a file with several mistakes reported all at once, each with
file:line:column and field; a missing file; a device that does not exist;
a second lbd refused on a socket the first one serves; SIGINT stopping
lbd cleanly. DPDK runs with --no-huge on net_pcap / net_null in a private
network namespace.
"""
import argparse
import glob
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


BAD = """\
ports:
  - name: ext
    device: net_null0
    address: 198.18.1.1/33
services:
  - protocol: tcp
    vip: 198.18.1.100
    port: 80
    scheduler: fastest
    real_servers:
      - {address: 198.18.2.11, weight: heavy}
"""

# Field errors and cross-field errors together: all of them, in file order,
# exactly as an operator reads them.
BAD_CROSS = """\
lcores: {main: 1, workers: [1]}
ports:
  - name: ext
    device: net_null0
    address: 198.18.1.1/24
    gateway: 198.18.2.1
    mtu: 100
services:
  - {protocol: tcp, vip: 198.18.1.1, port: 80}
  - {protocol: tcp, vip: 198.18.1.100, port: 0}
  - {protocol: tcp, vip: 198.18.1.100, port: 0, persistence: 60}
"""

BAD_CROSS_ERRORS = [
    "{f}:1:29: lcores.workers[0]: lcore 1 is the main lcore (lcores.main); a worker needs an lcore of its own",
    "{f}:6:14: ports[0].gateway: gateway 198.18.2.1 is outside this port's subnet 198.18.1.0/24",
    "{f}:7:10: ports[0].mtu: expected an integer 576..9000, got 100",
    "{f}:9:26: services[0].vip: VIP 198.18.1.1 is ports[0] \"ext\"'s own address; a VIP needs an address of its own",
    "{f}:10:46: services[1].port: port 0 (every port of the VIP) is only for persistent services; add persistence "
    "or give the port (ipvsadm: \"Zero port specified for non-persistent service\")",
    "{f}:11:5: services[2]: duplicates services[1] (tcp 198.18.1.100:0)",
    "lbd: 6 error(s) in {f}; nothing started",
]

RUNNING = """\
eal: {{huge_pages: off, memory_mb: 256, mbufs: 2047, file_prefix: "{prefix}", log_level: error}}
lcores: {{main: 0, workers: [1], idle_sleep_us: 500}}
control: {{socket: "{sock}"}}
ports:
  - name: lan
    device: "{device}"
    address: 198.18.0.1/24
    mac: "02:00:00:00:00:01"
    exception_path: false
connections: {{table_size: 4096}}
"""


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=60, **kw)


def start(lbd, cfg_path):
    return subprocess.Popen(["unshare", "--net", lbd, "--config", cfg_path],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_socket(sock, proc, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if os.path.exists(sock):
            return True
        time.sleep(0.05)
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lbd", required=True)
    ap.add_argument("--conf-dir", required=True)
    args = ap.parse_args()
    lbd = args.lbd

    for path in sorted(glob.glob(os.path.join(args.conf_dir, "*.yaml"))):
        r = run([lbd, "--check-config", "--config", path])
        check(r.returncode == 0 and "configuration OK" in r.stdout,
              f"--check-config accepts {os.path.basename(path)} ({r.stdout.strip() or r.stderr.strip()})")

    with tempfile.TemporaryDirectory(prefix="lbd-cli-") as tmp:
        bad = os.path.join(tmp, "bad.yaml")
        open(bad, "w").write(BAD)
        r = run([lbd, "--check-config", "--config", bad])
        lines = r.stderr.strip().splitlines()
        print(r.stderr, end="")
        check(r.returncode == 1, f"a bad file exits 1 (got {r.returncode})")
        check(any(re.fullmatch(rf"{re.escape(bad)}:4:14: ports\[0\]\.address: .*", l) for l in lines),
              "the bad address is named with its line and column")
        check(any(re.fullmatch(rf"{re.escape(bad)}:9:16: services\[0\]\.scheduler: .*fastest.*", l) for l in lines),
              "the unknown scheduler is named")
        check(any(re.fullmatch(rf"{re.escape(bad)}:11:40: services\[0\]\.real_servers\[0\]\.weight: .*heavy.*", l)
                  for l in lines), "the bad weight is named")
        check(lines[-1] == f"lbd: {len(lines) - 1} error(s) in {bad}; nothing started", "a summary ends the report")

        bad = os.path.join(tmp, "bad-cross.yaml")
        open(bad, "w").write(BAD_CROSS)
        r = run([lbd, "--check-config", "--config", bad])
        check(r.returncode == 1 and r.stdout == "" and
              r.stderr.splitlines() == [l.format(f=bad) for l in BAD_CROSS_ERRORS],
              f"every field and cross-field error is printed, in file order, and lbd exits 1 ({r.stderr})")

        r = run([lbd, "--check-config", "--config", os.path.join(tmp, "missing.yaml")])
        check(r.returncode == 1 and "missing.yaml" in r.stderr, "a missing file is an error naming it")
        r = run([lbd])
        check(r.returncode != 0 and "--config" in r.stderr, "--config is required")

        # A device DPDK cannot create: a clear error naming the port, exit 1.
        sock = os.path.join(tmp, "nodev.sock")
        cfg = os.path.join(tmp, "nodev.yaml")
        open(cfg, "w").write(RUNNING.format(prefix=f"cli-nodev-{os.getpid()}", sock=sock,
                                            device="net_af_packet0,iface=no-such-if"))
        p = start(lbd, cfg)
        out = p.communicate(timeout=60)[0]
        check(p.returncode == 1 and "port lan" in out, f"a missing interface is refused naming the port ({out.strip().splitlines()[-1] if out.strip() else ''})")

        # A running lbd, then a second one on the same socket, then SIGINT.
        pcap = os.path.join(tmp, "empty.pcap")
        open(pcap, "wb").write(bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000"))
        sock = os.path.join(tmp, "lbd.sock")
        cfg = os.path.join(tmp, "run.yaml")
        open(cfg, "w").write(RUNNING.format(prefix=f"cli-run-{os.getpid()}", sock=sock,
                                            device=f"net_pcap0,rx_pcap={pcap},tx_pcap={tmp}/out.pcap"))
        first = start(lbd, cfg)
        try:
            check(wait_socket(sock, first), "lbd starts and serves its control socket")
            cfg2 = os.path.join(tmp, "run2.yaml")
            open(cfg2, "w").write(RUNNING.format(prefix=f"cli-run2-{os.getpid()}", sock=sock,
                                                 device=f"net_null0"))
            second = start(lbd, cfg2)
            out2 = second.communicate(timeout=60)[0]
            check(second.returncode == 1 and sock in out2 and "EAL" not in out2,
                  "a second lbd on a live socket is refused before touching DPDK, naming the socket")
            check(first.poll() is None and os.path.exists(sock), "and the first keeps running")
            first.send_signal(signal.SIGINT)
            out = first.communicate(timeout=30)[0]
            check(first.returncode == 0, f"SIGINT stops lbd with exit 0 (got {first.returncode})")
            check("SIGINT received: stopping" in out and out.strip().endswith("stopped"), "and it says so")
            check(not os.path.exists(sock), "the control socket is removed")
        finally:
            if first.poll() is None:
                first.kill()
                first.wait()

    if failures:
        sys.exit(f"{len(failures)} check(s) failed")


if __name__ == "__main__":
    main()
