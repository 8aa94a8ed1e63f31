// lc: least-connection, after net/netfilter/ipvs/ip_vs_lc.c.
//
// Skips overloaded and weight-0 dests; among the rest takes the smallest
// overhead (active * 256 + total, Linux 6.12.105+) with a strict `<`, so ties
// go to the first in the list. Weights other than 0 are ignored.
//
// Stateless: reads the atomic counters, so any number of workers may call it.
#include <lb/sched/scheduler.h>

namespace lb::sched {

namespace {

class LeastConnection final : public Scheduler {
 public:
  explicit LeastConnection(const SchedulerConfig& config) : dests_(config.dests) {}

  // pick() only reads (the configuration and the live counters).
  int32_t peek(const PickInput& in) noexcept override { return pick(in); }

  int32_t pick(const PickInput&) noexcept override {
    int32_t least = kNoDest;
    uint64_t loh = 0;
    for (size_t i = 0; i < dests_.size(); ++i) {
      const Dest& d = dests_[i];
      if (!d.usable()) continue;
      const uint64_t doh = d.counters->overhead();
      if (least == kNoDest || doh < loh) {
        least = static_cast<int32_t>(i);
        loh = doh;
      }
    }
    return least;
  }

 private:
  std::span<const Dest> dests_;
};

}  // namespace

std::unique_ptr<Scheduler> make_lc(const SchedulerConfig& config) {
  return std::make_unique<LeastConnection>(config);
}

}  // namespace lb::sched
