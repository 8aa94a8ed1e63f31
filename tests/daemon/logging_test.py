#!/usr/bin/python3
"""lbd's state changes reach syslog, and systemd hears when lbd is ready.

lbd runs (net_pcap, --no-huge, a private network namespace) with
`logging: {syslog: true, syslog_socket: <a datagram socket this test binds>}`
and NOTIFY_SOCKET pointing at another one, as systemd would set it:

- NOTIFY_SOCKET receives READY=1 once the control socket serves, and
  STOPPING=1 at SIGTERM;
- the syslog receiver gets RFC 3164 datagrams "<PRI>Mmm dd hh:mm:ss
  lbd[PID]: ..." with facility daemon (or the configured one) and the right
  severity, for: start, ready, every service and real server at start, a
  SIGHUP reload (one line per change), a reload over the control socket, a
  refused reload (warning, with the file's errors), `set`, stop;
- a request that changes nothing and a garbage request log nothing;
- with stderr being "the journal" (JOURNAL_STREAM naming lbd's stderr), the
  syslog receiver gets nothing (no double logging) and stderr lines carry
  sd-daemon priority prefixes.
"""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


CONFIG = """\
eal: {{huge_pages: off, memory_mb: 256, mbufs: 2047, file_prefix: "{prefix}", log_level: error}}
lcores: {{main: 0, workers: [1], idle_sleep_us: 500}}
control: {{socket: "{sock}"}}
logging: {{syslog: true, syslog_socket: "{syslog}"{facility}}}
ports:
  - name: lan
    device: "net_pcap0,rx_pcap={pcap},tx_pcap={out}"
    address: 198.18.0.1/24
    mac: "02:00:00:00:00:01"
    exception_path: false
connections: {{table_size: 4096}}
services:
  - protocol: tcp
    vip: 198.18.0.100
    port: 80
    scheduler: rr
    real_servers:
{reals}
"""

EMPTY_PCAP = bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000")
HEADER = re.compile(r"<(\d+)>([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) lbd\[(\d+)\]: (.*)", re.S)


