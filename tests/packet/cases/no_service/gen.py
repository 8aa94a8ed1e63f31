#!/usr/bin/python3
"""Packets to a VIP on a port (or protocol) with no virtual service are
dropped, as IPVS leaves them: nothing goes out and no_service counts them."""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
from pktlib import *  # noqa: E402,F403


def build():
    inp = [
        tcp(CLIENT_MAC, LB_MAC, CLIENT_IP, VIP, 40000, 81, "S", seq=1),
        udp(CLIENT_MAC, LB_MAC, CLIENT_IP, VIP, 40000, 80, payload=b"udp to a tcp-only port"),
        tcp(CLIENT_MAC, LB_MAC, CLIENT_IP, VIP, 40000, 443, "S", seq=1),
    ]
    return inp, []


main(build)
