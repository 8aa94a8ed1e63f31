// Timing, statistics and machine facts for the connection table benchmark.
// Main lcore only; nothing here is shared with the lookup worker.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lb::bench {

using Clock = std::chrono::steady_clock;

inline double seconds(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// Keeps a computed value alive without a mutable global.
inline void keep(uint64_t v) {
  asm volatile("" : : "r"(v) : "memory");
}

double median(std::vector<double> v);

// A figure of lbd's and its reference's, measured pass by pass, one right
// after the other, so both see the same moments of a noisy machine. The ratio
// is the median of the per-pass ratios.
struct Paired {
  std::vector<double> lbd, ref;
  void add(double l, double r) {
    lbd.push_back(l);
    ref.push_back(r);
  }
  double lbd_median() const { return median(lbd); }
  double ref_median() const { return median(ref); }
  double ratio() const;
};

// Runs `total` calls of f(j), cycling j over [0, n); returns ns per call.
template <class F>
double timed_cycle(size_t n, uint64_t total, F&& f) {
  const auto t0 = Clock::now();
  for (uint64_t done = 0; done < total;) {
    const size_t m = static_cast<size_t>(n < total - done ? n : total - done);
    for (size_t j = 0; j < m; ++j)
      f(j);
    done += m;
  }
  return seconds(t0, Clock::now()) * 1e9 / static_cast<double>(total);
}

// CPU model, CPUs, memory, host name, kernel and DPDK version.
std::string machine_line();
// Free hugepage bytes of the page size that has the most.
uint64_t free_hugepage_bytes();
// Touches every free byte of the DPDK heap once. DPDK skips zeroing memory
// fresh from the kernel, so without this the first table's inserts would
// also time page faults that later tables (and a running lbd) never take.
void prefault_dpdk_heap();

}  // namespace lb::bench
