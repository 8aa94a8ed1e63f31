"""An LVS site with all three forwarding methods, in network namespaces, as
the LVS documents set each one up (reference/seed-features.md, sections 2-5):

                          client 198.18.1.10
                                |
    198.18.1.0/24 (bridge) -----+------------+-------------+---------------------+
        |                       |            |             |
    [ext] lbd [int]        dr1 .11       dr2 .12      router .254 ==== 198.18.3.0/24 ==== tun1 198.18.3.11
    198.18.1.1  198.18.2.1  (DR: VIPs on lo)              198.18.3.1                  (VIPs on its TUN device,
    VIPs .100-.102  |                                                                   ipip_decap.py)
                    +---- 198.18.2.0/24 (bridge) ---- nat1 198.18.2.11 (default route via lbd)

- lbd owns lb-ext and lb-int through DPDK (as in topology.py) and answers
  ARP for the VIPs; its ext port has `gateway: 198.18.1.254`, so it reaches
  the TUN server's network through the router.
- DR servers (dr1, dr2): each VIP on `lo` as /32, `arp_ignore=1` and
  `arp_announce=2` on `all` and eth0, default route via the router (not lbd).
  They answer the client directly on the LAN.
- The router forwards between the LAN and 198.18.3.0/24; `rp_filter` is off
  there because the TUN server's replies come from a VIP (a LAN address) out
  of 198.18.3.0/24.
- The TUN server (tun1): default route via the router; this kernel has no
  ipip module, so ipip_decap.py decapsulates in userspace and hands the inner
  packets to a TUN device carrying the VIPs (what `tunl0` does on a real
  server). Its replies go to the client through the router, never lbd.
- The NAT server (nat1) uses lbd as its default gateway, as in topology.py.

Every real server runs nginx on port 80 for any local address (DR and TUN
keep the service port) answering "<name> <address>" at `/` and serving a
2 MiB file at `/big`, and an upload sink on UPLOAD_PORT that reads a POST body
and answers "<name> <bytes> <sha256>". IPv6 is off in every namespace so that
captures hold only the traffic under test.

Everything started is stopped by pid and every namespace deleted by close(),
also on failure (see Topology).
"""
import hashlib
import json
import os
import random
import signal
import subprocess

from topology import LB_INT_IP, PYTHON, Topology, nginx_conf, sh

CLIENT_IP = "198.18.1.10"
ROUTER_LAN_IP = "198.18.1.254"
ROUTER_REMOTE_IP = "198.18.3.1"
DR_IPS = ["198.18.1.11", "198.18.1.12"]
TUN_IP = "198.18.3.11"
NAT_IP = "198.18.2.11"
DR_VIP, TUN_VIP, MIXED_VIP = "198.18.1.100", "198.18.1.101", "198.18.1.102"
VIPS = [DR_VIP, TUN_VIP, MIXED_VIP]
UPLOAD_PORT = 8000
BIG_SIZE = 2 * 1024 * 1024

# name -> (address, forwarding method); the namespace key is the name.
REAL_SERVERS = {
    "dr1": (DR_IPS[0], "dr"),
    "dr2": (DR_IPS[1], "dr"),
    "tun1": (TUN_IP, "tunnel"),
    "nat1": (NAT_IP, "nat"),
}

# Besides `/`, the real servers serve BIG_SIZE bytes at /big.
BIG_LOCATION = """    location = /big {{
      default_type application/octet-stream;
      root {workdir}/www;
    }}
"""

# Reads the whole body of a POST and answers "<name> <bytes> <sha256>".
UPLOAD_SINK = r'''
import hashlib, http.server, sys
name, port = sys.argv[1], int(sys.argv[2])
class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        left, h, n = int(self.headers.get("Content-Length", 0)), hashlib.sha256(), 0
        while left:
            chunk = self.rfile.read(min(left, 65536))
            if not chunk:
                break
            h.update(chunk)
            n += len(chunk)
            left -= len(chunk)
        body = f"{name} {n} {h.hexdigest()}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer.request_queue_size = 256
http.server.ThreadingHTTPServer(("0.0.0.0", port), Sink).serve_forever()
'''


