#!/usr/bin/python3
"""conf/lbd.service: systemd accepts it (systemd-analyze verify, with the
commands pointed at the built lbd), and it says what lbd implements:
Type=notify (lbd sends READY=1, see logging_test.py), the config checked
before start, reload by SIGHUP, a restart policy, the socket directory."""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lbd", required=True)
    ap.add_argument("--unit", required=True)
    args = ap.parse_args()
    text = open(args.unit).read()
    keys = {}
    for line in text.splitlines():
        m = re.fullmatch(r"([A-Za-z]+)=(.*)", line)
        if m:
            keys.setdefault(m.group(1), []).append(m.group(2))

    check(keys.get("Type") == ["notify"] and keys.get("NotifyAccess") == ["main"], "Type=notify, from lbd itself")
    check(keys.get("ExecStartPre") == ["/usr/local/sbin/lbd --check-config --config /etc/lbd/lbd.yaml"],
          "ExecStartPre checks the configuration")
    check(keys.get("ExecStart") == ["/usr/local/sbin/lbd --config /etc/lbd/lbd.yaml"], "ExecStart runs lbd")
    check(keys.get("ExecReload") == ["/bin/kill -HUP $MAINPID"], "ExecReload sends SIGHUP")
    check(keys.get("Restart") == ["on-failure"], "restarts on failure")
    check(keys.get("RuntimeDirectory") == ["lbd dpdk/lbd"], "RuntimeDirectory holds the socket and DPDK's files")
    caps = set(keys.get("CapabilityBoundingSet", [""])[0].split())
    check({"CAP_SYS_ADMIN", "CAP_IPC_LOCK", "CAP_NET_ADMIN", "CAP_NET_RAW"} <= caps,
          "DPDK's capabilities are in the bounding set")

    analyze = shutil.which("systemd-analyze")
    if not analyze:
        print("systemd-analyze not installed: verify skipped")
    else:
        with tempfile.TemporaryDirectory(prefix="lbd-unit-") as tmp:
            unit = os.path.join(tmp, "lbd.service")
            open(unit, "w").write(text.replace("/usr/local/sbin/lbd", os.path.abspath(args.lbd)))
            r = subprocess.run([analyze, "verify", unit], capture_output=True, text=True, timeout=60)
            check(r.returncode == 0 and r.stdout.strip() == "" and r.stderr.strip() == "",
                  f"systemd-analyze verify accepts it ({r.returncode}: {r.stderr.strip()})")
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")


if __name__ == "__main__":
    main()
