#!/usr/bin/python3
"""Live edits end to end, as an LVS administrator would make them:

- lbd starts from a YAML file with one commented UDP service; the rule file
  of seed 003 (/etc/sysconfig/ipvsadm, adapted to the test's addresses: port
  80 through NAT, the 6669 tunnel service kept) goes in the way the init
  scripts feed it, `grep -v '^#' rules | ipvsadm -R`, through the `ipvsadm`
  symlink to lbctl (unfiltered, its first `#` line ends the restore as under
  ipvsadm); HTTP to the VIP is then served and `ipvsadm -L -n` lists Masq
  and Tunnel servers;
- while a loop of requests runs, lbctl adds a real server, changes its
  weight, drains one, disables and enables another and changes the
  service's scheduler: each command's message, `ipvsadm -L -n` and where new
  requests go reflect each change, and the loop sees no failure;
- `lbctl lookup` names the real server of an established keep-alive
  connection (decided by the connection) and the one wlc would give a new
  UDP flow, which is the one that then answers it;
- `ipvsadm -a` of a real server the service has is refused with ipvsadm's
  own words and status;
- health settings are edited like the rest (a service's check, failure
  action and sorry server, a tunnel real server's own check) and shown by
  `lbctl config`;
- `lbctl save` writes the running services into the file, the comment kept;
  after a restart from that file `ipvsadm -S -n` is the same, `-L -n` the
  same but for the connection counters, `lbctl config` the same, and traffic
  is served again;
- lbd stops cleanly and nothing is left behind.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

from conn_test import KEEPALIVE, REQUESTS  # the request loop and the keep-alive client
from topology import CLIENT_IP, PYTHON, RS_IPS, VIP, Topology, check_nothing_left, sh

RS1, RS2, RS3 = RS_IPS
HTTP = f"tcp:{VIP}:80"
DNS = f"udp:{VIP}:53"
UDP_PORT = 40000  # the client port of the UDP flow lookup is asked about

# The YAML services lbd starts with: the comment above the service is the
# file's own text, which `lbctl save` must keep.
COMMENT = "  # DNS for the site: wlc over the three resolvers (written by hand, kept by lbctl save)"
SERVICES = f"""services:
{COMMENT}
  - protocol: udp
    vip: {VIP}
    port: 53
    scheduler: wlc
    real_servers:
      - {{address: {RS1}, port: 5353}}
      - {{address: {RS2}, port: 5353}}
      - {{address: {RS3}, port: 5353}}
"""

# Seed 003's /etc/sysconfig/ipvsadm with the test's addresses: the VIP
# 198.18.1.100 and real servers on 198.18.2.0/24. Its commented-out 80/443
# direct-routing lines stay commented; port 80 is live through NAT (-m), so
# replies come back through lbd; the 6669 service keeps its tunnel (-i).
RULES = f"""#-A -t {VIP}:443 -s rr
#-a -t {VIP}:443 -r {RS1}:443 -g -w 1
-A -t {VIP}:80 -s rr
-a -t {VIP}:80 -r {RS1}:80 -m -w 1
-a -t {VIP}:80 -r {RS2}:80 -m -w 1
-A -t {VIP}:6669 -s rr
-a -t {VIP}:6669 -r {RS1}:6669 -i -w 1
"""

# One datagram from CLIENT_IP:port; prints the answer ("rsN: ...").
UDP_QUERY = r'''
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(5)
s.sendto(b"query", (sys.argv[3], 53))
print(s.recvfrom(2048)[0].decode(), flush=True)
'''

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


class Admin:
    """The administrator's commands: lbctl, and ipvsadm (the symlink, found
    through PATH as scripts find it) with $LBD_SOCKET naming lbd's socket."""

    def __init__(self, t, ipvsadm):
        self.t = t
        self.env = dict(os.environ, LBD_SOCKET=t.socket,
                        PATH=os.path.dirname(os.path.abspath(ipvsadm)) + ":" + os.environ.get("PATH", ""))

    def ipvsadm(self, *args, stdin=None):
        return subprocess.run(["ipvsadm", *args], input=stdin, capture_output=True, text=True, env=self.env)

    def shell(self, script):
        return subprocess.run(["bash", "-o", "pipefail", "-c", script], capture_output=True, text=True,
                              env=self.env, cwd=self.t.workdir)

    def listing(self):
        return self.ipvsadm("-L", "-n").stdout

    def lbctl(self, *args):
        return self.t.lbctl(*args, check=False)


