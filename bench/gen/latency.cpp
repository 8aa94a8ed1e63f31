#include <lb/gen/latency.h>

#include <algorithm>
#include <bit>
#include <cmath>

namespace lb::gen {

// Values below 2^kSubBits have a bucket each; above, each power of two
// [2^k, 2^(k+1)) is split into 2^kSubBits equal buckets.
unsigned LatencyHistogram::index(uint64_t v) noexcept {
  if (v < (uint64_t{1} << kSubBits)) return static_cast<unsigned>(v);
  const unsigned k = 63u - static_cast<unsigned>(std::countl_zero(v));  // 2^k <= v
  const unsigned shift = k - kSubBits;
  const unsigned sub = static_cast<unsigned>((v >> shift) & ((1u << kSubBits) - 1));
  return ((shift + 1) << kSubBits) + sub;
}

uint64_t LatencyHistogram::upper_edge(unsigned i) noexcept {
  if (i < (1u << kSubBits)) return i;
  const unsigned shift = (i >> kSubBits) - 1;
  const uint64_t sub = i & ((1u << kSubBits) - 1);
  const uint64_t low = ((uint64_t{1} << kSubBits) + sub) << shift;
  return low + ((uint64_t{1} << shift) - 1);
}

void LatencyHistogram::record(uint64_t ns) noexcept {
  ++counts_[index(ns)];
  ++count_;
  min_ = std::min(min_, ns);
  max_ = std::max(max_, ns);
}

void LatencyHistogram::merge(const LatencyHistogram& other) noexcept {
  for (size_t i = 0; i < counts_.size(); ++i)
    counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

uint64_t LatencyHistogram::percentile(double percent) const noexcept {
  if (count_ == 0) return 0;
  const auto rank = static_cast<uint64_t>(
      std::ceil(std::clamp(percent, 0.0, 100.0) / 100.0 * static_cast<double>(count_)));
  uint64_t seen = 0;
  for (unsigned i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= std::max<uint64_t>(rank, 1)) return std::min(upper_edge(i), max_);
  }
  return max_;
}

}  // namespace lb::gen
