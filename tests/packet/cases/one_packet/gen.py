#!/usr/bin/python3
"""One-packet scheduling: each datagram to .100:53 is scheduled on its own
(rr: .22 then .21, even for the same client port) and leaves no connection;
the real servers' answers are translated back to the VIP by rule."""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
from pktlib import *  # noqa: E402,F403


def build():
    inp = [arp_request(RS_MAC[i], RS_IP[i], LB_IP) for i in (1, 2)] + [arp_request(CLIENT_MAC, CLIENT_IP, VIP)]
    exp = [arp_reply_from_lb(RS_MAC[i], RS_IP[i], LB_IP) for i in (1, 2)] + [arp_reply_from_lb(CLIENT_MAC, CLIENT_IP, VIP)]
    inp += [
        udp(CLIENT_MAC, LB_MAC, CLIENT_IP, VIP, 33333, 53, ip_id=1, payload=b"q1"),
        udp(CLIENT_MAC, LB_MAC, CLIENT_IP, VIP, 33333, 53, ip_id=2, payload=b"q2"),
        udp(RS_MAC[2], LB_MAC, RS_IP[2], CLIENT_IP, 5353, 33333, ip_id=3, payload=b"a1"),
        udp(RS_MAC[1], LB_MAC, RS_IP[1], CLIENT_IP, 5353, 33333, ip_id=4, payload=b"a2"),
    ]
    exp += [
        udp(LB_MAC, RS_MAC[2], CLIENT_IP, RS_IP[2], 33333, 5353, ip_id=1, ttl=63, payload=b"q1"),
        udp(LB_MAC, RS_MAC[1], CLIENT_IP, RS_IP[1], 33333, 5353, ip_id=2, ttl=63, payload=b"q2"),
        udp(LB_MAC, CLIENT_MAC, VIP, CLIENT_IP, 53, 33333, ip_id=3, ttl=63, payload=b"a1"),
        udp(LB_MAC, CLIENT_MAC, VIP, CLIENT_IP, 53, 33333, ip_id=4, ttl=63, payload=b"a2"),
    ]
    return inp, exp


main(build)
