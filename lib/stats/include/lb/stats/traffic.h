// Traffic counters and rates as IPVS keeps them per service, per real server
// and in total (struct ip_vs_kstats / ip_vs_estimator, shown by
// `ipvsadm -L --stats` and `--rate`).
#pragma once

#include <cstdint>

namespace lb::stats {

// Counts since start (or since the last zeroing): connections scheduled,
// packets and bytes (of IP packets: header included, Ethernet not) from
// clients ("in") and from real servers ("out").
struct Traffic {
  uint64_t conns = 0, inpkts = 0, outpkts = 0, inbytes = 0, outbytes = 0;

  Traffic& operator+=(const Traffic& o) noexcept {
    conns += o.conns;
    inpkts += o.inpkts;
    outpkts += o.outpkts;
    inbytes += o.inbytes;
    outbytes += o.outbytes;
    return *this;
  }
  // Counters only grow, so a baseline never exceeds the count it is taken
  // from; unsigned wrap-around keeps even that case exact modulo 2^64.
  friend Traffic operator-(Traffic a, const Traffic& b) noexcept {
    a.conns -= b.conns;
    a.inpkts -= b.inpkts;
    a.outpkts -= b.outpkts;
    a.inbytes -= b.inbytes;
    a.outbytes -= b.outbytes;
    return a;
  }
  friend bool operator==(const Traffic&, const Traffic&) = default;
};

// Per second: connections, packets in/out, bytes in/out.
struct Rates {
  uint64_t cps = 0, inpps = 0, outpps = 0, inbps = 0, outbps = 0;
  friend bool operator==(const Rates&, const Rates&) = default;
};

}  // namespace lb::stats
