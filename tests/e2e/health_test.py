#!/usr/bin/python3
"""Health checks end to end, through the real lbd on veths. Every probe
leaves lbd's namespace from the appliance address 198.18.2.1 through the
exception TAP and the DPDK-owned port, as on a NIC lbd owns.

- HTTP to the VIP (rr over rs1-3:8080, `http` check of /health expecting
  the body "healthy", on_failure remove, a sorry server) while a request
  loop runs: nginx stopped on rs2 -> rs2 leaves `ipvsadm -L -n` within
  interval x fall + timeout (plus slack for this loaded machine), and after
  that no request fails and none reaches rs2; nginx started again -> rs2
  comes back after `rise` successes and answers again;
- the same servers on port 81 with on_failure quiesce: rs1's health page
  changed -> its check fails with the body reason (lbctl health shows it),
  it is removed from port 80 but kept at weight 0 on port 81, where an
  established keep-alive connection to it goes on being served and new
  connections go elsewhere;
- every health page changed -> the sorry server answers port 80, lbctl
  health says so, and the metrics page carries the states;
- a UDP service checked by an external program (`/bin/sh -c 'test ! -e
  down-%h'`): the file for rs3 created -> rs3 is down and answers no query,
  removed -> it serves again; rs1 has its own `udp` send/expect check;
- `lbctl service edit` changes the program live: states are kept, the new
  command decides from its next run;
- lbd stops cleanly, nothing left behind.
"""
import argparse
import json
import os
import subprocess
import sys
import time

from conn_test import REQUESTS, check, failures  # the request loop; the e2e tests' check()
from topology import PYTHON, RS_IPS, VIP, Topology, check_nothing_left, sh

RS1, RS2, RS3 = RS_IPS
SORRY_PORT = 9090
INTERVAL_MS, TIMEOUT_MS, RISE, FALL = 500, 400, 2, 2
METRICS = "127.0.0.1:9111"
# A 2-core machine running lbd, nine nginx workers, clients and probes:
# how late a verdict may be beyond interval x fall + timeout.
SLACK_S = 2.0

# nginx's /health reads a file per server address, which the test rewrites.
LOCATIONS = """    location = /health {{
      default_type text/plain;
      alias {workdir}/health-$server_addr.txt;
    }}
"""

CHECK = (f"{{type: http, path: /health, expect_status: [200], expect_body: healthy, "
         f"interval_ms: {INTERVAL_MS}, timeout_ms: {TIMEOUT_MS}, rise: {RISE}, fall: {FALL}}}")


def services(workdir):
    reals = lambda port: "".join(f"      - {{address: {ip}, port: {port}}}\n" for ip in RS_IPS)
    program = f"/bin/sh -c 'test ! -e {workdir}/down-%h'"
    return f"""services:
  - protocol: tcp
    vip: {VIP}
    port: 80
    scheduler: rr
    health:
      check: {CHECK}
    sorry_server: {{address: {RS3}, port: {SORRY_PORT}}}
    real_servers:
{reals(8080)}  - protocol: tcp
    vip: {VIP}
    port: 81
    scheduler: rr
    health:
      check: {CHECK}
      on_failure: quiesce
    real_servers:
{reals(80)}  - protocol: udp
    vip: {VIP}
    port: 53
    scheduler: rr
    health:
      check: {{type: program, command: "{program}", interval_ms: {INTERVAL_MS}, timeout_ms: {TIMEOUT_MS}, rise: 1, fall: 1}}
    real_servers:
      - {{address: {RS1}, port: 5353, check: {{type: udp, send: 'ping\\n', expect: 'rs1: ping', interval_ms: {INTERVAL_MS}, timeout_ms: {TIMEOUT_MS}}}}}
      - {{address: {RS2}, port: 5353}}
      - {{address: {RS3}, port: 5353}}
"""


# Requests on new connections to VIP:port; prints the servers' names (or
# "error ...") one a line.
ONE_EACH = r'''
import http.client, sys
vip, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for _ in range(n):
    try:
        c = http.client.HTTPConnection(vip, port, timeout=5)
        c.request("GET", "/", headers={"Connection": "close"})
        print(c.getresponse().read().decode().split()[0], flush=True)
        c.close()
    except Exception as e:
        print("error " + type(e).__name__, flush=True)
'''

