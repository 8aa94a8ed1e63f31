#!/usr/bin/python3
"""Path MTU through an IPIP tunnel, the port's MTU being 1000.

- A client packet with DF whose inner length + 20 exceeds 1000 is not sent:
  the client gets ICMP fragmentation needed (type 3 code 4) from the VIP with
  next-hop MTU 1000 - 20 = 980 (ip_vs_tunnel_xmit's smaller MTU), quoting its
  packet as lbd had it - after the TTL decrement, which IPVS does before the
  MTU check - up to 576 bytes; counted as drops.too_big. 980 bytes exactly
  still go through.
- A packet without DF that does not fit is encapsulated and the outer packet
  fragmented (RFC 791: pieces of (1000 - 20) // 8 * 8 = 976 payload bytes, MF
  on all but the last, offsets in 8-byte units, one ID).
- ICMP fragmentation needed from the router about one of lbd's IPIP packets,
  to lbd's port address, quoting outer header + inner packet: relayed to the
  client as fragmentation needed about its own packet (the inner one as
  quoted), MTU less 20, from the VIP (ip_vs_in_icmp's IPIP case). A router's
  quote that stops 8 bytes after the outer header, or one about a client
  packet without DF, is not relayed (drops.icmp_tunnel_error)."""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
from pktlib import *  # noqa: E402,F403

C, CM = CLIENT_IP, CLIENT_MAC
RS = "198.18.5.21"
ROUTER, ROUTER_MAC = "198.18.0.254", "02:00:00:00:00:fe"
MTU = 1000


def to_lb(pkt, src_mac=CM):
    return Ether(src=src_mac, dst=LB_MAC) / pkt


def tcp_data(ip_id, total_len):
    p = IP(src=C, dst=VIP, id=ip_id, flags="DF") / TCP(sport=40000, dport=80, flags="PA", seq=1001, ack=5001)
    return p / Raw((bytes(range(256)) * 4)[:total_len - 40])


def router_frag_needed(outer_packet, quote_len, mtu):
    """What a router towards the real server sends lbd about one of its IPIP packets."""
    return to_lb(IP(src=ROUTER, dst=LB_IP, id=700, ttl=64) / ICMP(type=3, code=4, nexthopmtu=mtu) /
                 Raw(bytes(outer_packet)[:quote_len]), ROUTER_MAC)


def build():
    syn = IP(src=C, dst=VIP, id=11, flags="DF") / TCP(sport=40000, dport=80, flags="S", seq=1000, window=64240)
    too_big = tcp_data(12, 981)        # 981 + 20 > 1000, DF
    fits = tcp_data(13, 980)           # 980 + 20 = 1000
    dns = IP(src=C, dst=VIP, id=31) / UDP(sport=5000, dport=53) / Raw((bytes(range(256)) * 5)[:1172])  # 1200 bytes, no DF
    assert len(too_big) == 981 and len(fits) == 980 and len(dns) == 1200

    syn_out = ipip(ROUTER_MAC, LB_IP, RS, decremented(syn), 0)
    fits_out = ipip(ROUTER_MAC, LB_IP, RS, decremented(fits), 1)
    dns_outer = ip_of(ipip(ROUTER_MAC, LB_IP, RS, decremented(dns), 2))
    dns_out = [Ether(src=LB_MAC, dst=ROUTER_MAC) / f for f in fragment(dns_outer, MTU)]
    assert [len(f) for f in dns_out] == [14 + 996, 14 + 244]

    # The router's errors, as a Linux router writes them (quoting up to 548 bytes).
    fits_outer = ip_of(fits_out)
    fits_outer.ttl -= 1
    del fits_outer.chksum
    about_fits = router_frag_needed(fits_outer, 548, 900)
    about_fits_short = router_frag_needed(fits_outer, 28, 900)
    about_dns = router_frag_needed(ip_of(dns_out[0]), 548, 900)

    inp = [to_lb(syn), to_lb(too_big), to_lb(fits), to_lb(dns), about_fits, about_fits_short, about_dns]
    exp = [
        syn_out,
        lb_icmp_error(CM, VIP, C, 3, 4, decremented(too_big), ip_id=0, mtu=MTU - 20),
        fits_out,
        *dns_out,
        lb_icmp_error(CM, VIP, C, 3, 4, bytes(fits_outer)[20:548], ip_id=1, mtu=900 - 20),
    ]
    return inp, exp


main(build)
