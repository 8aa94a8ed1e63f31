"""TRex stateless profile for lbd: established-flow forwarding.

UDP from `--flows` distinct (client address, client port) pairs to one
virtual service, at the size given (64..1518, or imix). Send it to lbd's
client-side port; count what arrives at the real-server side port (see
../README.md for the topology and lbd's configuration).

    trex> start -f bench/hardware/trex/lbd_udp_flows.py -m 100% --port 0 \
            -t --flows 1000000 --size 64 --vip 198.18.1.100 --vport 80

Run the profile once at a low rate first (-m 1kpps for a few seconds): every
flow's first packet makes its connection in lbd; what follows measures
established flows only. The UDP checksum is left 0 (none), which lbd keeps
as it is (RFC 768), so the field engine needs no checksum offload.
"""
import argparse

from trex.stl.api import (IP, UDP, Ether, STLPktBuilder, STLProfile, STLScVmRaw, STLStream, STLTXCont,
                          STLVmFixIpv4, STLVmTupleGen, STLVmWrFlowVar)

IMIX = [(64, 7), (570, 4), (1518, 1)]  # wire bytes, packets per cycle (as lbd-gen's imix)


class LbdUdpFlows:
    def stream(self, args, wire_bytes, pps_share):
        base = Ether() / IP(src=args.client_base, dst=args.vip, ttl=64) / UDP(sport=1024, dport=args.vport,
                                                                              chksum=0)
        pad = max(0, wire_bytes - 4 - len(base)) * b"\x5a"
        clients = args.clients
        ports = -(-args.flows // clients)  # ceil: clients x ports >= flows
        vm = STLScVmRaw([
            STLVmTupleGen(name="client", ip_min=args.client_base,
                          ip_max=_add(args.client_base, clients - 1), port_min=1024,
                          port_max=1024 + ports - 1, limit_flows=args.flows),
            STLVmWrFlowVar(fv_name="client.ip", pkt_offset="IP.src"),
            STLVmWrFlowVar(fv_name="client.port", pkt_offset="UDP.sport"),
            STLVmFixIpv4(offset="IP"),
        ])
        return STLStream(packet=STLPktBuilder(pkt=base / pad, vm=vm), mode=STLTXCont(percentage=pps_share))

    def get_streams(self, tunables=(), **kwargs):
        p = argparse.ArgumentParser(prog="lbd_udp_flows.py")
        p.add_argument("--flows", type=int, default=1_000_000)
        p.add_argument("--clients", type=int, default=256, help="client addresses the flows spread over")
        p.add_argument("--client-base", default="198.18.0.1")
        p.add_argument("--vip", default="198.18.1.100")
        p.add_argument("--vport", type=int, default=80)
        p.add_argument("--size", default="64", help="wire bytes (FCS included) or imix")
        args = p.parse_args(tunables)
        if args.size == "imix":
            total = sum(n for _, n in IMIX)
            return [self.stream(args, size, 100.0 * n / total) for size, n in IMIX]
        return [self.stream(args, int(args.size), 100.0)]


def _add(addr, n):
    a = [int(x) for x in addr.split(".")]
    v = (a[0] << 24 | a[1] << 16 | a[2] << 8 | a[3]) + n
    return ".".join(str(v >> s & 255) for s in (24, 16, 8, 0))


def register():
    return LbdUdpFlows()


# For `stl-sim` and trex-console's `profile -f`: the profile object.
if __name__ == "__main__":
    print(STLProfile(LbdUdpFlows().get_streams()).dump_to_yaml())
