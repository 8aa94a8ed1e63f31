#!/usr/bin/python3
"""An upper connection threshold (ipvsadm -x 1) on .23: its first connection
makes it overloaded, and rr skips it from then on (.23, .22, .21, .22, .21)."""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
from pktlib import *  # noqa: E402,F403


def build():
    inp = [arp_request(RS_MAC[i], RS_IP[i], LB_IP) for i in (1, 2, 3)]
    exp = [arp_reply_from_lb(RS_MAC[i], RS_IP[i], LB_IP) for i in (1, 2, 3)]
    for n, rs in enumerate([3, 2, 1, 2, 1]):
        inp.append(tcp(CLIENT_MAC, LB_MAC, CLIENT_IP, VIP, 42000 + n, 80, "S", seq=n, ip_id=n))
        exp.append(tcp(LB_MAC, RS_MAC[rs], CLIENT_IP, RS_IP[rs], 42000 + n, 8080, "S", seq=n, ip_id=n, ttl=63))
    return inp, exp


main(build)
