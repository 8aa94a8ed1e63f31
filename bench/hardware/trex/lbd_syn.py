"""TRex stateless profile for lbd: the new-connection rate.

A TCP SYN from a new (client address, client port) pair per packet, cycling
over `--flows` pairs: with more pairs than packets sent per run (and per
lbd's SYN-state timeout, 60 s with the default timeouts), every SYN makes a
connection. lbd's `lbctl stats` shows them (connections inserted); count the
SYNs reaching the real-server side. Size lbd's connection table for it
(connections.table_size >= flows).

    trex> start -f bench/hardware/trex/lbd_syn.py -m 5mpps --port 0 -d 10 \
            -t --flows 16000000 --vip 198.18.1.100 --vport 80

The TCP checksum is filled by the NIC (STLVmFixChecksumHw): every 10/25GbE
NIC TRex drives supports it.
"""
import argparse

from trex.stl.api import (IP, TCP, Ether, STLPktBuilder, STLScVmRaw, STLStream, STLTXCont,
                          STLVmFixChecksumHw, STLVmTupleGen, STLVmWrFlowVar, CTRexVmInsFixHwCs)


class LbdSyn:
    def get_streams(self, tunables=(), **kwargs):
        p = argparse.ArgumentParser(prog="lbd_syn.py")
        p.add_argument("--flows", type=int, default=16_000_000)
        p.add_argument("--clients", type=int, default=256)
        p.add_argument("--client-base", default="198.18.0.1")
        p.add_argument("--vip", default="198.18.1.100")
        p.add_argument("--vport", type=int, default=80)
        args = p.parse_args(tunables)
        base = Ether() / IP(src=args.client_base, dst=args.vip, ttl=64) / TCP(sport=1024, dport=args.vport,
                                                                              flags="S", seq=1)
        pad = max(0, 60 - len(base)) * b"\x00"
        a = [int(x) for x in args.client_base.split(".")]
        last = (a[0] << 24 | a[1] << 16 | a[2] << 8 | a[3]) + args.clients - 1
        ports = -(-args.flows // args.clients)
        vm = STLScVmRaw([
            STLVmTupleGen(name="client", ip_min=args.client_base,
                          ip_max=".".join(str(last >> s & 255) for s in (24, 16, 8, 0)),
                          port_min=1024, port_max=1024 + ports - 1, limit_flows=args.flows),
            STLVmWrFlowVar(fv_name="client.ip", pkt_offset="IP.src"),
            STLVmWrFlowVar(fv_name="client.port", pkt_offset="TCP.sport"),
            STLVmFixChecksumHw(l3_offset="IP", l4_offset="TCP", l4_type=CTRexVmInsFixHwCs.L4_TYPE_TCP),
        ])
        return [STLStream(packet=STLPktBuilder(pkt=base / pad, vm=vm), mode=STLTXCont(percentage=100))]


def register():
    return LbdSyn()
