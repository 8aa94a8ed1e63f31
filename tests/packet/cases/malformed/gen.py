#!/usr/bin/python3
"""Robust parsing: every malformed packet has a defined outcome.

- IP options on a NAT'd SYN: forwarded with the options intact (Router Alert
  and NOPs, which no router changes), the TCP header found after them and
  translated;
- IHL under 5, a version other than 4, or an IHL reaching past the frame:
  drops.bad_ip_header; a total length beyond the frame or under the header:
  drops.bad_ip_length; a wrong IP header checksum: drops.bad_ip_checksum;
- TCP, UDP or ICMP headers cut short (also a TCP data offset past the
  segment): drops.truncated_l4; a TCP data offset under 5, a UDP length under
  8 or past the IP payload: drops.bad_l4_header;
- a wrong TCP checksum on a NAT'd SYN: lbd, like IPVS without an application
  helper, does not verify it and updates it incrementally (RFC 1624), so it
  leaves exactly as wrong as it came: the ones'-complement difference from
  the right checksum is the same before and after;
- TTL 1 (or 0) on a new flow to a VIP: ICMP time exceeded (type 11 code 0)
  from the VIP to the client, quoting the packet as it arrived
  (drops.ttl_exceeded, events.icmp_time_exceeded_sent); TTL 1 on a NAT reply:
  time exceeded from lbd's port address to the real server, quoting the reply
  as the real server sent it (the kernel's ip_forward answers before IPVS's
  SNAT)."""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
from pktlib import *  # noqa: E402,F403
from scapy.all import IPOption_Router_Alert, IPOption_NOP  # noqa: E402

C, CM = CLIENT_IP, CLIENT_MAC
RS, RM = RS_IP[1], RS_MAC[1]
OPTIONS = [IPOption_Router_Alert(), IPOption_NOP(), IPOption_NOP(), IPOption_NOP(), IPOption_NOP()]


def raw_frame(ip_bytes):
    return Ether(src=CM, dst=LB_MAC, type=0x0800) / Raw(ip_bytes)


def patched(pkt, offset, value, fix_checksum=True):
    """The IP packet's bytes with one byte changed, the IP header checksum recomputed over the result."""
    b = bytearray(bytes(pkt))
    b[offset] = value
    if fix_checksum:
        ihl = min((b[0] & 0x0F) * 4, len(b))
        b[10:12] = b"\x00\x00"
        s = sum(int.from_bytes(b[i:i + 2], "big") for i in range(0, ihl, 2))
        while s > 0xFFFF:
            s = (s & 0xFFFF) + (s >> 16)
        b[10:12] = (~s & 0xFFFF).to_bytes(2, "big")
    return bytes(b)


def ones_add(a, b):
    s = a + b
    return (s & 0xFFFF) + (s >> 16)


def with_checksum_off_by(pkt, delta):
    """The packet with its TCP checksum field C replaced so that ~C is
    ~C_right + delta (ones' complement)."""
    p = IP(bytes(pkt))
    right = p[TCP].chksum
    p[TCP].chksum = ~ones_add(~right & 0xFFFF, delta) & 0xFFFF
    return IP(bytes(p))


def syn(sport, dst=VIP, dport=80, ttl=64, ip_id=1, options=()):
    return IP(bytes(IP(src=C, dst=dst, id=ip_id, flags="DF", ttl=ttl, options=list(options)) /
                    TCP(sport=sport, dport=dport, flags="S", seq=1000, window=64240)))


def build():
    opt_syn = syn(40000, ip_id=11, options=OPTIONS)
    opt_syn_out = syn(40000, dst=RS, dport=8080, ttl=63, ip_id=11, options=OPTIONS)
    assert opt_syn.ihl == 7

    base = syn(40010, ip_id=20)
    tcp_bytes = bytes(base[TCP])
    udp_ok = IP(bytes(IP(src=C, dst=VIP, id=30) / UDP(sport=5000, dport=53) / Raw(b"\x12\x34query")))
    malformed = [
        patched(base, 0, 0x44),                                          # IHL 4: bad_ip_header
        patched(base, 0, 0x65),                                          # version 6: bad_ip_header
        patched(bytes(base)[:24], 0, 0x4F),                              # IHL 15 in 24 bytes: bad_ip_header
        patched(patched(base, 3, 60 + 20), 2, 0),                        # total length 80 > 40: bad_ip_length
        patched(patched(base, 3, 16), 2, 0),                             # total length 16 < IHL: bad_ip_length
        patched(base, 10, bytes(base)[10] ^ 0x5A, fix_checksum=False),   # bad_ip_checksum
        bytes(IP(src=C, dst=VIP, id=21, proto=6) / Raw(tcp_bytes[:10])),   # truncated_l4
        bytes(IP(src=C, dst=VIP, id=22, proto=6) / Raw(tcp_bytes[:12] + b"\xf0" + tcp_bytes[13:])),  # offset 15: truncated_l4
        bytes(IP(src=C, dst=VIP, id=23, proto=1) / Raw(b"\x08\x00\x00")),  # ICMP cut short: truncated_l4
        bytes(IP(src=C, dst=VIP, id=24, proto=6) / Raw(tcp_bytes[:12] + b"\x40" + tcp_bytes[13:])),  # offset 4: bad_l4_header
        patched(patched(udp_ok, 20 + 5, 4), 20 + 4, 0),                  # UDP length 4: bad_l4_header
        patched(patched(udp_ok, 20 + 5, 200), 20 + 4, 0),                # UDP length 200 > 19: bad_l4_header
    ]

    bad_csum = with_checksum_off_by(syn(40001, ip_id=12), 0x0100)
    bad_csum_out = with_checksum_off_by(syn(40001, dst=RS, dport=8080, ttl=63, ip_id=12), 0x0100)
    ttl1 = syn(40002, ttl=1, ip_id=13)
    ttl0 = IP(bytes(IP(src=C, dst=VIP, id=31, ttl=0) / UDP(sport=5001, dport=53) / Raw(b"ttl0")))
    reply_ttl1 = IP(bytes(IP(src=RS, dst=C, id=40, flags="DF", ttl=1) /
                          TCP(sport=8080, dport=40000, flags="SA", seq=5000, ack=1001, window=64240)))

    inp = [frame(CM, LB_MAC, opt_syn)] + [raw_frame(b) for b in malformed] + [
        frame(CM, LB_MAC, bad_csum), frame(CM, LB_MAC, ttl1), frame(CM, LB_MAC, ttl0), frame(RM, LB_MAC, reply_ttl1),
    ]
    exp = [
        frame(LB_MAC, RM, opt_syn_out),
        frame(LB_MAC, RM, bad_csum_out),
        lb_icmp_error(CM, VIP, C, 11, 0, ttl1, ip_id=0),
        lb_icmp_error(CM, VIP, C, 11, 0, ttl0, ip_id=1),
        lb_icmp_error(RM, LB_IP, RS, 11, 0, reply_ttl1, ip_id=2),
    ]
    return inp, exp


main(build)
