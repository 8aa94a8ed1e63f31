#!/usr/bin/python3
"""Two ports: the SYN arrives on ext and leaves DNATed on int; the real
server's SYN-ACK arrives on int and leaves SNATed on ext."""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
from pktlib import *  # noqa: E402,F403


EXT_MAC, INT_MAC = "02:00:00:00:01:01", "02:00:00:00:02:01"
C, CM = "198.18.1.10", "02:00:00:00:01:0a"
V = "198.18.1.100"
RS, RM = "198.18.2.11", "02:00:00:00:02:0b"


def build():
    return {
        "ext": ([tcp(CM, EXT_MAC, C, V, 41000, 80, "S", seq=7, ip_id=1)],
                [tcp(EXT_MAC, CM, V, C, 80, 41000, "SA", seq=70, ack=8, ip_id=2, ttl=63)]),
        "int": ([tcp(RM, INT_MAC, RS, C, 8080, 41000, "SA", seq=70, ack=8, ip_id=2)],
                [tcp(INT_MAC, RM, C, RS, 41000, 8080, "S", seq=7, ip_id=1, ttl=63)]),
    }


main(build)
