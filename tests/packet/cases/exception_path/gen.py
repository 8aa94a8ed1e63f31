#!/usr/bin/python3
"""Traffic for lbd's own address that lbd does not answer itself goes to
the kernel through the exception TAP, and what the kernel sends back leaves
through the port: here a SYN to port 22, where nothing listens, comes back as
the kernel's RST. Broadcasts on the port's subnet go to the kernel too, as on
any host (nothing answers this one)."""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
from pktlib import *  # noqa: E402,F403


def build():
    inp = [
        arp_request(CLIENT_MAC, CLIENT_IP, LB_IP),
        tcp(CLIENT_MAC, LB_MAC, CLIENT_IP, LB_IP, 40000, 22, "S", seq=1000, ip_id=3),
        udp(CLIENT_MAC, BCAST, CLIENT_IP, "198.18.0.255", 5000, 9, payload=b"anyone?"),
    ]
    rst = Ether(src=LB_MAC, dst=CLIENT_MAC) / IP(src=LB_IP, dst=CLIENT_IP, ttl=64, id=0, flags="DF") /         TCP(sport=22, dport=40000, flags="RA", seq=0, ack=1001, window=0)
    exp = [arp_reply_from_lb(CLIENT_MAC, CLIENT_IP, LB_IP), rst]
    return inp, exp


main(build)
