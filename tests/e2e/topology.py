"""A self-contained LVS-NAT site in network namespaces, for the end-to-end
tests and the demo:

    client ---- 198.18.1.0/24 ---- [ext] lbd [int] ---- bridge ---- rs1 198.18.2.11
    198.18.1.10         198.18.1.1 (VIP .100)  198.18.2.1          rs2 198.18.2.12
                                                                    rs3 198.18.2.13

lbd owns the veth ends lb-ext and lb-int through DPDK (net_af_xdp, or
net_af_packet where AF_XDP is unavailable); the real servers use lbd as their
default gateway. Every real server runs nginx on 8080, 80 and 443 (HTTP/1.1,
keep-alive), answering with its own name, and a UDP responder on 5353.

Only addresses inside the namespaces this module creates are used. Everything
it starts is stopped by pid and every namespace it creates is deleted by
close(), also when the caller fails half-way.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

PYTHON = "/usr/bin/python3"

CLIENT_IP = "198.18.1.10"
LB_EXT_IP = "198.18.1.1"
LB_INT_IP = "198.18.2.1"
VIP = "198.18.1.100"
RS_IPS = ["198.18.2.11", "198.18.2.12", "198.18.2.13"]

# nginx as a real server: answers "<name> <addr>" on `/`. Workers run as
# root: the work directory is private to root.
NGINX_CONF = """user root;
worker_processes 1;
daemon off;
pid {workdir}/nginx-{name}.pid;
error_log {workdir}/nginx-{name}.log error;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  sendfile on;
  client_body_temp_path {workdir}/nginx-{name}-body;
  proxy_temp_path {workdir}/nginx-{name}-proxy;
  fastcgi_temp_path {workdir}/nginx-{name}-fastcgi;
  uwsgi_temp_path {workdir}/nginx-{name}-uwsgi;
  scgi_temp_path {workdir}/nginx-{name}-scgi;
  server {{
{listen}{locations}    location / {{
      default_type text/plain;
      return 200 "{name} {addr}\\n";
    }}
  }}
}}
"""


def nginx_conf(workdir, name, addr, listens, locations=""):
    """An nginx.conf listening on each of `listens` ("addr:port" or "port"),
    with extra `locations` blocks before the default one."""
    listen = "".join(f"    listen {where} backlog=4096;\n" for where in listens)
    return NGINX_CONF.format(workdir=workdir, name=name, addr=addr, listen=listen, locations=locations)


UDP_RESPONDER = r'''
import socket, sys
name, addr = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, 5353))
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(f"{name}: ".encode() + data, peer)
'''

DEFAULT_SERVICES = f"""services:
  - protocol: tcp
    vip: {VIP}
    port: 80
    scheduler: rr
    real_servers:
      - {{address: {RS_IPS[0]}, port: 8080}}
      - {{address: {RS_IPS[1]}, port: 8080}}
      - {{address: {RS_IPS[2]}, port: 8080}}
  - protocol: udp
    vip: {VIP}
    port: 53
    scheduler: wlc
    real_servers:
      - {{address: {RS_IPS[0]}, port: 5353}}
      - {{address: {RS_IPS[1]}, port: 5353}}
      - {{address: {RS_IPS[2]}, port: 5353}}
