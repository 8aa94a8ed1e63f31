#!/usr/bin/python3
"""A userspace IPIP decapsulator for an LVS-TUN real server in a network
namespace, for kernels built without the ipip module (this test machine's).

A real LVS-TUN real server lets its kernel decapsulate: it brings up the IPIP
fallback device `tunl0` (`modprobe ipip`), puts each VIP on it as a /32, turns
`rp_filter` off on `all` and `tunl0` (the inner source, the client, is routed
through eth0, not through tunl0) and stops ARP for the VIPs (`arp_ignore`,
`arp_announce`); see the LVS documents (reference/seed-features.md, sections
4, 5 and 22). This script stands in for `tunl0` and nothing else:

- an AF_PACKET socket on the server's interface (`--dev`) takes the IPv4
  packets of protocol 4 (IPIP) addressed to the server's own address (a
  classic BPF filter selects them in the kernel);
- each outer header is checked (version, length, header checksum) and
  stripped; outer fragments are not reassembled but dropped and counted (lbd
  sets DF and never fragments; it sends ICMP fragmentation-needed instead);
- the inner IPv4 packet is written to a TUN device (IFF_TUN | IFF_NO_PI) that
  carries the VIPs as /32 addresses, so the kernel sees it arriving on that
  device, delivers it locally and answers the client directly through its
  default route, never through the load balancer;
- `rp_filter` is set to 0 on `all` and on the TUN device, as for `tunl0`;
- the kernel would answer every IPIP packet with ICMP protocol-unreachable to
  the load balancer (no handler is registered for protocol 4, and AF_PACKET
  only copies packets, it cannot take them from the stack). A raw IP socket
  for protocol 4 with a drop-all filter registers one: the kernel then
  delivers IPIP packets to that socket, which discards them, and sends no
  ICMP. (Dropping protocol 4 in the INPUT hook with nftables does the same,
  but needs the `nft` tool; the socket needs nothing and disappears with the
  process, also after SIGKILL.)

Usage (in the real server's namespace, as root):

    ipip_decap.py --dev eth0 --vip 198.18.1.101 [--vip ...] [--tun NAME] [--address A]

It prints `ready` on stdout once the TUN device is up with its VIPs and the
sockets are bound, a JSON line of counters on SIGUSR1, and a final one on
SIGTERM or SIGINT, then exits 0. The TUN device disappears with the process.
Malformed packets are counted and ignored; it handles several thousand
packets per second.
"""
import argparse
import ctypes
import fcntl
import json
import os
import signal
import socket
import struct
import subprocess
import sys

ETH_P_IP = 0x0800
IPPROTO_IPIP = 4
SOL_PACKET = 263
PACKET_IGNORE_OUTGOING = 23
PACKET_OUTGOING = 4
SO_ATTACH_FILTER = 26
SO_RCVBUFFORCE = 33
TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000

# Classic BPF opcodes.
BPF_LD_B_ABS = 0x30
BPF_LD_W_ABS = 0x20
BPF_JEQ_K = 0x15
BPF_RET_K = 0x06


def bpf_program(instructions):
    """(filter buffer, struct sock_fprog) for SO_ATTACH_FILTER; the buffer
    must stay alive until setsockopt returns."""
    code = b"".join(struct.pack("HBBI", *ins) for ins in instructions)
    buf = ctypes.create_string_buffer(code, len(code))
    return buf, struct.pack("HL", len(instructions), ctypes.addressof(buf))


def ipip_filter(own_address):
    """Accepts IPv4 packets with protocol 4 to `own_address`. On a SOCK_DGRAM
    packet socket the filter sees the packet from its network header on."""
    addr = struct.unpack("!I", socket.inet_aton(own_address))[0]
    return bpf_program([
        (BPF_LD_B_ABS, 0, 0, 9),            # protocol
        (BPF_JEQ_K, 0, 3, IPPROTO_IPIP),
        (BPF_LD_W_ABS, 0, 0, 16),           # destination address
        (BPF_JEQ_K, 0, 1, addr),
        (BPF_RET_K, 0, 0, 0xFFFF),          # accept (up to 64 KiB)
        (BPF_RET_K, 0, 0, 0),               # drop
    ])


def ip_checksum_ok(header):
    words = struct.unpack(f"!{len(header) // 2}H", header)
    s = sum(words)
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return s == 0xFFFF


def interface_address(dev):
    out = subprocess.run(["ip", "-j", "-4", "addr", "show", "dev", dev], check=True,
                         capture_output=True, text=True).stdout
    for link in json.loads(out):
        for a in link.get("addr_info", []):
            if a.get("family") == "inet":
                return a["local"]
    raise SystemExit(f"ipip_decap: {dev} has no IPv4 address (give --address)")