# One keep-alive connection to VIP:port: a request per line on stdin, the
# answering server (or the error) per line on stdout.
KEEPALIVE = r'''
import http.client, sys
c = http.client.HTTPConnection(sys.argv[1], int(sys.argv[2]), timeout=10)
for _ in sys.stdin:
    try:
        c.request("GET", "/")
        print(c.getresponse().read().decode().split()[0], flush=True)
    except Exception as e:
        print("error " + type(e).__name__, flush=True)
'''

UDP_QUERIES = r'''
import socket, sys
for i in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(b"query", (sys.argv[1], 53))
    try:
        print(s.recvfrom(2048)[0].decode().split(":")[0], flush=True)
    except OSError as e:
        print("error " + type(e).__name__, flush=True)
    s.close()
'''

def health(t):
    return json.loads(t.lbctl("--json", "health").stdout)


def state(t, port, addr):
    """The health state of addr's real server in the service on VIP:port."""
    for s in health(t)["servers"]:
        if s["service"].get("port") == port and s["address"] == addr:
            return s
    raise KeyError(f"{addr} not checked in the service on port {port}")


def wait_state(t, port, addr, want, timeout):
    """Seconds until addr's state in the service on `port` is `want`."""
    start = time.monotonic()
    t.wait_for(lambda: state(t, port, addr)["state"] == want, f"{addr} {want} on port {port}", timeout)
    return time.monotonic() - start


def listed(t, port, addr):
    """addr's `ipvsadm -L -n` line in the service on VIP:port, or None."""
    lines = t.lbctl("-L", "-n").stdout.splitlines()
    inside = False
    for line in lines:
        if not line.startswith("  ->"):
            inside = line.startswith(f"TCP  {VIP}:{port} ")
        elif inside and line.split()[1].startswith(f"{addr}:"):
            return line
    return None


def answers(t, port, n):
    out = sh(PYTHON, "-c", ONE_EACH, VIP, port, n, ns=t.ns["client"], timeout=120).stdout.split("\n")
    return [line for line in out if line]


def set_page(t, addr, text):
    with open(os.path.join(t.workdir, f"health-{addr}.txt"), "w") as f:
        f.write(text + "\n")


