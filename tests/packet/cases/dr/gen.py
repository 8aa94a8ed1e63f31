#!/usr/bin/python3
"""Direct routing (ip_vs_dr_xmit): lbd sends the client's IP packet unchanged
but for the TTL, which IPVS decrements for every forwarded packet (so the IP
checksum changes by that alone), in a frame from lbd's MAC to the real
server's. rr gives the first connection to 198.18.0.22 (the kernel keeps the
newest real server first) and the second to 198.18.0.21; every later packet
of a connection follows it. UDP goes the same way. The real servers answer the
client directly, so the other direction of DR is an ICMP error from the
client about such a reply (VIP:port -> client) sent to the VIP: as in
ip_vs_in_icmp, it is forwarded unchanged (TTL - 1) to the connection's real
server. ICMP echo to the VIP is answered by lbd; TTL 1 on a new flow gets ICMP
time exceeded from the VIP, quoting the packet as it arrived."""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
from pktlib import *  # noqa: E402,F403

C, CM = CLIENT_IP, CLIENT_MAC


def to_lb(pkt):
    return Ether(src=CM, dst=LB_MAC) / pkt


def dr_out(rs, pkt):
    """The same IP packet, TTL one lower, to the real server's MAC."""
    p = IP(bytes(pkt))
    p.ttl -= 1
    del p.chksum
    return Ether(src=LB_MAC, dst=RS_MAC[rs]) / IP(bytes(p))


def build():
    syn_a = IP(src=C, dst=VIP, id=11, flags="DF", ttl=64) / TCP(sport=40000, dport=80, flags="S", seq=1000, window=64240)
    syn_b = IP(src=C, dst=VIP, id=21, flags="DF", ttl=50, tos=0x10) / \
        TCP(sport=40001, dport=80, flags="S", seq=2000, window=64240, options=[("MSS", 1460)])
    ack_a = IP(src=C, dst=VIP, id=12, flags="DF") / TCP(sport=40000, dport=80, flags="A", seq=1001, ack=5001)
    data_b = IP(src=C, dst=VIP, id=22, flags="DF", ttl=50, tos=0x10) / \
        TCP(sport=40001, dport=80, flags="PA", seq=2001, ack=7001) / Raw(b"GET /b HTTP/1.0\r\n\r\n")
    data_a = IP(src=C, dst=VIP, id=13, flags="DF") / TCP(sport=40000, dport=80, flags="PA", seq=1001, ack=5001) / \
        Raw(b"GET /a HTTP/1.0\r\n\r\n")
    fin_a = IP(src=C, dst=VIP, id=14, flags="DF") / TCP(sport=40000, dport=80, flags="FA", seq=1020, ack=5100)
    dns = IP(src=C, dst=VIP, id=31) / UDP(sport=5000, dport=53) / Raw(b"\x12\x34query")
    ping = IP(src=C, dst=VIP, id=41, flags="DF") / ICMP(type=8, id=41, seq=1) / Raw(b"dr-ping!")
    pong = IP(src=VIP, dst=C, id=41, flags="DF", ttl=64) / ICMP(type=0, id=41, seq=1) / Raw(b"dr-ping!")
    # The client's errors about replies the real servers sent it directly.
    reply_b = IP(src=VIP, dst=C, id=900, flags="DF", ttl=63) / \
        TCP(sport=80, dport=40001, flags="PA", seq=7001, ack=2020) / Raw(b"x" * 1400)
    frag_needed = IP(src=C, dst=VIP, id=23, ttl=64) / ICMP(type=3, code=4, nexthopmtu=1400) / \
        Raw(bytes(reply_b)[:28])
    dns_reply = IP(src=VIP, dst=C, id=901, ttl=63) / UDP(sport=53, dport=5000) / Raw(b"\x12\x34answer")
    port_unreach = IP(src=C, dst=VIP, id=32, ttl=64) / ICMP(type=3, code=3) / Raw(bytes(dns_reply))
    ttl1 = IP(src=C, dst=VIP, id=51, flags="DF", ttl=1) / TCP(sport=40002, dport=80, flags="S", seq=3000)

    inp = [to_lb(p) for p in (syn_a, syn_b, ack_a, data_b, data_a, fin_a, dns, ping, frag_needed,
                               port_unreach, ttl1)]
    exp = [
        dr_out(2, syn_a), dr_out(1, syn_b), dr_out(2, ack_a), dr_out(1, data_b), dr_out(2, data_a),
        dr_out(2, fin_a), dr_out(1, dns),
        Ether(src=LB_MAC, dst=CM) / pong,
        dr_out(1, frag_needed), dr_out(1, port_unreach),
        lb_icmp_error(CM, VIP, C, 11, 0, ttl1, ip_id=0),
    ]
    return inp, exp


main(build)
