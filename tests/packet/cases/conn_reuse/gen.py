#!/usr/bin/python3
"""A new connection reusing a closed connection's client port (a SYN on a
TIME_WAIT connection) is scheduled afresh, as the kernel's conn_reuse_mode 1
does: the old connection to rs3 is expired and rr picks the next server
(rs1 after rs2). A retransmitted SYN of a connection still opening
(SYN_RECV) stays with its server."""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
from pktlib import *  # noqa: E402,F403

C, CM = CLIENT_IP, CLIENT_MAC


def build():
    inp = [
        arp_request(RS_MAC[1], RS_IP[1], LB_IP),
        arp_request(RS_MAC[2], RS_IP[2], LB_IP),
        arp_request(RS_MAC[3], RS_IP[3], LB_IP),
        arp_request(CM, C, VIP),
        # Port 40000 to rs3, opened and closed: TIME_WAIT.
        tcp(CM, LB_MAC, C, VIP, 40000, 80, "S", seq=1000, ip_id=11),
        tcp(RS_MAC[3], LB_MAC, RS_IP[3], C, 8080, 40000, "SA", seq=5000, ack=1001, ip_id=21),
        tcp(CM, LB_MAC, C, VIP, 40000, 80, "A", seq=1001, ack=5001, ip_id=12),
        tcp(RS_MAC[3], LB_MAC, RS_IP[3], C, 8080, 40000, "FA", seq=5001, ack=1001, ip_id=22),
        tcp(CM, LB_MAC, C, VIP, 40000, 80, "FA", seq=1001, ack=5002, ip_id=13),
        tcp(RS_MAC[3], LB_MAC, RS_IP[3], C, 8080, 40000, "A", seq=5002, ack=1002, ip_id=23),
        # Port 40001 to rs2, still opening.
        tcp(CM, LB_MAC, C, VIP, 40001, 80, "S", seq=7000, ip_id=14),
        # Port 40000 again: a new connection, to rs1.
        tcp(CM, LB_MAC, C, VIP, 40000, 80, "S", seq=90000, ip_id=15),
        tcp(RS_MAC[1], LB_MAC, RS_IP[1], C, 8080, 40000, "SA", seq=3000, ack=90001, ip_id=31),
        # 40001's SYN retransmitted: still rs2.
        tcp(CM, LB_MAC, C, VIP, 40001, 80, "S", seq=7000, ip_id=16),
        # A late segment from rs3 about the old connection: no longer known.
        tcp(RS_MAC[3], LB_MAC, RS_IP[3], C, 8080, 40000, "A", seq=5002, ack=1002, ip_id=24),
    ]
    exp = [
        arp_reply_from_lb(RS_MAC[1], RS_IP[1], LB_IP),
        arp_reply_from_lb(RS_MAC[2], RS_IP[2], LB_IP),
        arp_reply_from_lb(RS_MAC[3], RS_IP[3], LB_IP),
        arp_reply_from_lb(CM, C, VIP),
        tcp(LB_MAC, RS_MAC[3], C, RS_IP[3], 40000, 8080, "S", seq=1000, ip_id=11, ttl=63),
        tcp(LB_MAC, CM, VIP, C, 80, 40000, "SA", seq=5000, ack=1001, ip_id=21, ttl=63),
        tcp(LB_MAC, RS_MAC[3], C, RS_IP[3], 40000, 8080, "A", seq=1001, ack=5001, ip_id=12, ttl=63),
        tcp(LB_MAC, CM, VIP, C, 80, 40000, "FA", seq=5001, ack=1001, ip_id=22, ttl=63),
        tcp(LB_MAC, RS_MAC[3], C, RS_IP[3], 40000, 8080, "FA", seq=1001, ack=5002, ip_id=13, ttl=63),
        tcp(LB_MAC, CM, VIP, C, 80, 40000, "A", seq=5002, ack=1002, ip_id=23, ttl=63),
        tcp(LB_MAC, RS_MAC[2], C, RS_IP[2], 40001, 8080, "S", seq=7000, ip_id=14, ttl=63),
        tcp(LB_MAC, RS_MAC[1], C, RS_IP[1], 40000, 8080, "S", seq=90000, ip_id=15, ttl=63),
        tcp(LB_MAC, CM, VIP, C, 80, 40000, "SA", seq=3000, ack=90001, ip_id=31, ttl=63),
        tcp(LB_MAC, RS_MAC[2], C, RS_IP[2], 40001, 8080, "S", seq=7000, ip_id=16, ttl=63),
    ]
    return inp, exp


main(build)
