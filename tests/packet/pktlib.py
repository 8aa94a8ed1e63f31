"""Shared vocabulary of the golden packet cases: the one-arm topology every
case uses, and helpers that build frames with scapy.

The expected frames are built here from scratch by scapy (which computes its
own checksums), never by transforming lbd's output, so a wrong rewrite or a
wrong incremental checksum in lbd shows up as a mismatch.
"""
import argparse
import os
import struct

from scapy.all import ARP, ICMP, IP, TCP, UDP, Ether, Raw  # noqa: F401

# lbd's port (one arm: clients and real servers on one segment).
LB_MAC = "02:00:00:00:00:01"
LB_IP = "198.18.0.1"
VIP = "198.18.0.100"
CLIENT_MAC = "02:00:00:00:00:0a"
CLIENT_IP = "198.18.0.10"
CLIENT2_IP = "198.18.0.11"
RS_MAC = {1: "02:00:00:00:00:21", 2: "02:00:00:00:00:22", 3: "02:00:00:00:00:23"}
RS_IP = {1: "198.18.0.21", 2: "198.18.0.22", 3: "198.18.0.23"}
BCAST = "ff:ff:ff:ff:ff:ff"


def arp_request(src_mac, src_ip, target_ip):
    return Ether(src=src_mac, dst=BCAST) / ARP(op=1, hwsrc=src_mac, psrc=src_ip, hwdst="00:00:00:00:00:00", pdst=target_ip)


def arp_reply_from_lb(to_mac, to_ip, for_ip, padding=b""):
    """lbd answers in place: the request's length (and padding) is kept."""
    p = Ether(src=LB_MAC, dst=to_mac) / ARP(op=2, hwsrc=LB_MAC, psrc=for_ip, hwdst=to_mac, pdst=to_ip)
    return p / Raw(padding) if padding else p


def arp_request_from_lb(target_ip):
    """lbd's own requests are padded to the Ethernet minimum of 60 bytes."""
    p = Ether(src=LB_MAC, dst=BCAST) / ARP(op=1, hwsrc=LB_MAC, psrc=LB_IP, hwdst="00:00:00:00:00:00", pdst=target_ip)
    return p / Raw(b"\x00" * (60 - len(p)))


def tcp(src_mac, dst_mac, src, dst, sport, dport, flags, seq=0, ack=0, ttl=64, ip_id=1, payload=b""):
    p = Ether(src=src_mac, dst=dst_mac) / IP(src=src, dst=dst, ttl=ttl, id=ip_id, flags="DF") / \
        TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=64240)
    return p / Raw(payload) if payload else p


def udp(src_mac, dst_mac, src, dst, sport, dport, ttl=64, ip_id=1, payload=b""):
    return Ether(src=src_mac, dst=dst_mac) / IP(src=src, dst=dst, ttl=ttl, id=ip_id) / \
        UDP(sport=sport, dport=dport) / Raw(payload)


def main(build):
    """Entry point of every gen.py: `build()` returns (input frames, expected
    frames) or a dict {port: (input, expected)} for multi-port cases."""
    ap = argparse.ArgumentParser(description="write this case's pcaps")
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__import__("__main__").__file__)))
    out = ap.parse_args().out
    result = build()
    if isinstance(result, tuple):
        result = {"": result}
    for port, (inp, exp) in result.items():
        suffix = f"-{port}" if port else ""
        write_pcap(os.path.join(out, f"input{suffix}.pcap"), inp)
        write_pcap(os.path.join(out, f"expected{suffix}.pcap"), exp)


