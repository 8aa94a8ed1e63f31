#!/usr/bin/python3
"""rr with three real servers added in the order .21, .22, .23: the kernel
keeps the newest first, so new connections go to .23, .22, .21, .23, ..."""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
from pktlib import *  # noqa: E402,F403


def build():
    inp = [arp_request(RS_MAC[i], RS_IP[i], LB_IP) for i in (1, 2, 3)]
    exp = [arp_reply_from_lb(RS_MAC[i], RS_IP[i], LB_IP) for i in (1, 2, 3)]
    order = [3, 2, 1, 3, 2, 1]
    for n, rs in enumerate(order):
        port = 50001 + n
        inp.append(tcp(CLIENT_MAC, LB_MAC, CLIENT_IP, VIP, port, 80, "S", seq=n, ip_id=100 + n))
        exp.append(tcp(LB_MAC, RS_MAC[rs], CLIENT_IP, RS_IP[rs], port, 8080, "S", seq=n, ip_id=100 + n, ttl=63))
    # A retransmitted SYN of the first flow stays on its real server.
    inp.append(tcp(CLIENT_MAC, LB_MAC, CLIENT_IP, VIP, 50001, 80, "S", seq=0, ip_id=200))
    exp.append(tcp(LB_MAC, RS_MAC[3], CLIENT_IP, RS_IP[3], 50001, 8080, "S", seq=0, ip_id=200, ttl=63))
    return inp, exp


main(build)
