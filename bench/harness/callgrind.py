"""Instructions per packet under callgrind: the real lbd binary on a fixed
input, counted by the instruction, so the figure does not move with the
noise of a shared machine.

lbd reads a pcap written by lbd-gen (net_pcap rx) on its client port and
forwards to a net_null port (its transmit frees the mbufs: no pcap writing
in the count). Only instructions inside Worker::handle_port_frame are
collected (--toggle-collect): parsing, the connection lookup or the
scheduler, the rewrite, the counters and the transmit queue, without the
receive driver or the idle polling.

Two inputs separate the two costs:
  new:          every packet a new flow (UDP, each flow once)
  established:  F new flows, then N packets of those flows;
                per established packet = (total - F x new) / N
"""
import os
import re
import signal
import struct
import subprocess
import tempfile
import time
import json

VIP = "198.18.1.100"
REAL = "198.18.2.11"


def empty_pcap(path):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))


def write_input(build, workdir, name, flows, count, warmup):
    """A pcap of `flows` flows from lbd-gen: with `warmup` every flow once
    then `count` more packets, else `count` packets of distinct flows."""
    empty = os.path.join(workdir, "empty.pcap")
    empty_pcap(empty)
    out = os.path.join(workdir, f"{name}.pcap")
    argv = [os.path.join(build, "bench/lbd-gen"), "--no-huge", "-m", "256", "--no-pci",
            f"--file-prefix=gen-cg-{os.getpid()}", "-l", "0", "--log-level=error",
            f"--vdev=net_pcap0,rx_pcap={empty},tx_pcap={out}",
            "--", "--tx-port", "0", "--rx-port", "0", "--dst-mac", "02:00:00:00:01:01",
            "--method", "nat", "--flows", str(flows), "--count", str(count), "--duration", "600",
            "--rate", "2000000", "--vip", VIP, "--vport", "53"]
    if warmup:
        argv.append("--warmup-flows")
    subprocess.run(argv, check=True, capture_output=True, timeout=300)
    return out, (flows if warmup else 0) + count


LBD_YAML = """# Written by bench/harness/callgrind.py.
eal:
  huge_pages: "off"
  memory_mb: 256
  mbufs: 8191
  file_prefix: lbd-cg-{pid}
  log_level: error
lcores:
  main: 0
  workers: [1]
  idle_sleep_us: 1000
control:
  socket: {workdir}/lbd.sock
ports:
  - name: ext
    device: "net_pcap0,rx_pcap={pcap},tx_pcap={workdir}/ext-out.pcap"
    address: 198.18.1.1/24
    mac: "02:00:00:00:01:01"
  - name: int
    device: "net_null0,no-rx=1"
    address: 198.18.2.1/24
    mac: "02:00:00:00:02:01"
neighbors:
  static:
    - {{address: {real}, mac: "02:00:00:00:0a:02"}}
connections:
  table_size: 262144
services:
  - protocol: udp
    vip: {vip}
    port: 53
    scheduler: rr
    real_servers:
      - {{address: {real}, port: 5353}}
"""


def count_instructions(build, workdir, pcap, frames, timeout=600):
    """Runs lbd under callgrind on `pcap`; returns (instructions collected,
    frames lbd forwarded)."""
    cfg = os.path.join(workdir, "lbd-cg.yaml")
    with open(cfg, "w") as f:
        f.write(LBD_YAML.format(pid=os.getpid(), workdir=workdir, pcap=pcap, real=REAL, vip=VIP))
    log_path = os.path.join(workdir, "callgrind.log")
    lbctl = os.path.join(build, "app/lbctl/lbctl")
    sock = os.path.join(workdir, "lbd.sock")
    with open(log_path, "w") as log:
        p = subprocess.Popen(["valgrind", "--tool=callgrind",
                              f"--callgrind-out-file={workdir}/callgrind.out",
                              "--toggle-collect=lb::dataplane::Worker::handle_port_frame*",
                              os.path.join(build, "app/lbd/lbd"), "--config", cfg],
                             stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        stats = None
        while time.monotonic() < deadline and p.poll() is None:
            r = subprocess.run([lbctl, "-S", sock, "--json", "stats"], capture_output=True, text=True)
            if r.returncode == 0:
                stats = json.loads(r.stdout)
                if stats["workers"][0]["rx_packets"] >= frames:
                    break
            time.sleep(1)
        else:
            raise RuntimeError(f"lbd under callgrind did not take all {frames} frames:\n"
                               + open(log_path).read()[-3000:])
        forwarded = stats["workers"][0]["tx_packets"]
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    m = re.search(r"Collected : (\d+)", open(log_path).read())
    if not m:
        raise RuntimeError("callgrind reported no count:\n" + open(log_path).read()[-3000:])
    return int(m.group(1)), forwarded


def measure(build, flows=2000, established=100000, new=20000):
    """Instructions per packet for a new flow and for an established one."""
    workdir = tempfile.mkdtemp(prefix="lbd-cg-")
    new_pcap, new_frames = write_input(build, workdir, "new", new, new, warmup=False)
    ir_new_total, fwd_new = count_instructions(build, workdir, new_pcap, new_frames)
    est_pcap, est_frames = write_input(build, workdir, "established", flows, established, warmup=True)
    ir_est_total, fwd_est = count_instructions(build, workdir, est_pcap, est_frames)
    subprocess.run(["rm", "-rf", workdir])
    per_new = ir_new_total / new_frames
    return {
        "new_flow": per_new,
        "established": (ir_est_total - flows * per_new) / established,
        "inputs": {"new": {"frames": new_frames, "forwarded": fwd_new, "instructions": ir_new_total},
                   "established": {"flows": flows, "frames": est_frames, "forwarded": fwd_est,
                                   "instructions": ir_est_total}},
    }


if __name__ == "__main__":
    import sys
    print(json.dumps(measure(sys.argv[1] if len(sys.argv) > 1 else "build", 200, 2000, 1000), indent=2))