class ForwardingTopology(Topology):
    ext_gateway = ROUTER_LAN_IP

    def __init__(self, tag=None):
        super().__init__(tag)
        self.ns = {n: f"lbd{self.tag}-{n}"
                   for n in ("client", "lb", "lan", "sw", "router", *REAL_SERVERS)}
        self.decap = None
        self.big_sha256 = None

    # --- construction -------------------------------------------------------
    def build(self):
        for name in self.ns.values():
            sh("ip", "netns", "add", name)
            self.created.append(name)
            sh("ip", "link", "set", "lo", "up", ns=name)
            sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1", ns=name)
        ns = self.ns
        # Bridges: the client LAN in `lan`, lbd's internal network in `sw`.
        for sw in (ns["lan"], ns["sw"]):
            sh("ip", "link", "add", "br0", "type", "bridge", ns=sw)
            sh("ip", "link", "set", "br0", "up", ns=sw)

        def lan_port(host_ns, ifname, port, bridge_ns=ns["lan"], **kw):
            self._veth(host_ns, ifname, bridge_ns, port, **kw)
            sh("ip", "link", "set", port, "master", "br0", ns=bridge_ns)

        # lbd's veths: one queue each (see topology.py).
        lan_port(ns["lb"], "lb-ext", "lan-lb", queues=1)
        lan_port(ns["lb"], "lb-int", "sw-lb", bridge_ns=ns["sw"], queues=1)

        lan_port(ns["client"], "c0", "lan-c")
        sh("ip", "addr", "add", f"{CLIENT_IP}/24", "dev", "c0", ns=ns["client"])
        sh("ip", "route", "add", "default", "via", ROUTER_LAN_IP, ns=ns["client"])

        r = ns["router"]
        lan_port(r, "lan0", "lan-r")
        self._veth(r, "net3", ns["tun1"], "eth0")
        sh("ip", "addr", "add", f"{ROUTER_LAN_IP}/24", "dev", "lan0", ns=r)
        sh("ip", "addr", "add", f"{ROUTER_REMOTE_IP}/24", "dev", "net3", ns=r)
        sh("sysctl", "-qw", "net.ipv4.ip_forward=1", ns=r)
        for dev in ("all", "default", "lan0", "net3"):
            sh("sysctl", "-qw", f"net.ipv4.conf.{dev}.rp_filter=0", ns=r)

        for name, (addr, method) in REAL_SERVERS.items():
            rs = ns[name]
            if method == "dr":
                lan_port(rs, "eth0", f"lan-{name}")
                gateway = ROUTER_LAN_IP
            elif method == "nat":
                lan_port(rs, "eth0", f"sw-{name}", bridge_ns=ns["sw"])
                gateway = LB_INT_IP
            else:  # tunnel: eth0 is the router's net3 peer, made above
                gateway = ROUTER_REMOTE_IP
            sh("ip", "addr", "add", f"{addr}/24", "dev", "eth0", ns=rs)
            sh("ip", "route", "add", "default", "via", gateway, ns=rs)
            if method == "dr":
                # LVS-DR: the VIPs on lo, never announced or answered in ARP.
                for dev in ("all", "eth0"):
                    sh("sysctl", "-qw", f"net.ipv4.conf.{dev}.arp_ignore=1",
                       f"net.ipv4.conf.{dev}.arp_announce=2", ns=rs)
                for vip in VIPS:
                    sh("ip", "addr", "add", f"{vip}/32", "dev", "lo", ns=rs)

    # --- servers ------------------------------------------------------------
    def start_servers(self):
        www = os.path.join(self.workdir, "www")
        os.makedirs(www)
        big = random.Random(1).randbytes(BIG_SIZE)
        self.big_sha256 = hashlib.sha256(big).hexdigest()
        with open(os.path.join(www, "big"), "wb") as f:
            f.write(big)
        for name, (addr, method) in REAL_SERVERS.items():
            conf = os.path.join(self.workdir, f"nginx-{name}.conf")
            with open(conf, "w") as f:
                f.write(nginx_conf(self.workdir, name, addr, ["80"], BIG_LOCATION.format(workdir=self.workdir)))
            self.spawn(f"{name}-http", self.ns[name],
                       ["nginx", "-e", os.path.join(self.workdir, f"nginx-{name}.log"), "-c", conf])
            self.spawn(f"{name}-upload", self.ns[name], [PYTHON, "-c", UPLOAD_SINK, name, str(UPLOAD_PORT)])
        decap = [PYTHON, os.path.join(os.path.dirname(os.path.abspath(__file__)), "ipip_decap.py"),
                 "--dev", "eth0", "--tun", "vip0"] + [a for v in VIPS for a in ("--vip", v)]
        self.decap = self.spawn("tun1-decap", self.ns["tun1"], decap, stdout=subprocess.PIPE, text=True)
        if self.decap.stdout.readline().strip() != "ready":
            raise RuntimeError("ipip_decap.py did not start on tun1")
        for name, (addr, _) in REAL_SERVERS.items():
            for port in (80, UPLOAD_PORT):
                self.wait_for(lambda: sh("bash", "-c", f"exec 3<>/dev/tcp/{addr}/{port}", ns=self.ns[name],
                                         check=False).returncode == 0, f"{name} listening on {addr}:{port}")

    def decap_counters(self):
        """ipip_decap.py's counters, read live (SIGUSR1)."""
        os.kill(self.decap.pid, signal.SIGUSR1)
        return json.loads(self.decap.stdout.readline())

    def mac(self, name, dev):
        return json.loads(sh("ip", "-j", "link", "show", dev, ns=self.ns[name]).stdout)[0]["address"]


def services_yaml(services):
    """lbd's `services:` block from (vip, port, [(address, method)]) with rr;
    DR and tunnel servers keep the service port (no `port`)."""
    lines = ["services:"]
    for vip, port, reals in services:
        rows = ", ".join(f"{{address: {a}, forward: {m}}}" for a, m in reals)
        lines.append(f"  - {{protocol: tcp, vip: {vip}, port: {port}, scheduler: rr, real_servers: [{rows}]}}")
    return "\n".join(lines) + "\n"
