#include <catch2/catch.hpp>

#include <lb/stats/estimator.h>

using lb::stats::RateEstimator;
using lb::stats::Rates;
using lb::stats::Traffic;

namespace {

// `per_second` of every counter for `periods` 2-second periods.
Rates steady(RateEstimator& est, Traffic& now, uint64_t per_second, int periods) {
  for (int i = 0; i < periods; ++i) {
    const uint64_t n = per_second * 2;
    now += Traffic{n, n, n, n, n};
    est.sample(now);
  }
  return est.rates();
}

}  // namespace

TEST_CASE("the estimator ramps up as the kernel's: a quarter of the gap per period") {
  RateEstimator est;
  Traffic now;
  est.reset(now);
  CHECK(est.rates() == Rates{});
  // 1000/s: e = 1000 << 10 after convergence; 1/4 of the way each 2 s.
  CHECK(steady(est, now, 1000, 1).cps == 250);
  CHECK(est.rates().inpps == 250);
  CHECK(steady(est, now, 1000, 1).cps == 437);
  CHECK(steady(est, now, 1000, 1).cps == 578);
  // Bytes are scaled by 2^5 instead of 2^10: same curve, coarser rounding.
  CHECK(est.rates().inbps == 578);
  CHECK(steady(est, now, 1000, 60).cps == 1000);
  CHECK(est.rates() == Rates{1000, 1000, 1000, 1000, 1000});
}

TEST_CASE("the estimator decays to zero when traffic stops, never below") {
  RateEstimator est;
  Traffic now;
  est.reset(now);
  steady(est, now, 5000, 40);
  CHECK(est.rates().outpps == 5000);
  CHECK(steady(est, now, 0, 1).outpps == 3750);
  CHECK(steady(est, now, 0, 100) == Rates{});
}

TEST_CASE("the estimator counts only growth since reset, as zeroing does") {
  RateEstimator est;
  Traffic now{1'000'000, 1'000'000, 1'000'000, 1'000'000, 1'000'000};
  est.reset(now);  // counts before the reset are not a burst of traffic
  CHECK(steady(est, now, 0, 1) == Rates{});
  CHECK(steady(est, now, 10, 30).cps == 10);
}

TEST_CASE("a high byte rate is exact and does not overflow") {
  RateEstimator est;
  Traffic now;
  est.reset(now);
  const uint64_t bps = 25'000'000'000 / 8;  // 25 Gbit/s
  steady(est, now, bps, 100);
  CHECK(est.rates().inbps == bps);
}