def write_sysctl(path, value):
    with open(f"/proc/sys/{path}", "w") as f:
        f.write(value)


class Stop(Exception):
    pass


class Decapsulator:
    def __init__(self, dev, own_address, tun_name, vips):
        self.counters = dict.fromkeys(
            ("received", "decapsulated", "fragments", "malformed", "bad_checksum", "write_errors"), 0)

        # The TUN device first: packets must have somewhere to go once the
        # packet socket is bound.
        self.tun = os.open("/dev/net/tun", os.O_RDWR)
        ifr = struct.pack("16sH22x", tun_name.encode(), IFF_TUN | IFF_NO_PI)
        fcntl.ioctl(self.tun, TUNSETIFF, ifr)
        for path in (f"net/ipv6/conf/{tun_name}/disable_ipv6",):
            if os.path.exists(f"/proc/sys/{path}"):
                write_sysctl(path, "1")
        write_sysctl("net/ipv4/conf/all/rp_filter", "0")
        write_sysctl(f"net/ipv4/conf/{tun_name}/rp_filter", "0")
        for vip in vips:
            subprocess.run(["ip", "addr", "add", f"{vip}/32", "dev", tun_name], check=True)
        subprocess.run(["ip", "link", "set", "dev", tun_name, "up"], check=True)

        # Claims protocol 4 so that the kernel does not answer IPIP packets
        # with ICMP protocol-unreachable; queues nothing.
        self.claim = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_IPIP)
        drop_all = bpf_program([(BPF_RET_K, 0, 0, 0)])
        self.claim.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, drop_all[1])

        # Protocol 0 receives nothing until bind(): the filter is in place
        # before the first packet can be queued.
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, 0)
        prog = ipip_filter(own_address)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, prog[1])
        self.sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)
        try:
            self.sock.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
        except OSError:
            pass  # before Linux 4.20: the pkttype check below does it
        self.sock.bind((dev, ETH_P_IP))

    def run(self):
        buf = bytearray(65536)
        view = memoryview(buf)
        c = self.counters
        recv, write, tun = self.sock.recvfrom_into, os.write, self.tun
        while True:
            n, addr = recv(buf)
            if addr[2] == PACKET_OUTGOING:
                continue
            c["received"] += 1
            # Outer header: IPv4, sane header length, total length within
            # what arrived (the frame may carry Ethernet padding beyond it).
            if n < 20 or buf[0] >> 4 != 4:
                c["malformed"] += 1
                continue
            ihl = (buf[0] & 0x0F) * 4
            total = (buf[2] << 8) | buf[3]
            if ihl < 20 or total < ihl + 20 or total > n:
                c["malformed"] += 1
                continue
            if (buf[6] & 0x3F) or buf[7]:       # MF set or a fragment offset
                c["fragments"] += 1
                continue
            if not ip_checksum_ok(view[:ihl]):
                c["bad_checksum"] += 1
                continue
            # Inner packet: IPv4 with a length that fits the outer payload.
            inner = ihl
            if buf[inner] >> 4 != 4:
                c["malformed"] += 1
                continue
            inner_ihl = (buf[inner] & 0x0F) * 4
            inner_total = (buf[inner + 2] << 8) | buf[inner + 3]
            if inner_ihl < 20 or inner_total < inner_ihl or inner_total > total - ihl:
                c["malformed"] += 1
                continue
            try:
                write(tun, view[inner:inner + inner_total])
                c["decapsulated"] += 1
            except OSError:
                c["write_errors"] += 1

    def report(self, *_):
        print(json.dumps(self.counters), flush=True)

    def close(self):
        self.sock.close()
        self.claim.close()
        os.close(self.tun)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dev", required=True, help="the interface the IPIP packets arrive on")
    ap.add_argument("--address", help="this server's own address (default: the first IPv4 address of --dev)")
    ap.add_argument("--tun", default="ipipdec0", help="name of the TUN device carrying the VIPs")
    ap.add_argument("--vip", action="append", default=[], help="a VIP to put on the TUN device (repeatable)")
    args = ap.parse_args()

    def stop(*_):
        raise Stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    d = None
    try:
        d = Decapsulator(args.dev, args.address or interface_address(args.dev), args.tun, args.vip)
        signal.signal(signal.SIGUSR1, d.report)
        print("ready", flush=True)
        d.run()
    except Stop:
        pass
    finally:
        if d is not None:
            d.close()
            d.report()


if __name__ == "__main__":
    sys.exit(main())
