#!/usr/bin/python3
"""ARP: lbd answers for its own address and for VIPs, learns the asker, and
ignores requests for other hosts (counted as arp_not_for_us)."""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
from pktlib import *  # noqa: E402,F403


def build():
    inp = [
        arp_request(CLIENT_MAC, CLIENT_IP, VIP),
        arp_request(CLIENT_MAC, CLIENT_IP, LB_IP),
        arp_request(CLIENT_MAC, CLIENT_IP, "198.18.0.99"),  # someone else
        # Padded to 60 bytes as a real NIC would send it: the reply keeps the length.
        arp_request(RS_MAC[1], RS_IP[1], LB_IP) / Raw(b"\x00" * 18),
    ]
    exp = [
        arp_reply_from_lb(CLIENT_MAC, CLIENT_IP, VIP),
        arp_reply_from_lb(CLIENT_MAC, CLIENT_IP, LB_IP),
        arp_reply_from_lb(RS_MAC[1], RS_IP[1], LB_IP, padding=b"\x00" * 18),
    ]
    return inp, exp


main(build)
