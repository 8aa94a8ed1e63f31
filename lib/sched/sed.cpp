// sed: shortest expected delay, after net/netfilter/ipvs/ip_vs_sed.c.
//
// The wlc rule with overhead = active + 1 (inactive connections ignored):
// `least` is the first usable dest (not overloaded, weight > 0); a later dest
// that is not overloaded replaces it when (active + 1) / weight is strictly
// smaller, compared as 64-bit cross products (loh * w(dest) > doh * w(least)).
// Weight-0 dests are not skipped after the first stage but can never win
// (0 > doh * w(least) is false). Ties go to the earlier dest in the list.
//
// Stateless: reads the atomic counters, so any number of workers may call it.
#include <lb/sched/scheduler.h>

#include "least_weighted.h"

namespace lb::sched {

namespace {

uint64_t sed_overhead(const Dest& d) noexcept {
  return uint64_t{d.counters->sched_active_conns()} + 1;
}

class ShortestExpectedDelay final : public Scheduler {
 public:
  explicit ShortestExpectedDelay(const SchedulerConfig& config) : dests_(config.dests) {}

  // pick() only reads (the configuration and the live counters).
  int32_t peek(const PickInput& in) noexcept override { return pick(in); }

  int32_t pick(const PickInput&) noexcept override { return least_weighted(dests_, sed_overhead); }

 private:
  std::span<const Dest> dests_;
};

}  // namespace

std::unique_ptr<Scheduler> make_sed(const SchedulerConfig& config) {
  return std::make_unique<ShortestExpectedDelay>(config);
}

}  // namespace lb::sched
