// The rule the kernel's wlc, sed, lblc and lblcr share (ip_vs_wlc.c:29):
// `least` is the first usable dest (not overloaded, weight > 0); a later dest
// that is not overloaded replaces it when overhead/weight is strictly
// smaller, compared as 64-bit cross products (loh * w(dest) > doh *
// w(least)). Weight-0 dests are not skipped after the first stage but can
// never win; ties go to the earlier dest in the list. Only the overhead
// differs between schedulers.
//
// Internal to lib/sched. Lock-free and allocation-free: workers call it.
#pragma once

#include <cstdint>
#include <span>

#include <lb/sched/dest.h>
#include <lb/sched/scheduler.h>

namespace lb::sched {

// `overhead(const Dest&) -> uint64_t`.
template <class Overhead>
int32_t least_weighted(std::span<const Dest> dests, Overhead overhead) noexcept {
  size_t i = 0;
  while (i < dests.size() && !dests[i].usable())
    ++i;
  if (i == dests.size()) return kNoDest;

  size_t least = i;
  uint64_t loh = overhead(dests[least]);
  for (++i; i < dests.size(); ++i) {
    const Dest& d = dests[i];
    if (d.overloaded()) continue;
    const uint64_t doh = overhead(d);
    if (loh * d.weight > doh * dests[least].weight) {
      least = i;
      loh = doh;
    }
  }
  return static_cast<int32_t>(least);
}

// The least-connection overhead (6.12.105+): 256 * active + total.
inline uint64_t connection_overhead(const Dest& d) noexcept {
  return d.counters->overhead();
}

}  // namespace lb::sched