"""


def sh(*args, check=True, ns=None, **kw):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + [str(a) for a in args]
    return subprocess.run(cmd, check=check, capture_output=True, text=True, **kw)


def check_nothing_left(check, ns_prefix, pids):
    """The end of every e2e test: no namespace named ns_prefix* and none of
    `pids` still running."""
    left_ns = [n for n in sh("ip", "netns", "list").stdout.split() if n.startswith(ns_prefix)]
    check(not left_ns, f"no namespace left behind ({left_ns})")
    alive = [p for p in pids if subprocess.run(["kill", "-0", str(p)], capture_output=True).returncode == 0]
    check(not alive, f"no process left behind ({alive})")


class Topology:
    # lbd's `gateway` on the ext port (None: no gateway line in the YAML).
    ext_gateway = None

    def __init__(self, tag=None, workers=1):
        self.tag = tag or f"{os.getpid() % 100000}"
        # lbd's workers: each polls its own receive queue of both veths, which
        # get one queue per worker (the kernel spreads flows over them).
        self.workers = workers
        self.ns = {n: f"lbd{self.tag}-{n}" for n in ("client", "lb", "sw", "rs1", "rs2", "rs3")}
        self.procs = []          # (name, Popen) started by us, stopped by pid
        self.created = []        # namespaces to delete
        self.workdir = tempfile.mkdtemp(prefix=f"lbd-e2e-{self.tag}-")
        self.lbd = None
        self.socket = os.path.join(self.workdir, "lbd.sock")
        self.driver = None

    # --- construction -------------------------------------------------------
    def build(self):
        for name in self.ns.values():
            sh("ip", "netns", "add", name)
            self.created.append(name)
            sh("ip", "link", "set", "lo", "up", ns=name)
        # The veths lbd owns through DPDK carry no kernel traffic of their own.
        sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1", ns=self.ns["lb"])
        c, lb, sw = self.ns["client"], self.ns["lb"], self.ns["sw"]
        # AF_XDP receives only on the queues lbd binds (one per worker): a
        # veth with more would hand some frames to the kernel instead.
        self._veth(c, "c0", lb, "lb-ext", queues=self.workers)
        self._veth(lb, "lb-int", sw, "sw-lb", queues=self.workers)
        sh("ip", "link", "add", "br0", "type", "bridge", ns=sw)
        sh("ip", "link", "set", "br0", "up", ns=sw)
        sh("ip", "link", "set", "sw-lb", "master", "br0", ns=sw)
        for i, ip in enumerate(RS_IPS, 1):
            rs = self.ns[f"rs{i}"]
            self._veth(rs, "eth0", sw, f"sw-rs{i}")
            sh("ip", "link", "set", f"sw-rs{i}", "master", "br0", ns=sw)
            sh("ip", "addr", "add", f"{ip}/24", "dev", "eth0", ns=rs)
            sh("ip", "route", "add", "default", "via", LB_INT_IP, ns=rs)
        sh("ip", "addr", "add", f"{CLIENT_IP}/24", "dev", "c0", ns=c)
        sh("ip", "route", "add", "default", "via", LB_EXT_IP, ns=c)

    def _veth(self, ns_a, if_a, ns_b, if_b, queues=None):
        q = ["numtxqueues", queues, "numrxqueues", queues] if queues else []
        sh("ip", "link", "add", if_a, "netns", ns_a, *q, "type", "veth", "peer", "name", if_b, "netns", ns_b, *q)
        for ns, ifname in ((ns_a, if_a), (ns_b, if_b)):
            sh("ip", "link", "set", ifname, "up", ns=ns)
            # TCP through a DPDK-owned veth needs real checksums: no offloads.
            sh("ethtool", "-K", ifname, "tx", "off", "rx", "off", "tso", "off", "gso", "off", "gro", "off",
               ns=ns, check=False)

    def start_servers(self, locations=""):
        """nginx and the UDP responder on every real server; `locations` adds
        nginx location blocks before the default one."""
        for i, ip in enumerate(RS_IPS, 1):
            conf = os.path.join(self.workdir, f"nginx-rs{i}.conf")
            with open(conf, "w") as f:
                f.write(nginx_conf(self.workdir, f"rs{i}", ip, [f"{ip}:{port}" for port in (8080, 80, 443)],
                                   locations))
            self.spawn(f"rs{i}-udp", self.ns[f"rs{i}"], [PYTHON, "-c", UDP_RESPONDER, f"rs{i}", ip])
            self.start_http(i)

    def start_http(self, i):
        """nginx on rs<i> again (after stop_http), from the configuration
        start_servers wrote; waits until it accepts connections."""
        ip = RS_IPS[i - 1]
        self.spawn(f"rs{i}-http", self.ns[f"rs{i}"], ["nginx", "-e", os.path.join(self.workdir, f"nginx-rs{i}.log"),
                                                      "-c", os.path.join(self.workdir, f"nginx-rs{i}.conf")])
        self.wait_for(lambda: sh("bash", "-c", f"exec 3<>/dev/tcp/{ip}/8080", ns=self.ns[f"rs{i}"],
                                 check=False).returncode == 0, f"HTTP server rs{i}")

    def stop_http(self, i):
        """Stops nginx on rs<i> (by pid)."""
        for name, p in list(self.procs):
            if name == f"rs{i}-http":
                self.stop_process(name, p)

    def spawn(self, name, ns, argv, **kw):
        p = subprocess.Popen(["ip", "netns", "exec", ns] + argv, **kw)
        self.procs.append((name, p))
        return p

    # --- lbd ----------------------------------------------------------------
    def lbd_config(self, driver, services=None, connections="", extra="", control=""):
        """lbd's YAML for this topology: `services` replaces the default
        services (a `services:` block), `connections` and `control` add keys
        under `connections:` and `control:` (indented two spaces), `extra`
        adds top-level sections."""
        q = self.workers
        devices = {
            "af_xdp": (f"net_af_xdp0,iface=lb-ext,queue_count={q}", f"net_af_xdp1,iface=lb-int,queue_count={q}"),
            "af_packet": (f"net_af_packet0,iface=lb-ext,qpairs={q}", f"net_af_packet1,iface=lb-int,qpairs={q}"),
        }[driver]
        # A 2-core machine: lcore 1 on CPU 1, further workers share the CPUs
        # ("lcore@cpu"), the main lcore stays on CPU 0.
        cpus = os.cpu_count() or 1
        workers = ", ".join(f'"{w}@{w % cpus}"' for w in range(1, q + 1))
        gateway = f"    gateway: {self.ext_gateway}\n" if self.ext_gateway else ""
        return f"""# Written by tests/e2e/topology.py for this run.
