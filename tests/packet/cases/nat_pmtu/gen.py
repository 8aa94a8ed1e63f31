#!/usr/bin/python3
"""Path MTU for NAT with DF set, the port's MTU being 1000.

A packet that does not fit with DF set is dropped and answered with ICMP
fragmentation needed, next-hop MTU 1000, TTL 64:
- a client's packet to the VIP: IPVS decrements the TTL and checks the MTU in
  __ip_vs_get_out_rt, before ip_vs_nat_xmit rewrites anything, so the error
  comes from the VIP and quotes the client's packet as the client sent it
  (client -> VIP:vport, not client -> RS:rport), TTL one lower: the quote
  must match the client's socket for its path-MTU discovery to work;
- a NAT reply from the real server: the kernel's ip_forward checks the MTU
  before its TTL decrement and before IPVS's SNAT in the FORWARD hook, so the
  error goes to the real server (not to the VIP), from lbd's port address,
  quoting the reply as the real server sent it (RS:rport -> client, TTL
  unchanged)."""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
from pktlib import *  # noqa: E402,F403

C, CM = CLIENT_IP, CLIENT_MAC
MTU = 1000


def build():
    rs1 = RS_IP[1]
    nat_syn = tcp_pkt(C, VIP, 40000, 80, "S", 11, 40)
    nat_syn_out = tcp_pkt(C, rs1, 40000, 8080, "S", 11, 40, ttl=63)
    nat_big = tcp_pkt(C, VIP, 40000, 80, "PA", 12, 1100, seq=1001, ack=5001)
    nat_big_seen = tcp_pkt(C, VIP, 40000, 80, "PA", 12, 1100, ttl=63, seq=1001, ack=5001)
    reply_big = tcp_pkt(rs1, C, 8080, 40000, "PA", 21, 1100, seq=5001, ack=1001)
    inp = [
        frame(CM, LB_MAC, nat_syn), frame(CM, LB_MAC, nat_big), frame(RS_MAC[1], LB_MAC, reply_big),
    ]
    exp = [
        frame(LB_MAC, RS_MAC[1], nat_syn_out),
        lb_icmp_error(CM, VIP, C, 3, 4, nat_big_seen, ip_id=0, mtu=MTU),
        lb_icmp_error(RS_MAC[1], LB_IP, rs1, 3, 4, reply_big, ip_id=1, mtu=MTU),
    ]
    return inp, exp


main(build)
