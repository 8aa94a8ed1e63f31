#!/usr/bin/python3
"""Path MTU for direct routing and NAT, the port's MTU being 1000 (NAT with
DF set: see nat_pmtu).

A client's DR packet that does not fit with DF set is dropped (drops.too_big)
and answered with ICMP fragmentation needed, next-hop MTU 1000, TTL 64, from
the VIP, quoting the packet as lbd had it: IPVS decrements the TTL before the
MTU check (__ip_vs_get_out_rt). 1000 bytes exactly still go through.
Without DF the packet is translated (NAT) or left alone (DR), its TTL
decremented, and fragmented as RFC 791 says: (1000 - 20) // 8 * 8 = 976
payload bytes, then the rest, MF on all but the last, the ID kept."""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
from pktlib import *  # noqa: E402,F403

C, CM = CLIENT_IP, CLIENT_MAC
MTU = 1000


def build():
    rs1 = RS_IP[1]
    nat_syn = tcp_pkt(C, VIP, 40000, 80, "S", 11, 40)
    nat_syn_out = tcp_pkt(C, rs1, 40000, 8080, "S", 11, 40, ttl=63)
    nat_dgram = udp_pkt(C, VIP, 5000, 53, 13, 1200)
    nat_dgram_out = udp_pkt(C, rs1, 5000, 5353, 13, 1200, ttl=63)
    reply_dgram = udp_pkt(rs1, C, 5353, 5000, 22, 1200)
    reply_dgram_out = udp_pkt(VIP, C, 53, 5000, 22, 1200, ttl=63)
    dr_syn = tcp_pkt(C, VIP, 40001, 81, "S", 31, 40)
    dr_syn_out = tcp_pkt(C, VIP, 40001, 81, "S", 31, 40, ttl=63)
    dr_big = tcp_pkt(C, VIP, 40001, 81, "PA", 32, 1001, seq=1001, ack=7001)
    dr_big_seen = tcp_pkt(C, VIP, 40001, 81, "PA", 32, 1001, ttl=63, seq=1001, ack=7001)
    dr_fits = tcp_pkt(C, VIP, 40001, 81, "PA", 33, 1000, seq=1001, ack=7001)
    dr_fits_out = tcp_pkt(C, VIP, 40001, 81, "PA", 33, 1000, ttl=63, seq=1001, ack=7001)
    dr_dgram = udp_pkt(C, VIP, 5001, 54, 34, 1200)
    dr_dgram_out = udp_pkt(C, VIP, 5001, 54, 34, 1200, ttl=63)

    inp = [
        frame(CM, LB_MAC, nat_syn), frame(CM, LB_MAC, nat_dgram), frame(RS_MAC[1], LB_MAC, reply_dgram),
        frame(CM, LB_MAC, dr_syn), frame(CM, LB_MAC, dr_big), frame(CM, LB_MAC, dr_fits), frame(CM, LB_MAC, dr_dgram),
    ]
    exp = [
        frame(LB_MAC, RS_MAC[1], nat_syn_out),
        *[frame(LB_MAC, RS_MAC[1], f) for f in fragment(nat_dgram_out, MTU)],
        *[frame(LB_MAC, CM, f) for f in fragment(reply_dgram_out, MTU)],
        frame(LB_MAC, RS_MAC[2], dr_syn_out),
        lb_icmp_error(CM, VIP, C, 3, 4, dr_big_seen, ip_id=0, mtu=MTU),
        frame(LB_MAC, RS_MAC[2], dr_fits_out),
        *[frame(LB_MAC, RS_MAC[2], f) for f in fragment(dr_dgram_out, MTU)],
    ]
    return inp, exp


main(build)
