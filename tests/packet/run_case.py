#!/usr/bin/python3
"""Runs one golden packet case through the real lbd binary.

A case directory holds:
  gen.py             scapy script that writes the pcaps below (run it after editing)
  lbd.yaml           lbd configuration; @CASE@, @OUT@, @SOCK@ and @PREFIX@ are
                     replaced by the case directory, a scratch directory, the
                     control socket and a unique DPDK file prefix
  input[-PORT].pcap  frames lbd receives (net_pcap rx_pcap)
  expected[-PORT].pcap  frames lbd must send, byte for byte, in order
  counters.json      optional: counter totals lbd must report, e.g.
                     {"drops.no_service": 1, "events.nat_in": 2, "connections.in_use": 0}
  case.json          optional: {"settle_s": N} waits N more seconds before the
                     counters are read (for timeouts); {"bad_checksum_frames":
                     {"output": [i, ...]}} names output frames (per port name,
                     "output" for a one-port case) that carry a TCP/UDP/ICMP
                     checksum wrong on purpose (lbd passes a corrupt one on)

lbd runs with --no-huge in a private network namespace (so its exception TAPs
never meet the host's), is stopped with SIGTERM once it has received every
input frame and stopped transmitting, and must exit 0.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from scapy.all import ICMP, IP, TCP, UDP, Ether, rdpcap


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def frames(path):
    """The frames of a pcap file, as bytes."""
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return []
    return [bytes(p) for p in rdpcap(path)]


def pcap_ports(case_dir):
    """Port suffixes of input*.pcap: '' for a one-port case."""
    ports = []
    for name in sorted(os.listdir(case_dir)):
        if name.startswith("input") and name.endswith(".pcap"):
            ports.append(name[len("input"):-len(".pcap")].lstrip("-"))
    return ports


def pcap_name(kind, port):
    return f"{kind}-{port}.pcap" if port else f"{kind}.pcap"


def check_generator_is_current(case_dir, scratch):
    gen_out = os.path.join(scratch, "gen")
    os.makedirs(gen_out)
    subprocess.run([sys.executable, os.path.join(case_dir, "gen.py"), "--out", gen_out], check=True)
    for name in sorted(os.listdir(gen_out)):
        if frames(os.path.join(gen_out, name)) != frames(os.path.join(case_dir, name)):
            fail(f"{name} differs from what gen.py writes: run gen.py and commit its output")


def is_fragment(ip):
    return bool(ip.flags.MF) or ip.frag != 0


def checksum_problems(frame):
    """Recomputes every checksum with scapy; returns what does not match. A
    TCP/UDP/ICMP checksum inside a fragment covers bytes the fragment does not
    hold, so only the IP header checksum is checked there."""
    problems = []
    p = Ether(frame)
    fragment = False
    layer_ip = p.getlayer(IP)
    while layer_ip is not None:
        fragment = fragment or is_fragment(layer_ip)
        layer_ip = layer_ip.payload.getlayer(IP)
    for layer in (IP, TCP, UDP, ICMP) if not fragment else (IP,):
        if layer in p and p[layer].chksum is not None:
            if layer is UDP and p[UDP].chksum == 0:
                continue
            q = Ether(frame)
            del q[layer].chksum
            want = Ether(bytes(q))[layer].chksum
            if want != p[layer].chksum:
                problems.append(f"{layer.__name__} checksum {p[layer].chksum:#06x}, should be {want:#06x}")
    return problems


def stats(lbctl, sock):
    out = subprocess.run([lbctl, "-S", sock, "--json", "stats"], capture_output=True, text=True, timeout=10)
    if out.returncode != 0:
        return None
    return json.loads(out.stdout)


def totals(st):
    """Flattens worker counters into {"rx_packets": n, "drops.x": n, "events.y": n},
    plus the connection table's {"connections.in_use": n, ...}."""
    t = {f"connections.{k}": v for k, v in st["connections"].items()}
    for w in st["workers"]:
        for k, v in w.items():
            if isinstance(v, dict):
                for name, n in v.items():
                    t[f"{k}.{name}"] = t.get(f"{k}.{name}", 0) + n
            elif k != "lcore":
                t[k] = t.get(k, 0) + v
    return t


