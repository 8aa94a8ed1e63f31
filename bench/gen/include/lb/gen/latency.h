// Latency percentiles without storing samples: a log-linear histogram
// (HdrHistogram's layout, 32 sub-buckets per power of two, so any value is
// off by less than 1/32 = 3 %), fixed size, no allocation after
// construction. One per receive lcore; merge() for the report.
#pragma once

#include <array>
#include <cstdint>

namespace lb::gen {

class LatencyHistogram {
 public:
  void record(uint64_t ns) noexcept;
  void merge(const LatencyHistogram& other) noexcept;

  uint64_t count() const noexcept { return count_; }
  uint64_t min() const noexcept { return count_ == 0 ? 0 : min_; }
  uint64_t max() const noexcept { return max_; }
  // The value at or below which `percent` of the samples lie (the bucket's
  // upper edge, capped at max()); 0 when empty.
  uint64_t percentile(double percent) const noexcept;

 private:
  static constexpr unsigned kSubBits = 5;  // 32 sub-buckets
  static constexpr unsigned kBuckets = (64 - kSubBits + 1) << kSubBits;
  static unsigned index(uint64_t v) noexcept;
  static uint64_t upper_edge(unsigned index) noexcept;

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace lb::gen
