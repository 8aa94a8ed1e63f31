#!/usr/bin/python3
"""UDP both ways: a query to VIP:53 is DNATed to the real server's port 5353
and the answer SNATed back; a datagram without a checksum keeps none."""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
from pktlib import *  # noqa: E402,F403

C, RS = CLIENT_IP, RS_IP[1]
CM, RM = CLIENT_MAC, RS_MAC[1]


def no_checksum(frame):
    f = Ether(bytes(frame))
    f[UDP].chksum = 0
    return f


def build():
    inp = [
        arp_request(RM, RS, LB_IP),
        arp_request(CM, C, VIP),
        udp(CM, LB_MAC, C, VIP, 33333, 53, ip_id=7, payload=b"\x12\x34query"),
        udp(RM, LB_MAC, RS, C, 5353, 33333, ip_id=8, payload=b"\x12\x34answer!"),
        no_checksum(udp(CM, LB_MAC, C, VIP, 33333, 53, ip_id=9, payload=b"again")),
    ]
    exp = [
        arp_reply_from_lb(RM, RS, LB_IP),
        arp_reply_from_lb(CM, C, VIP),
        udp(LB_MAC, RM, C, RS, 33333, 5353, ip_id=7, ttl=63, payload=b"\x12\x34query"),
        udp(LB_MAC, CM, VIP, C, 53, 33333, ip_id=8, ttl=63, payload=b"\x12\x34answer!"),
        no_checksum(udp(LB_MAC, RM, C, RS, 33333, 5353, ip_id=9, ttl=63, payload=b"again")),
    ]
    return inp, exp


main(build)
