#include <lb/stats/estimator.h>

namespace lb::stats {

namespace {

// e += (rate - e) >> 2, rate being the period's growth scaled by `shift`
// (2^10 per second over a 2 s period is << 9; 2^5 is << 4).
void fold(int64_t& avg, uint64_t& last, uint64_t now, int shift) noexcept {
  const auto rate = static_cast<int64_t>((now - last) << shift);
  last = now;
  avg += (rate - avg) >> 2;
}

uint64_t unscale(int64_t avg, int64_t half, int shift) noexcept {
  const int64_t v = (avg + half) >> shift;
  return v > 0 ? static_cast<uint64_t>(v) : 0;
}

}  // namespace

void RateEstimator::reset(const Traffic& now) noexcept {
  last_ = now;
  cps_ = inpps_ = outpps_ = inbps_ = outbps_ = 0;
}

void RateEstimator::sample(const Traffic& now) noexcept {
  fold(cps_, last_.conns, now.conns, 9);
  fold(inpps_, last_.inpkts, now.inpkts, 9);
  fold(outpps_, last_.outpkts, now.outpkts, 9);
  fold(inbps_, last_.inbytes, now.inbytes, 4);
  fold(outbps_, last_.outbytes, now.outbytes, 4);
}

// ip_vs_read_estimator: (e + 0x1FF) >> 10 for conns and packets, (e + 0xF) >> 5
// for bytes.
Rates RateEstimator::rates() const noexcept {
  return {unscale(cps_, 0x1FF, 10), unscale(inpps_, 0x1FF, 10), unscale(outpps_, 0x1FF, 10),
          unscale(inbps_, 0xF, 5), unscale(outbps_, 0xF, 5)};
}

}  // namespace lb::stats
