#!/usr/bin/python3
"""A next hop lbd has never heard of: the DNATed SYN waits in the hold
queue while lbd broadcasts an ARP request, and leaves as soon as the real
server answers."""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
from pktlib import *  # noqa: E402,F403


def build():
    inp = [
        tcp(CLIENT_MAC, LB_MAC, CLIENT_IP, VIP, 40000, 80, "S", seq=1, ip_id=5),
        Ether(src=RS_MAC[3], dst=LB_MAC) / ARP(op=2, hwsrc=RS_MAC[3], psrc=RS_IP[3], hwdst=LB_MAC, pdst=LB_IP),
    ]
    exp = [
        arp_request_from_lb(RS_IP[3]),
        tcp(LB_MAC, RS_MAC[3], CLIENT_IP, RS_IP[3], 40000, 8080, "S", seq=1, ip_id=5, ttl=63),
    ]
    return inp, exp


main(build)
