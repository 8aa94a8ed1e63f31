// wlc: weighted least-connection, the default scheduler, after
// net/netfilter/ipvs/ip_vs_wlc.c.
//
// The weighted-least rule of least_weighted.h over the connection overhead
// (active * 256 + total, Linux 6.12.105+).
//
// Stateless: reads the atomic counters, so any number of workers may call it.
#include <lb/sched/scheduler.h>

#include "least_weighted.h"

namespace lb::sched {

namespace {

class WeightedLeastConnection final : public Scheduler {
 public:
  explicit WeightedLeastConnection(const SchedulerConfig& config) : dests_(config.dests) {}

  // pick() only reads (the configuration and the live counters).
  int32_t peek(const PickInput& in) noexcept override { return pick(in); }

  int32_t pick(const PickInput&) noexcept override {
    return least_weighted(dests_, connection_overhead);
  }

 private:
  std::span<const Dest> dests_;
};

}  // namespace

std::unique_ptr<Scheduler> make_wlc(const SchedulerConfig& config) {
  return std::make_unique<WeightedLeastConnection>(config);
}

}  // namespace lb::sched
