#!/usr/bin/python3
"""A firewall-mark service: the classifier marks TCP to .102 ports 80 and 443
with mark 80; the mark's service schedules both ports together (rr .23, .22)
and its real servers keep each packet's port. UDP to .102:80 matches no rule
and no other service: dropped as no_service."""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
from pktlib import *  # noqa: E402,F403

M = "198.18.0.102"


def build():
    inp = [arp_request(RS_MAC[i], RS_IP[i], LB_IP) for i in (2, 3)]
    exp = [arp_reply_from_lb(RS_MAC[i], RS_IP[i], LB_IP) for i in (2, 3)]
    inp += [
        arp_request(CLIENT_MAC, CLIENT_IP, M),  # lbd answers ARP for a /32 mark destination
        tcp(CLIENT_MAC, LB_MAC, CLIENT_IP, M, 41000, 80, "S", seq=1, ip_id=1),
        tcp(CLIENT_MAC, LB_MAC, CLIENT_IP, M, 41001, 443, "S", seq=2, ip_id=2),
        tcp(CLIENT_MAC, LB_MAC, CLIENT_IP, M, 41002, 8080, "S", seq=3, ip_id=3),  # not marked
        udp(CLIENT_MAC, LB_MAC, CLIENT_IP, M, 41003, 80, payload=b"x"),          # not marked
    ]
    exp += [
        arp_reply_from_lb(CLIENT_MAC, CLIENT_IP, M),
        tcp(LB_MAC, RS_MAC[3], CLIENT_IP, RS_IP[3], 41000, 80, "S", seq=1, ip_id=1, ttl=63),
        tcp(LB_MAC, RS_MAC[2], CLIENT_IP, RS_IP[2], 41001, 443, "S", seq=2, ip_id=2, ttl=63),
    ]
    return inp, exp


main(build)