def real_line(addr, port, forward, weight):
    """The start of a real server's line in `ipvsadm -L -n`, up to its weight."""
    return f"  -> {f'{addr}:{port}':<28} {forward:<7} {weight:<6} "


def lists(listing, addr, port, forward, weight):
    return any(line.startswith(real_line(addr, port, forward, weight)) for line in listing.splitlines())


def without_counters(listing):
    """`ipvsadm -L -n` without the ActiveConn and InActConn columns."""
    return [re.sub(r" +\d+ +\d+ *$", "", line) if line.startswith("  -> ") and line[5].isdigit() else line
            for line in listing.splitlines()]


def requests(t, n):
    """n HTTP requests to VIP:80, a new connection each: (servers that
    answered with their counts, failures)."""
    r = json.loads(sh(PYTHON, "-c", REQUESTS, VIP, "count", n, ns=t.ns["client"], timeout=300).stdout)
    return r["counts"], r["errors"]


def until_served(t, want, timeout=60):
    """Requests in batches until every server in `want` has answered one (the
    request loop takes its own turns of the scheduler meanwhile); the servers
    seen and the failures."""
    seen, errors = set(), []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not want <= seen:
        counts, errs = requests(t, 10)
        seen |= set(counts)
        errors += errs
    return seen, errors


