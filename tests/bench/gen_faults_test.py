#!/usr/bin/python3
"""The generator's checks catch an lbd that rewrites wrongly. The memif
harness runs the real lbd, but lbd-gen is told to expect another rewrite
than the one lbd is configured to do — from lbd-gen's side exactly an lbd
that mis-rewrites:

  - NAT to port 8080 while 8081 is expected          -> wrong_destination, every frame
  - direct routing while NAT is expected (VIP kept)  -> wrong_destination, every frame
  - a real server the generator does not know of     -> wrong_destination, its share
  - IPIP while NAT is expected                       -> wrong_protocol, every frame
  - NAT while IPIP is expected                       -> wrong_outer, every frame

Each must count the fault by name, verify nothing it should not, and give
the failing status (3); the correct expectation verifies every frame. The
checksum and TTL faults are shown in the unit tests (tests/unit/gen) with
lib/nat's and lib/tunnel's own rewrites damaged byte by byte.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "harness"))

import memif  # noqa: E402

FAILED = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILED.append(what)


def run(build, lbd_method, **expect):
    with memif.Run(build) as r:
        r.start_lbd(lbd_method)
        return r.measure(duration=0.3, flows=500, rate=500000, **expect)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    build = os.path.abspath(ap.parse_args().build)
    hp = memif.Hugepages(512)
    try:
        rep = run(build, "nat", method="nat")
        check(rep["exit"] == 0 and rep["rx_ok"] == rep["rx_packets"] > 0,
              f"lbd NAT as expected: {rep['rx_ok']} of {rep['rx_packets']} verified")

        cases = [
            ("NAT to 8080, 8081 expected", "nat", dict(method="nat", real_port=8081), "wrong_destination", 1.0),
            ("DR, NAT expected", "dr", dict(method="nat"), "wrong_destination", 1.0),
            ("a fourth real server unknown to the generator", "nat",
             dict(method="nat", reals=memif.REALS[:3]), "wrong_destination", 0.25),
            ("IPIP, NAT expected", "tun", dict(method="nat"), "wrong_protocol", 1.0),
            ("NAT, IPIP expected", "nat", dict(method="tun", real_port=0), "wrong_outer", 1.0),
        ]
        for what, lbd_method, expect, fault, share in cases:
            rep = run(build, lbd_method, **expect)
            n = rep["rx_packets"]
            got = rep["faults"][fault]
            check(n > 0 and rep["exit"] == 3, f"{what}: failing status 3 ({rep['exit']}, {n} frames)")
            check(abs(got / max(n, 1) - share) < 0.02,
                  f"{what}: {fault} counted for {got} of {n} frames (expected share {share})")
            check(rep["rx_ok"] == n - got, f"{what}: only the others verified ({rep['rx_ok']})")
    finally:
        hp.close()


if __name__ == "__main__":
    main()
    print(f"{len(FAILED)} failed" if FAILED else "all passed")
    sys.exit(1 if FAILED else 0)
