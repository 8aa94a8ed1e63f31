#!/usr/bin/python3
"""A connection the real server resets moves to CLOSE (IPVS: output RST from
SYN_RECV) and is swept out of the table once CLOSE's 10 s timeout has passed;
a connection still in SYN_RECV (60 s) stays."""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
from pktlib import *  # noqa: E402,F403

C, RS = CLIENT_IP, RS_IP[3]
CM, RM = CLIENT_MAC, RS_MAC[3]


def build():
    inp = [
        arp_request(RM, RS, LB_IP),
        arp_request(RS_MAC[2], RS_IP[2], LB_IP),
        tcp(CM, LB_MAC, C, VIP, 40000, 80, "S", seq=1, ip_id=1),     # -> rs3
        tcp(RM, LB_MAC, RS, C, 8080, 40000, "R", seq=0, ip_id=2),     # rs3 refuses: CLOSE
        tcp(CM, LB_MAC, C, VIP, 40001, 80, "S", seq=1, ip_id=3),      # -> rs2, stays SYN_RECV
    ]
    exp = [
        arp_reply_from_lb(RM, RS, LB_IP),
        arp_reply_from_lb(RS_MAC[2], RS_IP[2], LB_IP),
        tcp(LB_MAC, RM, C, RS, 40000, 8080, "S", seq=1, ip_id=1, ttl=63),
        # No MAC for the client (it never asked ARP): lbd asks, the RST waits,
        # and never leaves (nobody answers); it is dropped after the retries.
        arp_request_from_lb(C),
        tcp(LB_MAC, RS_MAC[2], C, RS_IP[2], 40001, 8080, "S", seq=1, ip_id=3, ttl=63),
    ]
    return inp, exp


main(build)