def write_pcap(path, frames):
    """A classic pcap file (Ethernet link type) holding exactly these bytes,
    with timestamps 0, 1, 2, ... s so that the file itself is reproducible."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, frame in enumerate(frames):
            data = bytes(frame)  # raw bytes (frames too short for Ethernet) pass as they are
            f.write(struct.pack("<IIII", i, 0, len(data), len(data)))
            f.write(data)


# ICMP errors, IPIP and fragments, for the direct-routing, tunnel, ICMP and
# fragment cases. Built from the RFCs, not from lbd's code.

ICMP_ERROR_MAX = 576  # RFC 1812 4.3.2.3: an ICMP error datagram quotes up to 576 bytes in all


def lb_icmp_error(dst_mac, src, dst, icmp_type, code, offending, ip_id, mtu=0):
    """An ICMP error lbd originates (RFC 792): IPv4 header without options,
    TTL 64, DF clear, TOS 0xc0 (RFC 1812 4.3.2.5, as Linux), and `ip_id` from
    the worker's ICMP counter (worker 0 counts 0, 1, 2, ... in the order it
    sends them; RFC 6864), quoting the offending IP packet - as lbd had it
    when it gave up - as far as 576 bytes allow."""
    quote = bytes(offending)[:ICMP_ERROR_MAX - 28]
    return Ether(src=LB_MAC, dst=dst_mac) / IP(src=src, dst=dst, ttl=64, id=ip_id, tos=0xC0, flags=0) / \
        ICMP(type=icmp_type, code=code, nexthopmtu=mtu if icmp_type == 3 else 0) / Raw(quote)


def ip_of(frame):
    """The IP packet of a frame, as a fresh scapy packet (for quoting or encapsulating)."""
    return IP(bytes(Ether(bytes(frame))[IP]))


def ipip(dst_mac, src, dst, inner, ip_id, src_mac=LB_MAC):
    """RFC 2003 as ip_vs_tunnel_xmit builds it: outer TOS and TTL are the
    inner packet's, DF copied from it, IHL 5, protocol 4."""
    inner = IP(bytes(inner))
    return Ether(src=src_mac, dst=dst_mac) / IP(src=src, dst=dst, id=ip_id, tos=inner.tos, ttl=inner.ttl,
                                                flags="DF" if inner.flags.DF else 0, proto=4) / inner


def fragment(packet, mtu):
    """RFC 791 fragmentation of an IP packet without options for an MTU: each
    piece but the last carries (mtu - 20) // 8 * 8 payload bytes and MF, all
    keep the ID, offsets count 8-byte units."""
    raw = bytes(packet)
    hdr_len = (raw[0] & 0x0F) * 4
    assert hdr_len == 20
    head, payload = IP(raw[:hdr_len]), raw[hdr_len:]
    step = (mtu - hdr_len) // 8 * 8
    out = []
    for off in range(0, len(payload), step):
        last = off + step >= len(payload)
        f = head.copy()
        f.flags = (f.flags & ~1) | (0 if last else 1)  # MF
        f.frag = off // 8
        del f.len, f.chksum
        out.append(IP(bytes(f / Raw(payload[off:off + step]))))
    return out


def frame(src_mac, dst_mac, pkt):
    """An IP packet in an Ethernet frame."""
    return Ether(src=src_mac, dst=dst_mac) / pkt


def decremented(pkt):
    """The IP packet with its TTL one lower, as lbd forwards it (checksum redone)."""
    p = IP(bytes(pkt))
    p.ttl -= 1
    del p.chksum
    return IP(bytes(p))


def filler(n):
    """n payload bytes, not all alike (a wrong offset shows)."""
    return Raw((bytes(range(256)) * 8)[:n])


def tcp_pkt(src, dst, sport, dport, flags, ip_id, total, ttl=64, seq=1000, ack=0):
    """A TCP/IPv4 packet with DF of `total` bytes."""
    p = IP(src=src, dst=dst, id=ip_id, flags="DF", ttl=ttl) / TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack)
    return IP(bytes(p / filler(total - 40))) if total > 40 else IP(bytes(p))


def udp_pkt(src, dst, sport, dport, ip_id, total, ttl=64):
    """A UDP/IPv4 datagram without DF of `total` bytes."""
    return IP(bytes(IP(src=src, dst=dst, id=ip_id, ttl=ttl) / UDP(sport=sport, dport=dport) / filler(total - 28)))