eal:
  huge_pages: auto
  memory_mb: 512
  mbufs: 8191
  file_prefix: lbd-e2e-{self.tag}
  log_level: error
lcores:
  main: 0
  workers: [{workers}]
  idle_sleep_us: 50        # a 2-core machine shares its cores with the clients and servers
control:
  socket: {self.socket}
{control}ports:
  - name: ext
    device: "{devices[0]}"
    address: {LB_EXT_IP}/24
{gateway}    tap_name: lbd{self.tag}-e
  - name: int
    device: "{devices[1]}"
    address: {LB_INT_IP}/24
    tap_name: lbd{self.tag}-i
connections:
  table_size: 65536
{connections}
{services if services is not None else DEFAULT_SERVICES}
{extra}
"""

    def start_lbd(self, lbd, lbctl, drivers=("af_xdp", "af_packet"), **config):
        """Starts lbd on the first driver that works; returns the driver used.
        `config` goes to lbd_config (services, connections, extra, control)."""
        self.lbctl_path = lbctl
        errors = []
        for driver in drivers:
            cfg = os.path.join(self.workdir, f"lbd-{driver}.yaml")
            with open(cfg, "w") as f:
                f.write(self.lbd_config(driver, **config))
            self.config_path = cfg
            log = os.path.join(self.workdir, f"lbd-{driver}.log")
            if self.run_lbd(lbd, cfg, log):
                self.driver = driver
                return driver
            errors.append(f"{driver}: {open(log).read()}")
        raise RuntimeError("lbd did not start:\n" + "\n".join(errors))

    def run_lbd(self, lbd, cfg, log_path, timeout=30):
        """Starts lbd on the file `cfg` as it is (its output to `log_path`)
        and waits until it answers `lbctl status`; True once it does, False
        (and stopped) when it exits or does not answer in time."""
        with open(log_path, "w") as log:
            p = self.spawn("lbd", self.ns["lb"], [lbd, "--config", cfg], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and p.poll() is None:
            if os.path.exists(self.socket) and self.lbctl("status", check=False).returncode == 0:
                self.lbd = p
                return True
            time.sleep(0.1)
        self.stop_process("lbd", p)
        return False

    def capture(self, name, ns, dev, flt=""):
        """A Capture (tcpdump) started through spawn(), so close() stops it
        whatever happens."""
        return Capture(lambda argv, **kw: self.spawn(f"tcpdump-{name}", ns, argv, **kw),
                       os.path.join(self.workdir, f"{name}.pcap"), dev, flt)

    def lbctl(self, *args, check=True):
        return subprocess.run([self.lbctl_path, "-S", self.socket, *args], check=check, capture_output=True, text=True)

    def stats(self):
        return json.loads(self.lbctl("--json", "stats").stdout)

    def drop_total(self, name):
        return sum(w["drops"][name] for w in self.stats()["workers"])

    def stop_lbd(self, timeout=20):
        """SIGTERM and wait; returns lbd's exit status."""
        p, self.lbd = self.lbd, None
        return self.stop_process("lbd", p, timeout)

    # --- processes and cleanup ---------------------------------------------
    def stop_process(self, name, p, timeout=10):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = [(n, q) for n, q in self.procs if q is not p]
        return p.returncode

    @staticmethod
    def wait_for(pred, what, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pred():
                return
            time.sleep(0.1)
        raise RuntimeError(f"timed out waiting for {what}")

    def close(self):
        for name, p in list(self.procs):
            self.stop_process(name, p)
        for name in reversed(self.created):
            sh("ip", "netns", "del", name, check=False)
        self.created = []
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Capture:
    """tcpdump on one interface into a pcap file; lines() and count() read it
    back through a filter. `start(argv, **kw)` runs argv in the namespace and
    returns its Popen. Immediate mode matters: otherwise libpcap hands packets
    over only when a ring block fills or its timeout expires, and what arrived
    in the last second before stop() is lost."""

    def __init__(self, start, path, dev, flt=""):
        if not shutil.which("tcpdump"):
            raise RuntimeError("tcpdump is required (apt-get install tcpdump)")
        self.path = path
        self.proc = start(["tcpdump", "-i", dev, "--immediate-mode", "-U", "-n", "-w", path] + ([flt] if flt else []),
                          stderr=subprocess.PIPE, text=True)
        seen = ""
        while "listening on" not in seen:
            line = self.proc.stderr.readline()
            if not line:
                raise RuntimeError(f"tcpdump on {dev} did not start: {seen}")
            seen += line
        self.summary = ""

    def stop(self):
        """Stops tcpdump; returns its summary ("N packets captured ... M
        dropped by kernel") on one line."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=10)
        self.summary = " ".join(self.proc.stderr.read().split())
        return self.summary

    def lines(self, flt=""):
        out = subprocess.run(["tcpdump", "-r", self.path, "-nn", "-e"] + ([flt] if flt else []),
                             capture_output=True, text=True, check=True)
        return out.stdout.splitlines()

    def count(self, flt=""):
        return len(self.lines(flt))
