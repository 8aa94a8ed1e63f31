#!/usr/bin/python3
"""lbd's demo: a whole LVS-NAT site in network namespaces on this machine.

Builds the topology of tests/e2e/topology.py (a client, lbd on two DPDK-owned
veths, three real servers running HTTP servers that name themselves), sends
requests through the VIP with curl, shows how lbd spread them and what
`lbctl -L -n` and `lbctl stats` say, how a health check takes a stopped
server out and brings it back, then tears everything down: on exit, on
error and on Ctrl-C.
"""
import argparse
import collections
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from topology import CLIENT_IP, DEFAULT_SERVICES, LB_EXT_IP, RS_IPS, VIP, Topology, sh  # noqa: E402

# The topology's services, the HTTP one health-checked every second.
SERVICES = DEFAULT_SERVICES.replace(
    "    scheduler: rr\n",
    "    scheduler: rr\n"
    "    health:\n"
    "      check: {type: http, path: /, expect_status: [200], interval_ms: 1000, timeout_ms: 500,\n"
    "              rise: 2, fall: 2}\n", 1)


def wait_health(t, addr, want, timeout=30):
    """Until lbctl health says `addr` (port 80 service) is `want`."""
    import json
    def state():
        servers = json.loads(t.lbctl("--json", "health").stdout)["servers"]
        return next(s["state"] for s in servers if s["address"] == addr and s["service"].get("port") == 80)
    t.wait_for(lambda: state() == want, f"{addr} {want}", timeout)


def curl_round(t, n):
    served = collections.Counter()
    for _ in range(n):
        r = sh("curl", "-s", "-m", "5", f"http://{VIP}/", ns=t.ns["client"], check=False)
        served[(r.stdout.strip() or f"(failed: curl exit {r.returncode})").split()[0]] += 1
    return ", ".join(f"{name}: {k}" for name, k in sorted(served.items()))


def step(text):
    print(f"\n\033[1m== {text}\033[0m", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lbd", required=True)
    ap.add_argument("--lbctl", required=True)
    ap.add_argument("--requests", type=int, default=30, help="HTTP requests to send (default 30)")
    ap.add_argument("--keep", action="store_true", help="keep the topology running until Ctrl-C")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("demo: run as root (it creates network namespaces and runs DPDK)")

    # Ctrl-C and SIGTERM unwind through the finally below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    t = Topology()
    try:
        step("Topology (network namespaces)")
        t.build()
        print(f"  client      {t.ns['client']:<16} {CLIENT_IP}")
        print(f"  lbd         {t.ns['lb']:<16} ext {LB_EXT_IP}/24 (VIP {VIP}), int 198.18.2.1/24")
        for i, ip in enumerate(RS_IPS, 1):
            print(f"  rs{i}         {t.ns[f'rs{i}']:<16} {ip}  HTTP :8080, UDP :5353")

        step("Real servers")
        t.start_servers()
        print("  three HTTP servers up, each answering with its own name")

        step("lbd")
        driver = t.start_lbd(args.lbd, args.lbctl, services=SERVICES)
        print(f"  lbd runs on net_{driver} (DPDK), control socket {t.socket}")

        step(f"{args.requests} HTTP requests from the client to http://{VIP}/ (curl)")
        served = collections.Counter()
        for i in range(args.requests):
            r = sh("curl", "-s", "-m", "5", f"http://{VIP}/", ns=t.ns["client"], check=False)
            reply = r.stdout.strip() or f"(failed: curl exit {r.returncode})"
            served[reply.split()[0]] += 1
            if i < 6:
                print(f"  request {i + 1}: {reply}")
        print("  ...")
        for name, n in sorted(served.items()):
            print(f"  {name}: {n} request(s) {'#' * n}")

        step(f"UDP through the VIP ({VIP}:53 -> real servers :5353)")
        udp = sh("bash", "-c", f"echo hello | socat -t 2 - UDP:{VIP}:53", ns=t.ns["client"], check=False)
        print(f"  reply: {udp.stdout.strip() or '(none)'}")

        step(f"ping {VIP} (answered by lbd itself)")
        ping = sh("ping", "-c", "3", "-i", "0.2", VIP, ns=t.ns["client"], check=False)
        print("  " + (ping.stdout.strip().splitlines()[-1] if ping.stdout else ping.stderr.strip()))

        step("lbctl -L -n  (ipvsadm's format)")
        print(t.lbctl("-L", "-n").stdout, end="")

        step("lbctl -L -c -n  (the connection table, in ipvsadm's format; the first lines)")
        lines = t.lbctl("-L", "-c", "-n").stdout.splitlines()
        print("\n".join(lines[:8]))
        if len(lines) > 8:
            print(f"  ... {len(lines) - 2} connections in all")

        step("Health checks: nginx on rs2 stopped, then started again")
        for ip in RS_IPS:
            wait_health(t, ip, "up")
        t.stop_http(2)
        wait_health(t, RS_IPS[1], "down")
        print(t.lbctl("health").stdout, end="")
        print(f"  9 requests while rs2 is down: {curl_round(t, 9)}")
        t.start_http(2)
        wait_health(t, RS_IPS[1], "up")
        print(f"  rs2 back after 2 good checks; 9 requests: {curl_round(t, 9)}")

        step("lbctl stats")
        print(t.lbctl("stats").stdout, end="")

        if args.keep:
            step("Running: try it yourself (Ctrl-C to stop and clean up)")
            print(f"  ip netns exec {t.ns['client']} curl http://{VIP}/")
            print(f"  {args.lbctl} -S {t.socket} -L -n")
            signal.pause()
    except KeyboardInterrupt:
        print("\ninterrupted")
    finally:
        step("Teardown")
        if t.lbd is not None:
            rc = t.stop_lbd()
            print(f"  lbd stopped (exit {rc})")
        t.close()
        print("  namespaces removed")


if __name__ == "__main__":
    main()
