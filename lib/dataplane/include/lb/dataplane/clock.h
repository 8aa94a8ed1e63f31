// Milliseconds since the data plane started, from the TSC: what workers stamp
// connections and neighbors with. Reading it is an rdtsc and one division (a
// worker reads it once per poll round, not per packet) with no syscall, and
// every lcore and thread agrees on it because DPDK requires an invariant TSC.
#pragma once

#include <cstdint>

#include <rte_cycles.h>

namespace lb::dataplane {

class Clock {
 public:
  Clock() noexcept : cycles_per_ms_(rte_get_tsc_hz() / 1000), base_(rte_rdtsc()) {}
  uint64_t now_ms() const noexcept { return (rte_rdtsc() - base_) / cycles_per_ms_; }

 private:
  uint64_t cycles_per_ms_;
  uint64_t base_;
};

}  // namespace lb::dataplane
