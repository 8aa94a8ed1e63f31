#!/usr/bin/python3
"""IPIP tunnelling (ip_vs_tunnel_xmit, RFC 2003): the client's packet, its TTL
decremented first as IPVS does for every method, goes inside an outer IPv4
header: IHL 5, TOS and TTL the inner packet's, DF copied from it, protocol 4,
from lbd's port address to the real server, ID lbd's per-worker counter (0,
1, 2, ... on the only worker). TCP goes to an on-link server, UDP to one
behind the router (the outer packet to the router's MAC). Both directions: a
client's ICMP error about a reply (VIP:53 -> client, sent by the real server
directly) reaches the real server through the tunnel, as ip_vs_in_icmp does
for TUN. ICMP echo to the VIP is answered by lbd; TTL 1 on a new flow or on
an established one gets ICMP time exceeded from the VIP, quoting the packet
as it arrived."""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
from pktlib import *  # noqa: E402,F403

C, CM = CLIENT_IP, CLIENT_MAC
RS_FAR = "198.18.5.21"
ROUTER_MAC = "02:00:00:00:00:fe"


def to_lb(pkt):
    return Ether(src=CM, dst=LB_MAC) / pkt


def build():
    syn = IP(src=C, dst=VIP, id=11, flags="DF") / TCP(sport=40000, dport=80, flags="S", seq=1000, window=64240)
    ack = IP(src=C, dst=VIP, id=12, flags="DF") / TCP(sport=40000, dport=80, flags="A", seq=1001, ack=5001)
    data = IP(src=C, dst=VIP, id=13, flags="DF", tos=0x28) / \
        TCP(sport=40000, dport=80, flags="PA", seq=1001, ack=5001) / Raw(b"GET / HTTP/1.0\r\n\r\n")
    late = IP(src=C, dst=VIP, id=14, flags="DF", ttl=1) / TCP(sport=40000, dport=80, flags="A", seq=1020, ack=5001)
    fin = IP(src=C, dst=VIP, id=15, flags="DF") / TCP(sport=40000, dport=80, flags="FA", seq=1020, ack=5100)
    dns = IP(src=C, dst=VIP, id=31, ttl=30) / UDP(sport=5000, dport=53) / Raw(b"\x12\x34query")
    ping = IP(src=C, dst=VIP, id=41, flags="DF") / ICMP(type=8, id=41, seq=1) / Raw(b"tun-ping")
    pong = IP(src=VIP, dst=C, id=41, flags="DF", ttl=64) / ICMP(type=0, id=41, seq=1) / Raw(b"tun-ping")
    dns_reply = IP(src=VIP, dst=C, id=901, ttl=62) / UDP(sport=53, dport=5000) / Raw(b"\x12\x34answer")
    port_unreach = IP(src=C, dst=VIP, id=32, ttl=64) / ICMP(type=3, code=3) / Raw(bytes(dns_reply))
    ttl1 = IP(src=C, dst=VIP, id=51, flags="DF", ttl=1) / TCP(sport=40002, dport=80, flags="S", seq=3000)

    rs1, rs1_mac = RS_IP[1], RS_MAC[1]
    inp = [to_lb(p) for p in (syn, ack, data, late, fin, dns, ping, port_unreach, ttl1)]
    exp = [
        ipip(rs1_mac, LB_IP, rs1, decremented(syn), 0),
        ipip(rs1_mac, LB_IP, rs1, decremented(ack), 1),
        ipip(rs1_mac, LB_IP, rs1, decremented(data), 2),
        lb_icmp_error(CM, VIP, C, 11, 0, late, ip_id=0),
        ipip(rs1_mac, LB_IP, rs1, decremented(fin), 3),
        ipip(ROUTER_MAC, LB_IP, RS_FAR, decremented(dns), 4),
        Ether(src=LB_MAC, dst=CM) / pong,
        ipip(ROUTER_MAC, LB_IP, RS_FAR, decremented(port_unreach), 5),
        lb_icmp_error(CM, VIP, C, 11, 0, ttl1, ip_id=1),
    ]
    return inp, exp


main(build)
