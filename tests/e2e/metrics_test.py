#!/usr/bin/python3
"""The Prometheus endpoint end to end (see topology.py): lbd serves
`metrics.listen: 127.0.0.1:9100` in its namespace;

- after HTTP, UDP and refused traffic through the VIP, the page scraped with
  curl parses as Prometheus text (exposition.py: every line a comment or a
  sample, TYPE before samples, one group per family, no duplicate series)
  and its numbers are those of `lbctl --json status/services/stats` read
  just before and just after the scrape: counters between the two reads,
  gauges within them, fixed values equal; per-real-server traffic counters
  and rates (`stats`, `rates` of every service and real server) too;
- the content type is Prometheus' text format; `/` is an index, other paths
  404; concurrent scrapes all succeed;
- a reload that changes metrics.listen is refused as needing a restart;
- a second lbd on the same address, and one on an address the host does not
  have, stop at start with the reason, before touching DPDK;
- lbd stops cleanly, the endpoint closes, and nothing is left behind.
"""
import argparse
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import exposition
from nat_test import HTTP_CLIENT, TCP_CONNECT, UDP_CLIENT
from topology import PYTHON, VIP, Topology, check_nothing_left, sh

LISTEN = "127.0.0.1:9100"
EXTRA = f'metrics:\n  listen: "{LISTEN}"\n'

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def fetch(t, path, name="body"):
    """GET http://LISTEN/path with curl in lbd's namespace: (status, content
    type, body); status 0 when curl could not connect."""
    out = os.path.join(t.workdir, f"scrape-{name}.txt")
    r = sh("curl", "-sS", "--max-time", "15", "-o", out, "-w", "%{http_code}\n%{content_type}",
           f"http://{LISTEN}{path}", ns=t.ns["lb"], check=False, timeout=30)
    if r.returncode != 0:
        return 0, "", r.stderr
    status, ctype = (r.stdout.split("\n") + [""])[:2]
    with open(out) as f:
        return int(status), ctype, f.read()


def service_label(s):
    if "fwmark" in s:
        return f"fwmark:{s['fwmark']}"
    return f"{s['protocol']}:{s['vip']}:{s['port']}"


class Compare:
    """Checks page values against two control-socket reads, one before and one
    after the scrape: a counter lies between them, a gauge within them."""

    def __init__(self, page):
        self.page = page
        self.compared = 0
        self.differ = []   # where before != after (traffic between the reads)

    def __call__(self, what, name, before, after, **labels):
        value = self.page.get(name, **labels)
        self.compared += 1
        lo, hi = min(before, after), max(before, after)
        if before != after:
            self.differ.append(what)
        ok = value is not None and lo <= value <= hi
        if not ok:
            check(False, f"{what}: page {name}{labels} = {value}, lbctl {before} .. {after}")
        return ok