class Datagrams:
    """A bound Unix datagram socket, as /dev/log or systemd's notify socket."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.setblocking(False)
        self.got = []

    def drain(self):
        while True:
            try:
                self.got.append(self.sock.recv(65536).decode())
            except BlockingIOError:
                return self.got

    def wait_for(self, pred, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.drain()
            if any(pred(d) for d in self.got):
                return True
            time.sleep(0.05)
        return False


def parsed(datagrams):
    """(pri, pid, message) of each syslog datagram; None for a malformed one."""
    out = []
    for d in datagrams:
        m = HEADER.fullmatch(d)
        out.append((int(m.group(1)), int(m.group(3)), m.group(4)) if m else None)
    return out


def call(sock_path, line):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(sock_path)
        s.sendall(line)
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            reply += chunk
    return json.loads(reply)


def reals(*specs):
    return "".join(f"      - {{address: {a}, port: 8080, weight: {w}}}\n" for a, w in specs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lbd", required=True)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="lbd-log-") as tmp:
        pcap = os.path.join(tmp, "empty.pcap")
        open(pcap, "wb").write(EMPTY_PCAP)
        sock = os.path.join(tmp, "lbd.sock")
        syslog = Datagrams(os.path.join(tmp, "log"))
        notify = Datagrams(os.path.join(tmp, "notify"))
        cfg = os.path.join(tmp, "lbd.yaml")

        def write_config(real_servers, facility=""):
            with open(cfg, "w") as f:
                f.write(CONFIG.format(prefix=f"log-{os.getpid()}", sock=sock, syslog=syslog.path, pcap=pcap,
                                      out=os.path.join(tmp, "out.pcap"), reals=real_servers, facility=facility))

        write_config(reals(("198.18.0.11", 1), ("198.18.0.12", 1)))
        env = dict(os.environ, NOTIFY_SOCKET=notify.path)
        env.pop("JOURNAL_STREAM", None)
        lbd = subprocess.Popen(["unshare", "--net", args.lbd, "--config", cfg], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            ready = notify.wait_for(lambda d: "READY=1" in d.split("\n"))
            check(ready, f"systemd is told READY=1 ({notify.got})")
            check(os.path.exists(sock) and call(sock, b'{"v":1,"cmd":"status"}\n')["result"]["pid"] == lbd.pid,
                  "and by then lbd serves its control socket")
            check(any(d.startswith("READY=1\nSTATUS=serving 1 service(s)") for d in notify.got),
                  "with a status line")
            syslog.wait_for(lambda d: "ready:" in d)

            # Changes: SIGHUP with a new weight and a new real server.
            write_config(reals(("198.18.0.11", 3), ("198.18.0.13", 1)))
            lbd.send_signal(signal.SIGHUP)
            check(syslog.wait_for(lambda d: "configuration reloaded" in d), "SIGHUP reload is logged")
            # A reload over the control socket that changes nothing, one that
            # is refused, a garbage line and an unknown command.
            r = call(sock, b'{"v":1,"cmd":"reload"}\n')
            check("result" in r, f"lbctl reload with the same file succeeds ({r})")
            with open(cfg, "a") as f:
                f.write("bogus: 1\n")
            r = call(sock, b'{"v":1,"cmd":"reload"}\n')
            check(r.get("error", {}).get("code") == "invalid_config", f"a bad file is refused ({r})")
            call(sock, b"\xff\xfe garbage\n")
            call(sock, b'{"v":1,"cmd":"no-such-command"}\n')
            r = call(sock, json.dumps({"v": 1, "cmd": "set", "args": {"timeouts": {"established": 600}}}).encode() + b"\n")
            check("result" in r, f"set is accepted ({r})")
            syslog.wait_for(lambda d: "settings changed" in d)

            lbd.send_signal(signal.SIGTERM)
            out = lbd.communicate(timeout=60)[0]
            check(lbd.returncode == 0, f"lbd stops with exit 0 ({lbd.returncode})")
            check(notify.wait_for(lambda d: d == "STOPPING=1", timeout=5), "systemd is told STOPPING=1")
            syslog.wait_for(lambda d: d.endswith(": stopped"), timeout=5)
        finally:
            if lbd.poll() is None:
                lbd.kill()
                lbd.wait()

        entries = parsed(syslog.drain())
        check(entries and None not in entries, f"every datagram is <PRI>TIMESTAMP lbd[PID]: MESSAGE ({syslog.got[:3]})")
        entries = [e for e in entries if e]
        check(all(pid == lbd.pid for _, pid, _ in entries), "the PID is lbd's")
        by_text = {text: pri for pri, _, text in entries}
        texts = [text for _, _, text in entries]
        print("\n".join(f"  <{p}> {t}" for p, _, t in entries))

        def logged(pattern, pri):
            hits = [t for t in texts if re.fullmatch(pattern, t, re.S)]
            return bool(hits) and all(by_text[t] == pri for t in hits)

        INFO, WARNING = 3 * 8 + 6, 3 * 8 + 4   # facility daemon
        check(logged(rf"lbd \S+ starting \(pid {lbd.pid}\): configuration {re.escape(cfg)}, logging to stderr and "
                     rf"syslog {re.escape(syslog.path)} \(facility daemon\)", INFO), "start, at info (<30>)")
        check(logged(r"lbd \S+ ready: 1 service\(s\), control socket .*", INFO), "ready")
        check(logged(r"start: service tcp 198\.18\.0\.100:80 added \(scheduler rr, persistence none, 2 real server\(s\)\)",
                     INFO), "the service at start")
        check(logged(r"start: service tcp 198\.18\.0\.100:80: real server 198\.18\.0\.12:8080 added \(nat, weight 1\)",
                     INFO), "each real server at start")
        check(logged(r"SIGHUP reload: service tcp 198\.18\.0\.100:80: real server 198\.18\.0\.12:8080 removed", INFO),
              "SIGHUP: the removed real server")
        check(logged(r"SIGHUP reload: service tcp 198\.18\.0\.100:80: real server 198\.18\.0\.11:8080: weight 1 -> 3",
                     INFO), "SIGHUP: the changed weight")
        check(logged(r"SIGHUP reload: service tcp 198\.18\.0\.100:80: real server 198\.18\.0\.13:8080 added "
                     r"\(nat, weight 1\)", INFO), "SIGHUP: the added real server")
        check(sum(t.startswith("configuration reloaded from") for t in texts) == 2,
              "both reloads say so (SIGHUP and lbctl)")
        check(not any(t.startswith("lbctl reload: ") for t in texts), "a reload that changes nothing lists no change")
        check(logged(r"lbctl reload refused \(invalid_config\): " + re.escape(cfg) + r":\d+:1: bogus: unknown key.*",
                     WARNING), "the refused reload, at warning (<28>), naming the error")
        check(logged(r"settings changed: .*established.*", INFO), "set")
        check(not any("garbage" in t or "no-such-command" in t for t in texts),
              "garbage and unknown commands log nothing")
        check(logged(r"SIGTERM received: stopping", INFO) and texts[-1] == "stopped", "stop, last")
        check("lbd" in out and "ready" in out, "stderr has the log too")

        # --- stderr is the journal: no syslog datagrams, priority prefixes --
        syslog.got.clear()
        syslog.drain()
        syslog.got.clear()
        write_config(reals(("198.18.0.11", 1)))
        read_end, write_end = os.pipe()
        st = os.fstat(write_end)
        env = dict(os.environ, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
        env.pop("NOTIFY_SOCKET", None)
        lbd = subprocess.Popen(["unshare", "--net", args.lbd, "--config", cfg], env=env,
                               stdout=write_end, stderr=write_end)
        os.close(write_end)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not os.path.exists(sock):
                time.sleep(0.05)
            time.sleep(0.5)
            lbd.send_signal(signal.SIGTERM)
            lbd.wait(timeout=60)
        finally:
            if lbd.poll() is None:
                lbd.kill()
                lbd.wait()
        journal = os.read(read_end, 1 << 20).decode()
        os.close(read_end)
        lines = [l for l in journal.splitlines() if l.startswith("<")]
        print("\n".join("  " + l for l in lines[:6]))
        check(any(re.fullmatch(r"<6>lbd \S+ starting .*logging to the systemd journal \(stderr\); logging\.syslog not "
                               r"used: the journal has every message", l) for l in lines),
              "under the journal lbd says it does not use syslog")
        check("<6>stopped" in lines and "<6>SIGTERM received: stopping" in lines, "stderr lines carry <6> prefixes")
        check(not syslog.drain(), f"and the syslog socket receives nothing ({syslog.got[:2]})")

    if failures:
        sys.exit(f"{len(failures)} check(s) failed")


if __name__ == "__main__":
    main()
