#!/usr/bin/python3
"""ICMP errors about NAT connections (ip_vs_out_icmp / ip_vs_in_icmp with
ip_vs_nat_icmp), outer TTL decremented as for any forwarded packet:

- from the real server to the client about a DNATed packet (quoted client ->
  RS:rport): outer source becomes the VIP, quoted destination the VIP and
  quoted destination port the virtual port, so the client sees an error about
  exactly the packet it sent (TTL as it reached the server). The quoted IP
  checksum and, where the quote holds it, the quoted TCP/UDP checksum are
  those of the client's own packet (the kernel leaves the latter stale; lbd
  fixes it); the ICMP checksum covers the new contents. Port unreachable
  (whole datagram quoted), time exceeded (8 bytes of TCP: no checksum
  quoted), fragmentation needed (TCP header quoted, payload not);
- from the client to the VIP about a reply (quoted VIP:vport -> client): outer
  destination, quoted source address and port become the real server's;
- errors to the VIP about no connection: drops.icmp_no_connection; a quote
  that is no IPv4 header (too short, wrong version, IHL < 5):
  drops.bad_icmp_quote; an error with TTL 1 is dropped (drops.ttl_exceeded)
  and answered with nothing (RFC 1122: no error about an error)."""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
from pktlib import *  # noqa: E402,F403

C, CM = CLIENT_IP, CLIENT_MAC
RS, RM = RS_IP[1], RS_MAC[1]


def dnat(pkt, dst, dport):
    """The client's packet as the real server got it, built afresh."""
    p = decremented(pkt)
    p.dst = dst
    p.payload.dport = dport
    del p.chksum, p.payload.chksum
    return IP(bytes(p))


def icmp(src, dst, icmp_type, code, quote, ttl=64, mtu=0, ip_id=600):
    return IP(src=src, dst=dst, ttl=ttl, id=ip_id) / ICMP(type=icmp_type, code=code, nexthopmtu=mtu) / Raw(bytes(quote))


def build():
    syn = IP(src=C, dst=VIP, id=11, flags="DF") / TCP(sport=40000, dport=80, flags="S", seq=1000, window=64240)
    data = IP(src=C, dst=VIP, id=12, flags="DF") / TCP(sport=40000, dport=80, flags="PA", seq=1001, ack=5001) / \
        Raw(b"P" * 1300)
    dns = IP(src=C, dst=VIP, id=31) / UDP(sport=5000, dport=53) / Raw(b"\x12\x34query")
    syn_rs, data_rs, dns_rs = dnat(syn, RS, 8080), dnat(data, RS, 8080), dnat(dns, RS, 5353)

    # (a) errors from the real server's side, about packets it got.
    unreach_rs = icmp(RS, C, 3, 3, dns_rs)
    unreach_c = icmp(VIP, C, 3, 3, decremented(dns), ttl=63)
    exceeded_rs = icmp(RS, C, 11, 0, bytes(syn_rs)[:28], ip_id=601)
    exceeded_c = icmp(VIP, C, 11, 0, bytes(decremented(syn))[:28], ttl=63, ip_id=601)
    needfrag_rs = icmp(RS, C, 3, 4, bytes(data_rs)[:40], mtu=1200, ip_id=602)
    needfrag_c = icmp(VIP, C, 3, 4, bytes(decremented(data))[:40], ttl=63, mtu=1200, ip_id=602)

    # (b) errors from the client, about replies it got (VIP:vport -> client).
    reply_rs = IP(src=RS, dst=C, id=900, ttl=63) / UDP(sport=5353, dport=5000) / Raw(b"\x12\x34answer")
    reply_c = IP(src=VIP, dst=C, id=900, ttl=63) / UDP(sport=53, dport=5000) / Raw(b"\x12\x34answer")
    unreach_in = icmp(C, VIP, 3, 3, reply_c, ip_id=610)
    unreach_out = icmp(C, RS, 3, 3, reply_rs, ttl=63, ip_id=610)
    synack_rs = IP(src=RS, dst=C, id=901, flags="DF", ttl=63) / TCP(sport=8080, dport=40000, flags="SA", seq=5000, ack=1001)
    synack_c = IP(src=VIP, dst=C, id=901, flags="DF", ttl=63) / TCP(sport=80, dport=40000, flags="SA", seq=5000, ack=1001)
    needfrag_in = icmp(C, VIP, 3, 4, bytes(synack_c)[:28], mtu=1300, ip_id=611)
    needfrag_out = icmp(C, RS, 3, 4, bytes(synack_rs)[:28], ttl=63, mtu=1300, ip_id=611)
    ttl1 = icmp(C, VIP, 3, 3, reply_c, ttl=1, ip_id=612)

    # (c) errors lbd cannot match.
    no_conn = icmp(C, VIP, 3, 3, IP(src=VIP, dst=C, ttl=63) / UDP(sport=53, dport=6000) / Raw(b"??"), ip_id=620)
    short_quote = icmp(C, VIP, 3, 3, bytes(reply_c)[:12], ip_id=621)
    not_v4 = icmp(C, VIP, 3, 3, b"\x65" + bytes(reply_c)[1:], ip_id=622)
    ihl_4 = icmp(C, VIP, 3, 3, b"\x44" + bytes(reply_c)[1:], ip_id=623)

    inp = [
        frame(CM, LB_MAC, syn), frame(CM, LB_MAC, dns), frame(CM, LB_MAC, data),
        frame(RM, LB_MAC, unreach_rs), frame(RM, LB_MAC, exceeded_rs), frame(RM, LB_MAC, needfrag_rs),
        frame(CM, LB_MAC, unreach_in), frame(CM, LB_MAC, needfrag_in), frame(CM, LB_MAC, ttl1),
        frame(CM, LB_MAC, no_conn), frame(CM, LB_MAC, short_quote), frame(CM, LB_MAC, not_v4),
        frame(CM, LB_MAC, ihl_4),
    ]
    exp = [
        frame(LB_MAC, RM, syn_rs), frame(LB_MAC, RM, dns_rs), frame(LB_MAC, RM, data_rs),
        frame(LB_MAC, CM, unreach_c), frame(LB_MAC, CM, exceeded_c), frame(LB_MAC, CM, needfrag_c),
        frame(LB_MAC, RM, unreach_out), frame(LB_MAC, RM, needfrag_out),
    ]
    return inp, exp


main(build)
