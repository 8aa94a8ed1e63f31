#!/usr/bin/python3
"""IP fragments, which lbd does not reassemble: the first fragment (offset 0,
MF, carrying the UDP header whose length and checksum cover the whole
datagram) is scheduled like its flow, and the later ones (offset > 0, no
ports) follow it to the same real server, each with its TTL decremented:

- NAT: every fragment's destination address becomes the real server's; the
  port only in the first, whose UDP checksum becomes that of the whole
  translated datagram (so the server's reassembly verifies);
- DR: every fragment unchanged but for the TTL, to the server's MAC;
- tunnel: every fragment in its own IPIP packet (outer IDs 0, 1, 2);
- a NAT reply split by the real server: every fragment's source becomes the
  VIP, the first's source port the virtual port and its checksum the whole
  reply's;
- a later fragment whose first fragment lbd never saw: drops.fragment_unknown.
Fragments are cut as a router would (RFC 791): 24 payload bytes, then 24, then
the rest, one ID per datagram."""
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
from pktlib import *  # noqa: E402,F403

C, CM = CLIENT_IP, CLIENT_MAC
PIECE_MTU = 44  # 20-byte header + 24 payload bytes per fragment


def datagram(src, dst, sport, dport, ip_id, ttl, payload):
    return IP(src=src, dst=dst, id=ip_id, ttl=ttl) / UDP(sport=sport, dport=dport) / Raw(payload)


def build():
    body = b"fragmented datagram, 56 bytes of payload, three pieces"
    body += b"." * (56 - len(body))
    nat_in = fragment(datagram(C, VIP, 5000, 53, 0x101, 64, body), PIECE_MTU)
    nat_out = fragment(datagram(C, RS_IP[1], 5000, 5353, 0x101, 63, body), PIECE_MTU)
    dr_in = fragment(datagram(C, VIP, 5001, 54, 0x102, 64, body), PIECE_MTU)
    dr_out = fragment(datagram(C, VIP, 5001, 54, 0x102, 63, body), PIECE_MTU)
    tun_in = fragment(datagram(C, VIP, 5002, 55, 0x103, 64, body), PIECE_MTU)
    tun_out = fragment(datagram(C, VIP, 5002, 55, 0x103, 63, body), PIECE_MTU)
    reply_in = fragment(datagram(RS_IP[1], C, 5353, 5000, 0x201, 64, body[::-1]), PIECE_MTU)
    reply_out = fragment(datagram(VIP, C, 53, 5000, 0x201, 63, body[::-1]), PIECE_MTU)
    assert len(nat_in) == 3 and nat_in[1].frag == 3 and nat_in[2].frag == 6
    orphan = IP(src=C, dst=VIP, proto=17, id=0x104, frag=3) / Raw(b"o" * 16)

    inp = [frame(CM, LB_MAC, f) for f in nat_in + dr_in + tun_in]
    inp += [frame(RS_MAC[1], LB_MAC, f) for f in reply_in]
    inp += [frame(CM, LB_MAC, orphan)]
    exp = [frame(LB_MAC, RS_MAC[1], f) for f in nat_out]
    exp += [frame(LB_MAC, RS_MAC[2], f) for f in dr_out]
    exp += [ipip(RS_MAC[3], LB_IP, RS_IP[3], f, i) for i, f in enumerate(tun_out)]
    exp += [frame(LB_MAC, CM, f) for f in reply_out]
    return inp, exp


main(build)
