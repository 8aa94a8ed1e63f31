// The kernel's rate estimator (net/netfilter/ipvs/ip_vs_est.c): every
// kSamplePeriodMs the counters' growth is folded into an exponentially
// weighted moving average with weight 1/4, in fixed point (connection and
// packet rates scaled by 2^10, byte rates by 2^5), and read back rounded.
// Reproducing its arithmetic exactly makes `--rate` ramp up and decay as it
// does under IPVS: a steady 1000 packets/s reads 250, 437, 578, ... then
// 1000 after about a minute.
#pragma once

#include <cstdint>

#include <lb/stats/traffic.h>

namespace lb::stats {

inline constexpr uint64_t kSamplePeriodMs = 2000;

class RateEstimator {
 public:
  // Starts (or, after zeroing, restarts) from `now` with every rate 0: the
  // kernel's ip_vs_start_estimator / ip_vs_zero_estimator.
  void reset(const Traffic& now) noexcept;
  // One period later: folds in the growth since the previous sample.
  void sample(const Traffic& now) noexcept;
  Rates rates() const noexcept;

 private:
  Traffic last_;
  // Scaled averages (s64 in the kernel: a falling rate moves them down).
  int64_t cps_ = 0, inpps_ = 0, outpps_ = 0, inbps_ = 0, outbps_ = 0;
};

}  // namespace lb::stats