def remove_and_rejoin(t):
    """nginx stopped on rs2 under a request loop, then started again."""
    loop = t.spawn("loop", t.ns["client"], [PYTHON, "-c", REQUESTS, VIP, "loop"],
                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    time.sleep(1)
    t.stop_http(2)
    took = wait_state(t, 80, RS2, "down", 30)
    budget = (INTERVAL_MS * FALL + TIMEOUT_MS) / 1000
    print(f"     rs2 judged down {took:.2f} s after nginx stopped (interval x fall + timeout = {budget:.1f} s)")
    check(took <= budget + SLACK_S, f"rs2 out of scheduling within interval x fall + timeout ({took:.2f} s)")
    check(listed(t, 80, RS2) is None, "rs2 no longer listed by ipvsadm -L -n on port 80")
    down = state(t, 80, RS2)
    check(down["last"]["ok"] is False and "refused" in down["last"]["reason"],
          f"its last result says why: {down['last']['reason']!r}")
    out, _ = loop.communicate("stop\n", timeout=60)
    before = json.loads(out)
    print(f"     during the failure: {before['ok']} answered, {before['failed']} failed")

    # From here on no request fails and rs2 gets none.
    after = answers(t, 80, 30)
    check(len(after) == 30 and all(a in ("rs1", "rs3") for a in after),
          f"30 requests after the removal: all answered by rs1/rs3 ({sorted(set(after))})")

    t.start_http(2)
    back = wait_state(t, 80, RS2, "up", 30)
    up = state(t, 80, RS2)
    check(up["successes"] >= RISE, f"rs2 back after {up['successes']} successes (rise {RISE}), {back:.2f} s")
    check(back >= (RISE - 1) * INTERVAL_MS / 1000 * 0.5, "not before the second success could come")
    again = answers(t, 80, 9)
    check(sorted(set(again)) == ["rs1", "rs2", "rs3"], f"rs2 serves again ({again})")
    log = open(t.log_path).read()
    check("real server 198.18.2.12:8080 is down (removed from scheduling)" in log,
          "the transition is logged with its effect")


def quiesce_and_body(t):
    """rs1's page changed: removed on 80, weight 0 on 81 with its established
    connection going on."""
    keep = {}
    for _ in range(3):  # rr: one connection to each server
        p = t.spawn("keepalive", t.ns["client"], [PYTHON, "-c", KEEPALIVE, VIP, "81"],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        p.stdin.write("\n")
        p.stdin.flush()
        keep[p.stdout.readline().strip()] = p
    check(sorted(keep) == ["rs1", "rs2", "rs3"], f"three keep-alive connections to port 81 ({sorted(keep)})")

    set_page(t, RS1, "sick")
    wait_state(t, 80, RS1, "down", 30)
    wait_state(t, 81, RS1, "down", 30)
    reason = state(t, 81, RS1)["last"]["reason"]
    check("healthy" in reason, f"the body check's reason names what was expected: {reason!r}")
    human = t.lbctl("health").stdout
    check(any(RS1 in line and "down (quiesced)" in line and "healthy" in line for line in human.splitlines()),
          "lbctl health shows rs1 quiesced on port 81 with the reason")
    check(listed(t, 80, RS1) is None, "on_failure remove: rs1 gone from port 80")
    line81 = listed(t, 81, RS1)
    check(line81 is not None and line81.split()[3] == "0", f"on_failure quiesce: rs1 at weight 0 on port 81 ({line81})")
    cfg = json.loads(t.lbctl("--json", "config").stdout)
    weights = [r.get("weight", 1) for s in cfg["services"] if s.get("port") == 81 for r in s["real_servers"]]
    check(weights == [1, 1, 1], f"the configuration keeps the weights as configured ({weights})")

    p = keep["rs1"]
    ok = 0
    for _ in range(5):
        p.stdin.write("\n")
        p.stdin.flush()
        ok += p.stdout.readline().strip() == "rs1"
    check(ok == 5, f"the established connection to quiesced rs1 is still served ({ok}/5)")
    new = answers(t, 81, 12)
    check(len(new) == 12 and "rs1" not in new, f"new connections to port 81 avoid rs1 ({sorted(set(new))})")
    for proc in keep.values():
        proc.stdin.close()
        proc.wait(timeout=10)

    set_page(t, RS1, "healthy")
    wait_state(t, 80, RS1, "up", 30)
    wait_state(t, 81, RS1, "up", 30)
    line81 = listed(t, 81, RS1)
    check(line81 is not None and line81.split()[3] == "1", f"rs1 back at weight 1 on port 81 ({line81})")


def sorry(t):
    for ip in RS_IPS:
        set_page(t, ip, "maintenance")
    for ip in RS_IPS:
        wait_state(t, 80, ip, "down", 30)
    t.wait_for(lambda: listed(t, 80, RS3) is not None and f"{RS3}:{SORRY_PORT}" in listed(t, 80, RS3),
               "the sorry server listed", 10)
    got = answers(t, 80, 6)
    check(got == ["sorry,"] * 6, f"every server down: the sorry server answers ({got})")
    if got != ["sorry,"] * 6:
        print(t.lbctl("-L", "-n").stdout)
        print(sh("curl", "-sS", "-m", "3", f"http://{RS3}:{SORRY_PORT}/", ns=t.ns["rs3"], check=False))
        print(open(os.path.join(t.workdir, "sorry.log")).read()[-3000:])
    human = t.lbctl("health").stdout
    check(f"Sorry server {RS3}:{SORRY_PORT} takes the new connections of TCP {VIP}:80" in human,
          "lbctl health says the sorry server serves")
    page = sh("curl", "-sS", "--max-time", "10", f"http://{METRICS}/metrics", ns=t.ns["lb"], check=False).stdout
    check(f'lbd_real_server_health{{service="tcp:{VIP}:80",real="{RS2}:8080",state="down"}} 1' in page,
          "the metrics carry the health state")
    check(f'lbd_sorry_server_serving{{service="tcp:{VIP}:80",real="{RS3}:{SORRY_PORT}"}} 1' in page,
          "the metrics say the sorry server serves")
    log = open(t.log_path).read()
    check(f"no real server of tcp {VIP}:80 can serve: the sorry server" in log, "the takeover is logged")

    for ip in RS_IPS:
        set_page(t, ip, "healthy")
    for ip in RS_IPS:
        wait_state(t, 80, ip, "up", 30)
    got = answers(t, 80, 6)
    check(sorted(set(got)) == ["rs1", "rs2", "rs3"], f"the real servers answer again ({got})")


def program_and_udp(t):
    check(state(t, 53, RS1)["check_type"] == "udp", "rs1's own check replaces its service's")
    check(state(t, 53, RS1)["state"] == "up" and state(t, 53, RS2)["state"] == "up",
          "the udp and program checks pass")
    open(os.path.join(t.workdir, f"down-{RS3}"), "w").close()
    wait_state(t, 53, RS3, "down", 30)
    reason = state(t, 53, RS3)["last"]["reason"]
    check("exit" in reason, f"the program's failure is the reason: {reason!r}")
    got = [a for a in sh(PYTHON, "-c", UDP_QUERIES, VIP, 9, ns=t.ns["client"], timeout=60).stdout.split("\n") if a]
    check(len(got) == 9 and "rs3" not in got and not any(a.startswith("error") for a in got),
          f"UDP queries answered without rs3 ({sorted(set(got))})")
    os.unlink(os.path.join(t.workdir, f"down-{RS3}"))
    wait_state(t, 53, RS3, "up", 30)
    got = [a for a in sh(PYTHON, "-c", UDP_QUERIES, VIP, 9, ns=t.ns["client"], timeout=60).stdout.split("\n") if a]
    check("rs3" in got, f"rs3 answers UDP again ({sorted(set(got))})")

    # A live edit of the check: the servers keep their state, the new check runs.
    checks = state(t, 53, RS2)["checks"]
    edit = t.lbctl("service", "edit", f"udp:{VIP}:53", "--command",
                   f"/bin/sh -c 'test ! -e {t.workdir}/off-%h'", check=False)
    check(edit.returncode == 0, f"lbctl service edit of the check ({edit.stdout}{edit.stderr})")
    after = state(t, 53, RS2)
    check("off-" in after["check"] and after["state"] == "up",
          f"the edited check is the one shown, rs2 still up ({after['check']})")
    open(os.path.join(t.workdir, f"off-{RS2}"), "w").close()
    wait_state(t, 53, RS2, "down", 30)
    check(state(t, 53, RS2)["checks"] > checks, "the edited check runs and decides")
    check(state(t, 53, RS3)["state"] == "up", "the others stay up")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lbd", required=True)
    ap.add_argument("--lbctl", required=True)
    args = ap.parse_args()
    pids = []
    t = Topology()
    try:
        t.build()
        for ip in RS_IPS:
            set_page(t, ip, "healthy")
        t.start_servers(locations=LOCATIONS.format(workdir=t.workdir))
        os.makedirs(os.path.join(t.workdir, "sorry"))
        with open(os.path.join(t.workdir, "sorry", "index.html"), "w") as f:
            f.write("sorry, down for maintenance\n")
        with open(os.path.join(t.workdir, "sorry.log"), "w") as log:
            t.spawn("sorry", t.ns["rs3"], [PYTHON, "-m", "http.server", str(SORRY_PORT), "--bind", RS3,
                                          "--directory", os.path.join(t.workdir, "sorry")],
                    stdout=log, stderr=subprocess.STDOUT)
        t.wait_for(lambda: sh("bash", "-c", f"exec 3<>/dev/tcp/{RS3}/{SORRY_PORT}", ns=t.ns["rs3"],
                              check=False).returncode == 0, "the sorry server")
        driver = t.start_lbd(args.lbd, args.lbctl, services=services(t.workdir),
                             extra=f'metrics:\n  listen: "{METRICS}"\n')
        t.log_path = os.path.join(t.workdir, f"lbd-{driver}.log")
        print(f"lbd on {driver}")
        pids = [p.pid for _, p in t.procs]
        for port, ips in ((80, RS_IPS), (81, RS_IPS), (53, RS_IPS)):
            for ip in ips:
                wait_state(t, port, ip, "up", 30)
        first = state(t, 80, RS1)
        check(first["source"] == "198.18.2.1", "probes leave from the appliance's address on int")
        check(first["last"]["reason"].startswith("HTTP 200") and first["last"]["latency_ms"] < TIMEOUT_MS,
              f"last result and latency shown ({first['last']})")

        remove_and_rejoin(t)
        quiesce_and_body(t)
        sorry(t)
        program_and_udp(t)

        check(t.stop_lbd() == 0, "lbd stops cleanly")
    except Exception as e:
        check(False, f"unexpected error: {e!r}")
        log = getattr(t, "log_path", None)
        if log and os.path.exists(log):
            print(open(log).read()[-6000:])
    finally:
        t.close()
        check_nothing_left(check, f"lbd{t.tag}-", pids)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
