// fo: weighted fail-over, after net/netfilter/ipvs/ip_vs_fo.c.
//
// The highest weight among dests that are not overloaded, compared with a
// strict `>` starting from 0: ties go to the first in the list and a weight-0
// dest is never chosen. Connection counts are ignored.
//
// Stateless, so any number of workers may call it.
#include <lb/sched/scheduler.h>

namespace lb::sched {

namespace {

class FailOver final : public Scheduler {
 public:
  explicit FailOver(const SchedulerConfig& config) : dests_(config.dests) {}

  // pick() only reads (the configuration and the live counters).
  int32_t peek(const PickInput& in) noexcept override { return pick(in); }

  int32_t pick(const PickInput&) noexcept override {
    int32_t highest = kNoDest;
    uint32_t hw = 0;
    for (size_t i = 0; i < dests_.size(); ++i) {
      const Dest& d = dests_[i];
      if (!d.overloaded() && d.weight > hw) {
        highest = static_cast<int32_t>(i);
        hw = d.weight;
      }
    }
    return highest;
  }

 private:
  std::span<const Dest> dests_;
};

}  // namespace

std::unique_ptr<Scheduler> make_fo(const SchedulerConfig& config) {
  return std::make_unique<FailOver>(config);
}

}  // namespace lb::sched
