#!/usr/bin/python3
"""ICMP echo to a VIP and to lbd's own address is answered by lbd itself,
straight back to the sender's MAC."""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
from pktlib import *  # noqa: E402,F403


def ping(dst, ident, seq, payload):
    return Ether(src=CLIENT_MAC, dst=LB_MAC) / IP(src=CLIENT_IP, dst=dst, id=ident, flags="DF") /         ICMP(type=8, id=ident, seq=seq) / Raw(payload)


def pong(src, ident, seq, payload):
    return Ether(src=LB_MAC, dst=CLIENT_MAC) / IP(src=src, dst=CLIENT_IP, id=ident, flags="DF", ttl=64) /         ICMP(type=0, id=ident, seq=seq) / Raw(payload)


def build():
    inp = [ping(VIP, 77, 1, b"abcdefgh" * 7), ping(LB_IP, 78, 2, b"odd")]
    exp = [pong(VIP, 77, 1, b"abcdefgh" * 7), pong(LB_IP, 78, 2, b"odd")]
    return inp, exp


main(build)