def compare_all(t, page, st1, st2, sv1, sv2, status1, status2):
    cmp = Compare(page)
    for w, (a, b) in enumerate(zip(st1["workers"], st2["workers"])):
        labels = {"worker": str(w), "lcore": str(a["lcore"])}
        for field, name in [("rx_packets", "lbd_worker_receive_packets_total"),
                            ("rx_bytes", "lbd_worker_receive_bytes_total"),
                            ("tx_packets", "lbd_worker_transmit_packets_total"),
                            ("tx_bytes", "lbd_worker_transmit_bytes_total"),
                            ("busy_cycles", "lbd_worker_busy_cycles_total"),
                            ("idle_cycles", "lbd_worker_idle_cycles_total")]:
            cmp(f"worker {w} {field}", name, a[field], b[field], **labels)
        for reason in a["drops"]:
            cmp(f"worker {w} drop {reason}", "lbd_drops_total", a["drops"][reason], b["drops"][reason],
                reason=reason, **labels)
        for event in a["events"]:
            cmp(f"worker {w} event {event}", "lbd_events_total", a["events"][event], b["events"][event],
                event=event, **labels)
    check(len(page.series("lbd_drops_total")) == sum(len(w["drops"]) for w in st1["workers"]),
          "one lbd_drops_total series per worker and reason, as lbctl stats has them")
    for a, b in zip(st1["ports"], st2["ports"]):
        for field in ("rx_packets", "rx_bytes", "tx_packets", "tx_bytes"):
            direction, unit = field.split("_")
            name = f"lbd_port_{'receive' if direction == 'rx' else 'transmit'}_{unit}_total"
            cmp(f"port {a['name']} {field}", name, a[field], b[field], port=a["name"])
        cmp(f"port {a['name']} rx_missed", "lbd_port_receive_missed_total", a["rx_missed"], b["rx_missed"],
            port=a["name"])
        cmp(f"port {a['name']} rx_errors", "lbd_port_receive_errors_total", a["rx_errors"], b["rx_errors"],
            port=a["name"])
        cmp(f"port {a['name']} tx_errors", "lbd_port_transmit_errors_total", a["tx_errors"], b["tx_errors"],
            port=a["name"])
    table = {"capacity": "lbd_connection_table_capacity", "in_use": "lbd_connection_table_in_use",
             "awaiting_reclaim": "lbd_connection_table_awaiting_reclaim",
             "inserted": "lbd_connection_table_inserted_total",
             "templates_inserted": "lbd_connection_table_templates_inserted_total",
             "refused_full": "lbd_connection_table_refused_full_total",
             "expired": "lbd_connection_table_expired_total",
             "templates_expired": "lbd_connection_table_templates_expired_total",
             "flushed": "lbd_connection_table_flushed_total", "reused": "lbd_connection_table_reused_total",
             "bytes_per_connection": "lbd_connection_table_entry_bytes",
             "memory_bytes": "lbd_connection_table_memory_bytes"}
    check(set(table) == set(st1["connections"]), "every connection-table field of lbctl stats is on the page")
    for field, name in table.items():
        cmp(f"connections {field}", name, st1["connections"][field], st2["connections"][field])

    has_traffic = False
    for s1, s2 in zip(sv1["services"], sv2["services"]):
        service = service_label(s1)
        check(page.get("lbd_service_info", service=service, scheduler=s1["scheduler"]) == 1,
              f"lbd_service_info for {service}")
        entries = [(s1, s2, "lbd_service", {"service": service})]
        for r1, r2 in zip(s1["real_servers"], s2["real_servers"]):
            labels = {"service": service, "real": f"{r1['address']}:{r1['port']}"}
            entries.append((r1, r2, "lbd_real_server", labels))
            cmp(f"{labels} weight", "lbd_real_server_weight", r1["weight"], r2["weight"], **labels)
            for field, name in [("active_conns", "lbd_real_server_active_connections"),
                                ("inactive_conns", "lbd_real_server_inactive_connections"),
                                ("persistent_conns", "lbd_real_server_persistent_connections")]:
                cmp(f"{labels} {field}", name, r1[field], r2[field], **labels)
        for e1, e2, prefix, labels in entries:
            if "stats" in e1:
                has_traffic = True
                a, b = e1["stats"], e2["stats"]
                cmp(f"{labels} conns", f"{prefix}_connections_total", a["conns"], b["conns"], **labels)
                for d in ("in", "out"):
                    cmp(f"{labels} {d}pkts", f"{prefix}_packets_total", a[f"{d}pkts"], b[f"{d}pkts"],
                        direction=d, **labels)
                    cmp(f"{labels} {d}bytes", f"{prefix}_bytes_total", a[f"{d}bytes"], b[f"{d}bytes"],
                        direction=d, **labels)
            if "rates" in e1:
                a, b = e1["rates"], e2["rates"]
                cmp(f"{labels} cps", f"{prefix}_connection_rate", a["cps"], b["cps"], **labels)
                for d in ("in", "out"):
                    cmp(f"{labels} {d}pps", f"{prefix}_packet_rate", a[f"{d}pps"], b[f"{d}pps"],
                        direction=d, **labels)
                    cmp(f"{labels} {d}bps", f"{prefix}_byte_rate", a[f"{d}bps"], b[f"{d}bps"],
                        direction=d, **labels)
    check(has_traffic, "every service and real server carries its traffic counters, on the page as in lbctl")
    check((page.get("lbd_service_connections_total", service=f"tcp:{VIP}:80") or 0) > 0,
          "the HTTP service's connections are counted on the page")

    check(page.get("lbd_up") == 1, "lbd_up 1")
    check(page.get("lbd_build_info", version=status1["version"]) == 1,
          f"lbd_build_info carries version {status1['version']}")
    cmp("uptime", "lbd_uptime_seconds", status1["uptime_s"], status2["uptime_s"])
    cmp("services", "lbd_services", status1["services"], status2["services"])
    for p in status1["ports"]:
        check(page.get("lbd_port_link_up", port=p["name"]) == (1 if p["link_up"] else 0),
              f"lbd_port_link_up for {p['name']}")
        check(page.get("lbd_port_info", port=p["name"], device=p["device"], mac=p["mac"],
                       address=p["address"]) == 1, f"lbd_port_info for {p['name']} ({p['device']})")
    return cmp


