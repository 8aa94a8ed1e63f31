#!/usr/bin/python3
"""Malformed or unwanted frames: each is dropped under its own counter and
nothing goes out. (TTL 1 is answered with ICMP time exceeded: see the
malformed cases.)"""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
from pktlib import *  # noqa: E402,F403


def bad_ip_checksum():
    f = Ether(bytes(tcp(CLIENT_MAC, LB_MAC, CLIENT_IP, VIP, 1, 80, "S")))
    f[IP].chksum ^= 0x1111
    return f


def truncated_tcp():
    f = Ether(src=CLIENT_MAC, dst=LB_MAC) / IP(src=CLIENT_IP, dst=VIP, proto=6) / Raw(b"\x9c\x40\x00\x50tcp")
    return f


def build():
    inp = [
        bad_ip_checksum(),
        truncated_tcp(),
        tcp(CLIENT_MAC, "02:00:00:00:00:99", CLIENT_IP, VIP, 40002, 80, "S"),      # not_our_mac
        Ether(src=CLIENT_MAC, dst=LB_MAC, type=0x86DD) / Raw(b"\x60" + b"\x00" * 39),  # not_ip
        # fragment_unknown: a later fragment whose first lbd never saw
        Ether(src=CLIENT_MAC, dst=LB_MAC) / IP(src=CLIENT_IP, dst=VIP, proto=17, id=0x4242, frag=100) / Raw(b"x" * 8),
        tcp(CLIENT_MAC, LB_MAC, CLIENT_IP, "203.0.113.5", 40003, 80, "S"),        # not_for_us
        Ether(src=CLIENT_MAC, dst=LB_MAC) / IP(src=CLIENT_IP, dst=VIP, proto=47) / Raw(b"\x00" * 8),  # vip_protocol (GRE)
        tcp(CLIENT_MAC, LB_MAC, CLIENT_IP, VIP, 40004, 80, "A", seq=5, ack=9),     # tcp_no_connection
        tcp(CLIENT_MAC, LB_MAC, CLIENT_IP, VIP, 40005, 80, "SR"),                 # tcp_no_connection
        bytes.fromhex("020000000001" "02000000000a" "08"),                        # truncated_l2: 13 bytes
        udp(CLIENT_MAC, BCAST, CLIENT_IP, "198.18.0.255", 5000, 9),                # no_exception_path
    ]
    return inp, []


main(build)
