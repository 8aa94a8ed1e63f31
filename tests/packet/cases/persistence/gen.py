#!/usr/bin/python3
"""Persistence: a client's new connections follow its template, not rr.

VIP .100:80, rr over .21/.22/.23 (kernel list .23, .22, .21), persistent:
client .10 gets .23 and keeps it on a second connection; client .11 gets the
next server in rr's order, .22. VIP .101 port 0 persistent with netmask /24:
every port of the VIP and every client of the /24 share one template, and the
real servers (no port) keep the packet's port."""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
from pktlib import *  # noqa: E402,F403

V2 = "198.18.0.101"


def build():
    inp = [arp_request(RS_MAC[i], RS_IP[i], LB_IP) for i in (1, 2, 3)]
    exp = [arp_reply_from_lb(RS_MAC[i], RS_IP[i], LB_IP) for i in (1, 2, 3)]
    flows = [  # (client, sport, vip, dport, real server, its port)
        (CLIENT_IP, 40001, VIP, 80, 3, 8080),
        (CLIENT_IP, 40002, VIP, 80, 3, 8080),   # same client: its template, not rr
        (CLIENT2_IP, 40003, VIP, 80, 2, 8080),  # another client: rr's next
        (CLIENT_IP, 40004, V2, 7000, 2, 7000),  # port-0 service: rr over [.22, .21] -> .22
        (CLIENT_IP, 40005, V2, 7001, 2, 7001),  # another port: same template
        (CLIENT2_IP, 40006, V2, 9, 2, 9),       # another client in the /24: same template
    ]
    for n, (c, sport, vip, dport, rs, rsport) in enumerate(flows):
        inp.append(tcp(CLIENT_MAC, LB_MAC, c, vip, sport, dport, "S", seq=n, ip_id=n))
        exp.append(tcp(LB_MAC, RS_MAC[rs], c, RS_IP[rs], sport, rsport, "S", seq=n, ip_id=n, ttl=63))
    return inp, exp


main(build)