def start_error(t, lbd, listen, tag):
    """A second lbd with its own socket and file prefix but metrics on
    `listen`: (exit status, output)."""
    text = t.lbd_config(t.driver, extra=f'metrics:\n  listen: "{listen}"\n')
    text = text.replace(t.socket, os.path.join(t.workdir, f"second-{tag}.sock"))
    text = text.replace(f"file_prefix: lbd-e2e-{t.tag}", f"file_prefix: lbd-e2e-{t.tag}-{tag}")
    cfg = os.path.join(t.workdir, f"second-{tag}.yaml")
    with open(cfg, "w") as f:
        f.write(text)
    r = sh(lbd, "--config", cfg, ns=t.ns["lb"], check=False, timeout=60)
    return r.returncode, r.stdout + r.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lbd", required=True)
    ap.add_argument("--lbctl", required=True)
    args = ap.parse_args()

    exposition._selftest()
    t = Topology()
    pids = []
    try:
        t.build()
        t.start_servers()
        driver = t.start_lbd(args.lbd, args.lbctl, extra=EXTRA)
        print(f"lbd running on {driver}")
        log_path = os.path.join(t.workdir, f"lbd-{driver}.log")
        client = t.ns["client"]
        with open(log_path) as f:
            check(f"metrics endpoint: http://{LISTEN}/metrics" in f.read(), "lbd logs the metrics address")

        status, ctype, body = fetch(t, "/metrics", "first")
        check(status == 200, f"GET /metrics answers 200 (got {status}: {body[:200]})")
        check(ctype == "text/plain; version=0.0.4; charset=utf-8", f"in Prometheus' text format: {ctype!r}")

        # Traffic: HTTP through NAT, a UDP exchange, a refused connection.
        out = sh(PYTHON, "-c", HTTP_CLIENT, VIP, "60", ns=client, timeout=120)
        result = json.loads(out.stdout)
        check(not result["errors"] and sum(result["counts"].values()) == 60,
              f"60 HTTP requests through the VIP succeed ({result['errors'][:3]})")
        udp = sh(PYTHON, "-c", UDP_CLIENT, VIP, ns=client, check=False, timeout=10)
        check(udp.returncode == 0, f"a UDP request is answered: {udp.stdout.strip() or udp.stderr.strip()}")
        sh(PYTHON, "-c", TCP_CONNECT, VIP, "81", "2", ns=client, check=False, timeout=10)

        # The control socket's view, the page, the control socket's view again.
        status1, sv1, st1 = (json.loads(t.lbctl("--json", c).stdout) for c in ("status", "services", "stats"))
        status, ctype, body = fetch(t, "/metrics", "compared")
        st2, sv2, status2 = (json.loads(t.lbctl("--json", c).stdout) for c in ("stats", "services", "status"))
        check(status == 200, f"the scrape after the traffic answers 200 (got {status})")
        try:
            page = exposition.parse(body)
            check(True, f"the page parses as Prometheus text: {len(page.samples)} series in "
                        f"{len(page.types)} families")
        except exposition.ExpositionError as e:
            check(False, f"the page parses as Prometheus text: {e}")
            raise
        check(all(name.startswith("lbd_") and name in page.help for name in page.types),
              "every family is lbd_* and has a HELP")
        check(all((kind == "counter") == name.endswith("_total") for name, kind in page.types.items()),
              "counters, and only counters, end in _total")
        cmp = compare_all(t, page, st1, st2, sv1, sv2, status1, status2)
        check(cmp.compared > 100, f"{cmp.compared} values compared with lbctl "
                                  f"({len(cmp.differ)} moved between the reads: {cmp.differ[:6]})")

        total = lambda name, **labels: sum(v for l, v in page.series(name)
                                          if all(l.get(k) == x for k, x in labels.items()))
        check(total("lbd_drops_total", reason="no_service") >= 1, "the refused connection is a no_service drop")
        check(total("lbd_events_total", event="conn_created") >= 61, "connections created by the traffic")
        check(total("lbd_worker_receive_packets_total") >= 600, "the workers' received packets are counted")
        check(total("lbd_real_server_inactive_connections", service=f"tcp:{VIP}:80") +
              total("lbd_real_server_active_connections", service=f"tcp:{VIP}:80") >= 1,
              "the HTTP connections are on their real servers")

        status, ctype, body = fetch(t, "/", "index")
        check(status == 200 and ctype.startswith("text/html") and 'href="/metrics"' in body,
              f"/ is an index linking /metrics ({status}, {ctype})")
        status, ctype, body = fetch(t, "/nope", "missing")
        check(status == 404 and body == "404 Not Found; the metrics are at /metrics\n",
              f"other paths: 404 with a hint ({status}: {body!r})")

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda i: fetch(t, "/metrics", f"parallel-{i}"), range(8)))
        ok = 0
        for status, _, body in results:
            try:
                ok += status == 200 and exposition.parse(body).get("lbd_up") == 1
            except exposition.ExpositionError:
                pass
        check(ok == 8, f"8 concurrent scrapes all answered with a valid page ({ok})")

        # Reloading a changed address is refused; the endpoint stays.
        with open(t.config_path) as f:
            original = f.read()
        with open(t.config_path, "w") as f:
            f.write(original.replace(LISTEN, "127.0.0.1:9101"))
        reload = t.lbctl("reload", check=False)
        with open(t.config_path, "w") as f:
            f.write(original)
        check(reload.returncode != 0 and "metrics.listen" in reload.stderr and "needs a restart" in reload.stderr,
              f"a reload changing metrics.listen is refused: {reload.stderr.strip()}")
        check(fetch(t, "/metrics", "after-reload")[0] == 200, "and the endpoint still answers")

        rc, out = start_error(t, args.lbd, LISTEN, "busy")
        check(rc == 1 and f"metrics.listen {LISTEN}: cannot listen: Address already in use" in out,
              f"a second lbd on the same address stops at start: {out.strip().splitlines()[-1:]}")
        check("DPDK EAL arguments" not in out, "before DPDK starts")
        rc, out = start_error(t, args.lbd, "198.51.100.7:9100", "absent")
        check(rc == 1 and "metrics.listen 198.51.100.7:9100: cannot listen: Cannot assign requested address" in out,
              f"an address the host does not have stops lbd at start: {out.strip().splitlines()[-1:]}")
        check(fetch(t, "/metrics", "still")[0] == 200, "the first lbd still serves its endpoint")

        pids.append(t.lbd.pid)
        rc = t.stop_lbd()
        check(rc == 0, f"lbd exits 0 on SIGTERM (got {rc})")
        status, _, err = fetch(t, "/metrics", "stopped")
        check(status == 0, f"the endpoint is closed once lbd stopped ({err.strip()})")
    finally:
        pids += [p.pid for _, p in t.procs]
        t.close()

    check_nothing_left(check, f"lbd{t.tag}-", pids)
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
