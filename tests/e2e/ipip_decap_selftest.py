#!/usr/bin/python3
"""Self-test of ipip_decap.py (no lbd): two namespaces on one veth,

    sender 198.18.5.1 (client address 198.18.6.10 on lo) ---- server 198.18.5.2, VIP 198.18.7.100 on its TUN

The sender writes IPIP packets with scapy (outer 198.18.5.1 -> 198.18.5.2,
inner 198.18.6.10 -> VIP); tcpdump on the sender's veth records what comes
back. Checks:

- without the decapsulator the server's kernel answers IPIP with ICMP
  protocol-unreachable (so the next check means something);
- with it, an inner ICMP echo and an inner TCP SYN to a listener on the VIP
  reach the server's kernel, which answers (echo reply, SYN-ACK) directly
  from the VIP, unencapsulated, and no ICMP protocol-unreachable is sent;
- truncated, fragmented, badly checksummed and non-IPv4 inner packets are
  counted and ignored, and the decapsulator keeps working after them;
- 5000 echoes at about 5000 packets per second are all answered;
- SIGTERM stops it with exit 0, its TUN device disappears, and every
  namespace and process is gone at the end, also on failure.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from topology import Capture, PYTHON, check_nothing_left, sh

HERE = os.path.dirname(os.path.abspath(__file__))
SENDER_IP, SERVER_IP = "198.18.5.1", "198.18.5.2"
CLIENT_IP = "198.18.6.10"
VIP = "198.18.7.100"
BURST = 5000

# Runs in the sender's namespace: argv = server MAC, phase.
SENDER = r'''
import socket, sys, time
from scapy.all import Ether, IP, ICMP, TCP, raw
dst_mac, phase = sys.argv[1], sys.argv[2]
src_mac = open("/sys/class/net/a0/address").read().strip()
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("a0", 0))
eth = Ether(src=src_mac, dst=dst_mac, type=0x0800)
outer = IP(src="@SENDER@", dst="@SERVER@", proto=4, flags="DF")
inner = lambda seq: IP(src="@CLIENT@", dst="@VIP@") / ICMP(type=8, id=0x4242, seq=seq) / (b"x" * 32)
send = lambda pkt: s.send(raw(pkt))
if phase == "bare":
    send(eth / outer / inner(1))
elif phase == "basic":
    for seq in (1, 2, 3):
        send(eth / outer / inner(seq))
    send(eth / outer / IP(src="@CLIENT@", dst="@VIP@") / TCP(sport=40000, dport=80, flags="S", seq=1000))
    # Malformed: each must be counted and ignored.
    send(eth / IP(src="@SENDER@", dst="@SERVER@", proto=4) / (b"\x45" * 10))           # truncated inner
    send(eth / outer / (b"\x60" + b"\x00" * 39))                                       # inner not IPv4
    big = raw(inner(9))
    send(eth / IP(src="@SENDER@", dst="@SERVER@", proto=4, flags="MF") / big[:32])     # first fragment
    send(eth / IP(src="@SENDER@", dst="@SERVER@", proto=4, frag=4) / big[32:])         # last fragment
    bad = bytearray(raw(outer / inner(10)))
    bad[10] ^= 0xFF                                                                    # outer checksum
    send(eth / raw(bytes(bad)))
    short = bytearray(raw(inner(11)))
    short[2:4] = (len(short) + 100).to_bytes(2, "big")                                 # inner longer than payload
    send(eth / outer / raw(bytes(short)))
    send(eth / raw(IP(version=5, src="@SENDER@", dst="@SERVER@", proto=4) / inner(12)))  # outer not IPv4
    time.sleep(0.2)
    send(eth / outer / inner(4))                                                       # still alive
elif phase == "burst":
    n = int(sys.argv[3])
    frames = [raw(eth / outer / inner(1000 + i)) for i in range(n)]
    start = time.monotonic()
    for i, f in enumerate(frames):
        s.send(f)
        if i % 50 == 49:   # about 5000 packets per second
            time.sleep(max(0.0, start + (i + 1) / 5000 - time.monotonic()))
    print(f"sent {n} in {time.monotonic() - start:.2f} s")
'''.replace("@SENDER@", SENDER_IP).replace("@SERVER@", SERVER_IP).replace("@CLIENT@", CLIENT_IP).replace("@VIP@", VIP)

LISTENER = r'''
import socket, sys
s = socket.socket()
s.bind((sys.argv[1], 80))
s.listen(16)
print("listening", flush=True)
sys.stdin.read()
'''

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def main():
    tag = f"{os.getpid() % 100000}"
    ns_a, ns_b = f"ipipst{tag}-a", f"ipipst{tag}-b"
    workdir = tempfile.mkdtemp(prefix=f"ipip-selftest-{tag}-")
    created, procs, pids = [], [], []

    def spawn(ns, argv, **kw):
        p = subprocess.Popen(["ip", "netns", "exec", ns] + argv, **kw)
        procs.append(p)
        pids.append(p.pid)
        return p

    def stop(p, timeout=10):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if p in procs:
            procs.remove(p)
        return p.returncode

    try:
        for ns in (ns_a, ns_b):
            sh("ip", "netns", "add", ns)
            created.append(ns)
            sh("ip", "link", "set", "lo", "up", ns=ns)
            # IPv4 only: no IPv6 chatter in the captures.
            sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1", ns=ns)
        sh("ip", "link", "add", "a0", "netns", ns_a, "type", "veth", "peer", "name", "b0", "netns", ns_b)
        for ns, dev, addr in ((ns_a, "a0", SENDER_IP), (ns_b, "b0", SERVER_IP)):
            sh("ip", "addr", "add", f"{addr}/24", "dev", dev, ns=ns)
            sh("ip", "link", "set", dev, "up", ns=ns)
            sh("ethtool", "-K", dev, "tx", "off", "rx", "off", "tso", "off", "gso", "off", "gro", "off", ns=ns, check=False)
        sh("ip", "addr", "add", f"{CLIENT_IP}/32", "dev", "lo", ns=ns_a)
        sh("ip", "route", "add", "default", "via", SENDER_IP, ns=ns_b)
        # Static neighbours: ARP traffic stays out of the counts.
        mac = {ns: json.loads(sh("ip", "-j", "link", "show", dev, ns=ns).stdout)[0]["address"]
               for ns, dev in ((ns_a, "a0"), (ns_b, "b0"))}
        sh("ip", "neigh", "replace", SERVER_IP, "lladdr", mac[ns_b], "dev", "a0", ns=ns_a)
        sh("ip", "neigh", "replace", SENDER_IP, "lladdr", mac[ns_a], "dev", "b0", ns=ns_b)

        def capture(ns, dev, name, flt=""):
            return Capture(lambda argv, **kw: spawn(ns, argv, **kw), os.path.join(workdir, f"{name}.pcap"), dev, flt)

        def send(phase, *extra, timeout=60):
            r = sh(PYTHON, "-c", SENDER, mac[ns_b], phase, *extra, ns=ns_a, timeout=timeout, check=False)
            if r.returncode != 0:
                raise RuntimeError(f"sender ({phase}) failed: {r.stderr}")
            return r.stdout

        # 1. Without the decapsulator the kernel answers protocol-unreachable.
        cap = capture(ns_a, "a0", "bare")
        send("bare")
        time.sleep(0.5)
        cap.stop()
        unreach = cap.count(f"icmp and src host {SERVER_IP} and icmp[icmptype] == 3 and icmp[icmpcode] == 2")
        check(unreach == 1, f"without the decapsulator the server sends ICMP protocol-unreachable ({unreach})")

        # 2. With it: echo and SYN answered directly from the VIP.
        listener = spawn(ns_b, [PYTHON, "-c", LISTENER, "0.0.0.0"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True)
        decap = spawn(ns_b, [PYTHON, os.path.join(HERE, "ipip_decap.py"), "--dev", "b0", "--vip", VIP, "--tun", "vip0"],
                      stdout=subprocess.PIPE, text=True)
        check(decap.stdout.readline().strip() == "ready", "the decapsulator starts")
        check(listener.stdout.readline().strip() == "listening", "a TCP listener runs on the server")
        link = json.loads(sh("ip", "-j", "addr", "show", "vip0", ns=ns_b).stdout)[0]
        check(link["link_type"] == "none" and any(a["local"] == VIP and a["prefixlen"] == 32 for a in link["addr_info"])
              and "UP" in link["flags"], f"its TUN device vip0 is up with {VIP}/32")
        rp = sh("sysctl", "-n", "net.ipv4.conf.all.rp_filter", "net.ipv4.conf.vip0.rp_filter", ns=ns_b).stdout.split()
        check(rp == ["0", "0"], f"rp_filter is off on all and vip0 ({rp})")

        cap = capture(ns_a, "a0", "basic")
        send("basic")
        time.sleep(0.5)
        cap.stop()
        from_server = f"ether src {mac[ns_b]}"
        replies = cap.lines(f"{from_server} and icmp and src host {VIP} and dst host {CLIENT_IP} "
                            "and icmp[icmptype] == 0")
        check(len(replies) == 4, f"4 inner echoes (3, then 1 after the malformed packets) answered from the VIP: "
                                 f"{len(replies)}")
        synack = cap.lines(f"{from_server} and tcp and src host {VIP} and src port 80 and dst host {CLIENT_IP} "
                           "and dst port 40000 and tcp[tcpflags] == (tcp-syn|tcp-ack)")
        check(len(synack) == 1, f"the inner SYN to {VIP}:80 is answered with a SYN-ACK: {synack}")
        check(cap.count(f"{from_server} and ip proto 4") == 0, "the answers leave unencapsulated")
        check(cap.count(f"{from_server} and icmp and icmp[icmptype] == 3") == 0,
              "the server's kernel sends no ICMP unreachable for the IPIP packets")
        # The malformed inner packets (truncated, not IPv4, too short) reach
        # nothing: the only answers are the echoes, the SYN-ACK and the RST
        # that the sender's kernel (no socket) provokes, if any.
        others = cap.lines(f"{from_server} and not (icmp and icmp[icmptype] == 0) and not tcp and not arp")
        check(not others, f"nothing else comes back: {others}")

        # 3. A burst at about 5000 packets per second.
        cap = capture(ns_a, "a0", "burst",
                      f"icmp and src host {VIP} and icmp[icmptype] == 0")
        print("  " + send("burst", str(BURST), timeout=120).strip())
        time.sleep(1)
        summary = cap.stop()
        answered = cap.count("icmp")
        check(answered == BURST, f"{BURST} echoes at ~5000/s all answered ({answered}; tcpdump: "
                                 f"{summary})")

        os.kill(decap.pid, signal.SIGUSR1)
        live = json.loads(decap.stdout.readline())
        print(f"  counters: {live}")
        rc = stop(decap)
        final = json.loads(decap.stdout.readline())
        check(rc == 0, f"SIGTERM stops the decapsulator with exit 0 ({rc})")
        check(final["malformed"] == 4 and final["fragments"] == 2 and final["bad_checksum"] == 1
              and final["write_errors"] == 0,
              f"malformed packets counted: malformed 4, fragments 2, bad_checksum 1 ({final})")
        check(final["decapsulated"] == 5 + BURST and final["received"] == final["decapsulated"] + 7,
              f"every well-formed packet decapsulated: {final['decapsulated']} of {final['received']}")
        gone = sh("ip", "link", "show", "vip0", ns=ns_b, check=False).returncode != 0
        check(gone, "its TUN device is gone")
        listener.stdin.close()
        stop(listener)
    finally:
        for p in list(procs):
            stop(p)
        for ns in reversed(created):
            sh("ip", "netns", "del", ns, check=False)
        shutil.rmtree(workdir, ignore_errors=True)

    check_nothing_left(check, f"ipipst{tag}-", pids)
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")


if __name__ == "__main__":
    main()