def describe(frame):
    return Ether(frame).summary()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lbd", required=True)
    ap.add_argument("--lbctl", required=True)
    ap.add_argument("case")
    args = ap.parse_args()
    case = os.path.abspath(args.case)
    name = os.path.basename(case)

    with tempfile.TemporaryDirectory(prefix=f"lbd-pkt-{name}-") as scratch:
        check_generator_is_current(case, scratch)
        out_dir = os.path.join(scratch, "out")
        os.makedirs(out_dir)
        sock = os.path.join(scratch, "lbd.sock")
        with open(os.path.join(case, "lbd.yaml")) as f:
            cfg = f.read()
        cfg = (cfg.replace("@CASE@", case).replace("@OUT@", out_dir).replace("@SOCK@", sock)
               .replace("@PREFIX@", f"pkt-{name}-{os.getpid()}"))
        cfg_path = os.path.join(scratch, "lbd.yaml")
        with open(cfg_path, "w") as f:
            f.write(cfg)

        ports = pcap_ports(case)
        case_opts_path = os.path.join(case, "case.json")
        case_opts = json.load(open(case_opts_path)) if os.path.exists(case_opts_path) else {}
        n_input = sum(len(frames(os.path.join(case, pcap_name("input", p)))) for p in ports)

        log_path = os.path.join(scratch, "lbd.log")
        with open(log_path, "w") as log:
            lbd = subprocess.Popen(["unshare", "--net", args.lbd, "--config", cfg_path],
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            st = None
            while time.monotonic() < deadline:
                if lbd.poll() is not None:
                    fail(f"lbd exited early with {lbd.returncode}:\n{open(log_path).read()}")
                st = stats(args.lbctl, sock) if os.path.exists(sock) else None
                if st and totals(st)["rx_packets"] >= n_input:
                    break
                time.sleep(0.05)
            else:
                fail(f"lbd did not receive all {n_input} input frames:\n{open(log_path).read()}")
            # Let the last round transmit and any held packet resolve: wait until
            # the packet counters (not the cycle counters) stop moving.
            last = None
            while time.monotonic() < deadline:
                time.sleep(0.2)
                st = stats(args.lbctl, sock)
                now = {k: v for k, v in totals(st).items() if not k.endswith("_cycles")}
                if now == last:
                    break
                last = now
            if case_opts.get("settle_s"):
                time.sleep(case_opts["settle_s"])
                st = stats(args.lbctl, sock)
        finally:
            if lbd.poll() is None:
                lbd.send_signal(signal.SIGTERM)
            try:
                rc = lbd.wait(timeout=30)
            except subprocess.TimeoutExpired:
                lbd.kill()
                lbd.wait()
                fail("lbd did not stop within 30 s of SIGTERM")
        log = open(log_path).read()
        if rc != 0:
            fail(f"lbd exited with {rc} after SIGTERM:\n{log}")

        ok = True
        for p in ports:
            got = frames(os.path.join(out_dir, pcap_name("output", p)))
            want = frames(os.path.join(case, pcap_name("expected", p)))
            label = f"port {p}" if p else "output"
            for i in range(max(len(got), len(want))):
                g = got[i] if i < len(got) else None
                w = want[i] if i < len(want) else None
                if g != w:
                    ok = False
                    print(f"{label} frame {i}:\n  got  {describe(g) if g else '(nothing)'}\n"
                          f"  want {describe(w) if w else '(nothing)'}", file=sys.stderr)
                    if g and w:
                        print(f"  got  {g.hex()}\n  want {w.hex()}", file=sys.stderr)
            exempt = set(case_opts.get("bad_checksum_frames", {}).get(p or "output", []))
            for i, g in enumerate(got):
                if i in exempt:
                    continue
                for problem in checksum_problems(g):
                    ok = False
                    print(f"{label} frame {i}: {problem}", file=sys.stderr)
            print(f"{name} {label}: {len(got)} frame(s) out, {len(want)} expected")

        counters_path = os.path.join(case, "counters.json")
        if os.path.exists(counters_path):
            t = totals(st)
            for key, want in json.load(open(counters_path)).items():
                if t.get(key) != want:
                    ok = False
                    print(f"counter {key} = {t.get(key)}, expected {want}", file=sys.stderr)
        if not ok:
            print(f"--- lbd log ---\n{log}", file=sys.stderr)
            fail(f"case {name}")
        print(f"PASS {name}")


if __name__ == "__main__":
    main()