def config_of(admin):
    return json.loads(admin.lbctl("--json", "config").stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lbd", required=True)
    ap.add_argument("--lbctl", required=True)
    ap.add_argument("--ipvsadm", required=True, help="the ipvsadm symlink to lbctl")
    ap.add_argument("--driver", choices=("af_xdp", "af_packet"), help="only this driver (default: the first that works)")
    args = ap.parse_args()

    t = Topology()
    pids = []
    try:
        t.build()
        t.start_servers()
        driver = t.start_lbd(args.lbd, args.lbctl, drivers=(args.driver,) if args.driver else ("af_xdp", "af_packet"),
                             services=SERVICES)
        pids.append(t.lbd.pid)
        print(f"lbd running on {driver}")
        admin = Admin(t, args.ipvsadm)
        with open(t.config_path) as f:
            started_with = f.read()
        rules = os.path.join(t.workdir, "ipvsadm.rules")
        with open(rules, "w") as f:
            f.write(RULES)

        # --- 1. the seed's rule file through ipvsadm -R -------------------
        before = admin.listing()
        r = admin.shell("ipvsadm -R < ipvsadm.rules")
        check(r.returncode == 255 and r.stderr == "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n",
              f"unfiltered, the file's first `#` line ends ipvsadm -R as under ipvsadm (exit {r.returncode}, "
              f"{r.stderr!r})")
        check(admin.listing() == before, "and nothing was applied")
        r = admin.shell("grep -v '^#' ipvsadm.rules | ipvsadm -R")
        check(r.returncode == 0 and r.stdout == "" and r.stderr == "",
              f"grep -v '^#' rules | ipvsadm -R succeeds silently (exit {r.returncode}, {r.stderr.strip()!r})")
        listing = admin.listing()
        print(listing, end="")
        check(listing.splitlines()[:3] == ["IP Virtual Server version 1.2.1 (size=65536)",
                                           "Prot LocalAddress:Port Scheduler Flags",
                                           "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn"],
              "ipvsadm -L -n prints ipvsadm's header")
        for line in (f"TCP  {VIP}:80 rr", f"TCP  {VIP}:6669 rr", f"UDP  {VIP}:53 wlc"):
            check(line in listing.splitlines(), f"it lists `{line}`")
        check(lists(listing, RS1, 80, "Masq", 1) and lists(listing, RS2, 80, "Masq", 1),
              "port 80's real servers are Masq (-m), weight 1")
        check(lists(listing, RS1, 6669, "Tunnel", 1), "port 6669's real server is Tunnel (-i)")
        conf = config_of(admin)
        check(conf["unsaved_edits"] is True and conf["config_path"] == t.config_path,
              f"lbctl config: the edits are not saved yet, in {conf['config_path']}")

        # --- 2. traffic ---------------------------------------------------
        counts, errors = requests(t, 30)
        check(not errors and counts == {"rs1": 15, "rs2": 15},
              f"30 HTTP requests to the VIP are served, rr over rs1 and rs2 ({dict(counts)}, {errors[:3]})")

        # --- 3. lbctl edits while a request loop runs ---------------------
        loop = t.spawn("loop", t.ns["client"], [PYTHON, "-c", REQUESTS, VIP, "loop"],
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        pids.append(loop.pid)

        def edit(argv, message, what):
            r = admin.lbctl(*argv)
            check(r.returncode == 0 and r.stdout == message + "\n",
                  f"lbctl {' '.join(argv)}: {r.stdout.strip() or r.stderr.strip()}")
            listing = admin.listing()
            check(what(listing), "ipvsadm -L -n shows it" + ("" if what(listing) else f":\n{listing}"))
            return listing

        edit(["real", "add", HTTP, f"{RS3}:80", "-w", "2"],
             f"added real server {RS3}:80 of service tcp {VIP}:80",
             lambda l: lists(l, RS3, 80, "Masq", 2))
        seen, errors = until_served(t, {"rs1", "rs2", "rs3"})
        check(seen == {"rs1", "rs2", "rs3"} and not errors, f"and new requests reach rs3 too ({sorted(seen)})")

        edit(["weight", HTTP, f"{RS3}:80", "3"], f"real server {RS3}:80 of service tcp {VIP}:80: weight 3",
             lambda l: lists(l, RS3, 80, "Masq", 3))

        edit(["drain", HTTP, f"{RS1}:80"],
             f"real server {RS1}:80 of service tcp {VIP}:80: draining (weight 0; its connections "
             "continue, new ones go elsewhere)",
             lambda l: lists(l, RS1, 80, "Masq", 0))
        counts, errors = requests(t, 30)
        check(not errors and "rs1" not in counts and sum(counts.values()) == 30,
              f"no new request reaches the drained rs1 ({dict(counts)})")

        edit(["disable", HTTP, f"{RS2}:80"], f"real server {RS2}:80 of service tcp {VIP}:80 disabled",
             lambda l: not any(line.startswith(f"  -> {RS2}:80 ") for line in l.splitlines()))
        counts, errors = requests(t, 30)
        check(not errors and counts == {"rs3": 30}, f"with rs1 drained and rs2 disabled, rs3 serves all ({dict(counts)})")
        disabled = next(s for s in config_of(admin)["services"] if s.get("port") == 80)
        check(any(r["address"] == RS2 and r["enabled"] is False for r in disabled["real_servers"]),
              "lbctl config still has rs2, disabled")

        edit(["enable", HTTP, f"{RS2}:80"], f"real server {RS2}:80 of service tcp {VIP}:80 enabled",
             lambda l: lists(l, RS2, 80, "Masq", 1))
        seen, errors = until_served(t, {"rs2", "rs3"})
        check(seen == {"rs2", "rs3"} and not errors, f"enabled again, rs2 serves new requests ({sorted(seen)})")

        edit(["service", "edit", HTTP, "-s", "wrr"], f"changed service tcp {VIP}:80",
             lambda l: f"TCP  {VIP}:80 wrr" in l.splitlines() and lists(l, RS3, 80, "Masq", 3))
        seen, errors = until_served(t, {"rs2", "rs3"})
        check(seen == {"rs2", "rs3"} and not errors, f"wrr serves from rs2 and rs3, not the drained rs1 ({sorted(seen)})")

        loop.stdin.close()
        result = json.loads(loop.stdout.readline())
        t.stop_process("loop", loop)
        check(result["ok"] >= 20 and result["failed"] == 0,
              f"the request loop through the six edits: {result['ok']} requests, {result['failed']} failed "
              f"{result['errors'][:3]}")

        # --- 4. lookup ----------------------------------------------------
        keep = t.spawn("keepalive", t.ns["client"], [PYTHON, "-c", KEEPALIVE, VIP, "10"],
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        pids.append(keep.pid)
        port = int(keep.stdout.readline())
        keep.stdin.write("go\n")
        keep.stdin.flush()
        pinned = keep.stdout.readline().strip()
        check(pinned in ("rs2", "rs3"), f"a keep-alive connection from port {port} is served by {pinned}")
        r = admin.lbctl("--json", "lookup", "tcp", f"{CLIENT_IP}:{port}", f"{VIP}:80")
        found = json.loads(r.stdout) if r.returncode == 0 else {}
        conn = found.get("connection", {})
        check(found.get("decided_by") == "connection" and conn.get("state") == "ESTABLISHED"
              and conn.get("dest_address") == RS_IPS[int(pinned[2:]) - 1 if pinned[2:].isdigit() else 0]
              and conn.get("dest_port") == 80,
              f"lbctl lookup of that connection: decided by the connection, to {pinned}:80 ({r.stdout.strip()})")
        keep.stdin.write("again\n")
        keep.stdin.flush()
        again = keep.stdout.readline().strip()
        check(again == pinned, f"and the connection goes on being served by it ({again})")
        t.stop_process("keepalive", keep)

        r = admin.lbctl("--json", "lookup", "udp", f"{CLIENT_IP}:{UDP_PORT}", f"{VIP}:53")
        found = json.loads(r.stdout) if r.returncode == 0 else {}
        chosen = found.get("real_server", {})
        check(found.get("decided_by") == "scheduler" and found.get("scheduler") == "wlc"
              and found.get("service") == f"udp {VIP}:53" and chosen.get("address") in RS_IPS
              and chosen.get("port") == 5353 and chosen.get("forward") == "nat",
              f"lbctl lookup of a new UDP flow: the wlc scheduler names a real server ({r.stdout.strip()})")
        text = admin.lbctl("lookup", "udp", f"{CLIENT_IP}:{UDP_PORT}", f"{VIP}:53").stdout
        check(text == f"service udp {VIP}:53 (scheduler wlc)\nscheduler would choose -> "
                      f"{chosen.get('address')}:5353 (nat, weight 1)\n",
              f"and says so in words ({text!r})")
        answer = sh(PYTHON, "-c", UDP_QUERY, CLIENT_IP, UDP_PORT, VIP, ns=t.ns["client"], check=False,
                    timeout=30).stdout.strip()
        named = f"rs{RS_IPS.index(chosen['address']) + 1}" if chosen.get("address") in RS_IPS else "?"
        check(answer == f"{named}: query", f"the datagram of that flow is answered by {named} ({answer!r})")

        # --- 5. ipvsadm's refusal of a duplicate real server --------------
        before = admin.listing()
        r = admin.ipvsadm("-a", "-t", f"{VIP}:80", "-r", f"{RS3}:80", "-m", "-w", "5")
        check(r.returncode == 255 and r.stderr == "Destination already exists\n" and r.stdout == "",
              f"ipvsadm -a of an existing real server: `Destination already exists`, exit 255 "
              f"({r.returncode}, {r.stderr!r})")
        check(without_counters(admin.listing()) == without_counters(before), "and nothing changed")

        # --- 6. save, restart, the same table -----------------------------
        # A disabled real server is part of what is saved, though no listing
        # shows it.
        edit(["disable", HTTP, f"{RS1}:80"], f"real server {RS1}:80 of service tcp {VIP}:80 disabled",
             lambda l: not any(line.startswith(f"  -> {RS1}:80 ") for line in l.splitlines()))
        # Health settings are edited, saved and read back as the rest are.
        r = admin.lbctl("service", "edit", HTTP, "--check", "http", "--interval", "2s",
                        "--on-failure", "quiesce", "--sorry", f"{RS1}:8080")
        check(r.returncode == 0 and r.stdout == f"changed service tcp {VIP}:80\n",
              f"lbctl service edit --check http --interval 2s --on-failure quiesce --sorry: "
              f"{r.stdout.strip() or r.stderr.strip()}")
        # Checks run as soon as they are configured: this one must pass (nginx
        # on 8080; nothing serves 6669), or the server would leave -S -n.
        r = admin.lbctl("real", "edit", f"tcp:{VIP}:6669", f"{RS1}:6669", "--check", "tcp",
                        "--check-port", "8080", "--through-tunnel", "yes")
        check(r.returncode == 0, f"lbctl real edit --check tcp --through-tunnel yes of the tunnel "
                                 f"server: {r.stdout.strip() or r.stderr.strip()}")
        r = admin.lbctl("real", "edit", HTTP, f"{RS2}:80", "--check", "tcp", "--through-tunnel", "yes")
        check(r.returncode == 1 and "through_tunnel is only for tunnel real servers" in r.stderr
              and "nothing was changed (invalid)" in r.stderr,
              f"and refused for a NAT server, nothing changed ({r.stderr.strip()})")
        web = next(s for s in config_of(admin)["services"] if s.get("port") == 80)
        check(web["health"]["check"]["type"] == "http" and web["health"]["check"]["interval_ms"] == 2000
              and web["health"]["on_failure"] == "quiesce"
              and web["sorry_server"] == {"address": RS1, "port": 8080, "forward": "nat"}
              and all(real["check"] is None for real in web["real_servers"]),
              f"lbctl config shows the check, the failure action and the sorry server ({web})")
        saved_rules = admin.ipvsadm("-S", "-n").stdout
        print(saved_rules, end="")
        check(saved_rules.splitlines() == [
            f"-A -t {VIP}:80 -s wrr",
            f"-a -t {VIP}:80 -r {RS2}:80 -m -w 1",
            f"-a -t {VIP}:80 -r {RS3}:80 -m -w 3",
            f"-A -t {VIP}:6669 -s rr",
            f"-a -t {VIP}:6669 -r {RS1}:6669 -i -w 1 --tun-type ipip",
            f"-A -u {VIP}:53 -s wlc",
            f"-a -u {VIP}:53 -r {RS1}:5353 -m -w 1",
            f"-a -u {VIP}:53 -r {RS2}:5353 -m -w 1",
            f"-a -u {VIP}:53 -r {RS3}:5353 -m -w 1",
        ], "ipvsadm -S -n gives the edited table as rules")
        listing = admin.listing()
        r = admin.lbctl("save")
        check(r.returncode == 0 and r.stdout == f"saved 3 service(s) to {t.config_path}\n",
              f"lbctl save: {r.stdout.strip() or r.stderr.strip()}")
        with open(t.config_path) as f:
            saved = f.read()
        print(saved[saved.index("services:"):], end="")
        check(COMMENT in saved.splitlines(), "the saved file keeps the service's comment")
        head = started_with[:started_with.index("services:")]
        udp_item = SERVICES[SERVICES.index(COMMENT):]
        check(saved.startswith(head) and udp_item in saved,
              "and the rest of the file and the UDP service byte for byte")
        for line in ("      check: {type: http, interval_ms: 2000}", "      on_failure: quiesce",
                     f"    sorry_server: {{address: {RS1}, port: 8080}}",
                     f"      - {{address: {RS1}, forward: tunnel, check: {{type: tcp, port: 8080, through_tunnel: true}}}}"):
            check(line in saved.splitlines(), f"the saved file has `{line.strip()}`")
        config = config_of(admin)
        check(config["unsaved_edits"] is False, "lbctl config: nothing left unsaved")

        rc = t.stop_lbd()
        check(rc == 0, f"lbd exits 0 on SIGTERM (got {rc})")
        started = t.run_lbd(args.lbd, t.config_path, os.path.join(t.workdir, "lbd-restarted.log"))
        check(started, "lbd starts again from the saved file")
        if not started:
            raise RuntimeError("lbd did not start from the saved file:\n" +
                               open(os.path.join(t.workdir, "lbd-restarted.log")).read())
        pids.append(t.lbd.pid)
        after_rules = admin.ipvsadm("-S", "-n").stdout
        check(after_rules == saved_rules, "ipvsadm -S -n is the same after the restart")
        after = admin.listing()
        check(without_counters(after) == without_counters(listing),
              "ipvsadm -L -n is the same after the restart, but for the connection counters"
              + ("" if without_counters(after) == without_counters(listing) else f":\n{listing}--- now:\n{after}"))
        again = config_of(admin)
        shown = admin.lbctl("config").stdout.splitlines()
        check(f"  -> {RS1}:80 nat weight 0 DISABLED" in shown
              and f"tcp {VIP}:80 wrr check http on-failure quiesce sorry {RS1}:8080" in shown
              and f"  -> {RS1}:6669 tunnel weight 1 check tcp:8080" in shown,
              f"lbctl config shows rs1 drained and disabled, the service wrr with its check and "
              f"sorry server, the tunnel server's own check ({shown})")
        check(again == config, "lbctl config is the same (rs1 drained and disabled, the schedulers, nothing unsaved)"
              + ("" if again == config else f":\n{json.dumps(config)}\n--- now:\n{json.dumps(again)}"))
        counts, errors = requests(t, 30)
        check(not errors and set(counts) == {"rs2", "rs3"} and sum(counts.values()) == 30,
              f"HTTP to the VIP is served again, by rs2 and rs3 ({dict(counts)}, {errors[:3]})")
        answer = sh(PYTHON, "-c", UDP_QUERY, CLIENT_IP, UDP_PORT + 1, VIP, ns=t.ns["client"], check=False,
                    timeout=30).stdout.strip()
        check(re.fullmatch(r"rs[123]: query", answer) is not None, f"and DNS over UDP ({answer!r})")

        rc = t.stop_lbd()
        check(rc == 0, f"lbd exits 0 on SIGTERM (got {rc})")
    finally:
        t.close()
    check_nothing_left(check, f"lbd{t.tag}-", pids)
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
