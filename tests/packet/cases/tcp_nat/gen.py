#!/usr/bin/python3
"""A whole TCP connection through NAT: the client's SYN to the VIP is DNATed to
the real server rr picks first (198.18.0.23: the kernel keeps the newest real
server first), its SYN-ACK is SNATed back to the VIP, and the rest of the
flow follows the connection both ways; TTLs drop by one."""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
from pktlib import *  # noqa: E402,F403

C, RS = CLIENT_IP, RS_IP[3]
CM, RM = CLIENT_MAC, RS_MAC[3]


def build():
    inp = [
        arp_request(RM, RS, LB_IP),   # the real server resolves its gateway: lbd learns it
        arp_request(CM, C, VIP),      # the client resolves the VIP
        tcp(CM, LB_MAC, C, VIP, 40000, 80, "S", seq=1000, ip_id=11),
        tcp(RM, LB_MAC, RS, C, 8080, 40000, "SA", seq=5000, ack=1001, ip_id=21),
        tcp(CM, LB_MAC, C, VIP, 40000, 80, "A", seq=1001, ack=5001, ip_id=12),
        tcp(CM, LB_MAC, C, VIP, 40000, 80, "PA", seq=1001, ack=5001, ip_id=13, payload=b"GET / HTTP/1.0\r\n\r\n"),
        tcp(RM, LB_MAC, RS, C, 8080, 40000, "PA", seq=5001, ack=1019, ip_id=22, payload=b"HTTP/1.0 200 OK\r\n\r\nrs3"),
        tcp(RM, LB_MAC, RS, C, 8080, 40000, "FA", seq=5024, ack=1019, ip_id=23),
        tcp(CM, LB_MAC, C, VIP, 40000, 80, "FA", seq=1019, ack=5025, ip_id=14),
        tcp(RM, LB_MAC, RS, C, 8080, 40000, "A", seq=5025, ack=1020, ip_id=24),
    ]
    exp = [
        arp_reply_from_lb(RM, RS, LB_IP),
        arp_reply_from_lb(CM, C, VIP),
        tcp(LB_MAC, RM, C, RS, 40000, 8080, "S", seq=1000, ip_id=11, ttl=63),
        tcp(LB_MAC, CM, VIP, C, 80, 40000, "SA", seq=5000, ack=1001, ip_id=21, ttl=63),
        tcp(LB_MAC, RM, C, RS, 40000, 8080, "A", seq=1001, ack=5001, ip_id=12, ttl=63),
        tcp(LB_MAC, RM, C, RS, 40000, 8080, "PA", seq=1001, ack=5001, ip_id=13, ttl=63, payload=b"GET / HTTP/1.0\r\n\r\n"),
        tcp(LB_MAC, CM, VIP, C, 80, 40000, "PA", seq=5001, ack=1019, ip_id=22, ttl=63, payload=b"HTTP/1.0 200 OK\r\n\r\nrs3"),
        tcp(LB_MAC, CM, VIP, C, 80, 40000, "FA", seq=5024, ack=1019, ip_id=23, ttl=63),
        tcp(LB_MAC, RM, C, RS, 40000, 8080, "FA", seq=1019, ack=5025, ip_id=14, ttl=63),
        tcp(LB_MAC, CM, VIP, C, 80, 40000, "A", seq=5025, ack=1020, ip_id=24, ttl=63),
    ]
    return inp, exp


main(build)
