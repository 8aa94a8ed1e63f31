// ovf: overflow-connection, after net/netfilter/ipvs/ip_vs_ovf.c.
//
// Skips overloaded dests, weight-0 dests and dests with more active
// connections than their weight; among the rest the highest weight wins, with
// a strict `>` (ties go to the first in the list). A dest therefore keeps
// receiving while active <= weight: it takes weight + 1 active connections
// before traffic overflows to the next weight. Inactive connections are
// ignored.
//
// Stateless: reads the atomic counters, so any number of workers may call it.
#include <lb/sched/scheduler.h>

namespace lb::sched {

namespace {

class Overflow final : public Scheduler {
 public:
  explicit Overflow(const SchedulerConfig& config) : dests_(config.dests) {}

  // pick() only reads (the configuration and the live counters).
  int32_t peek(const PickInput& in) noexcept override { return pick(in); }

  int32_t pick(const PickInput&) noexcept override {
    int32_t highest = kNoDest;
    uint32_t hw = 0;
    for (size_t i = 0; i < dests_.size(); ++i) {
      const Dest& d = dests_[i];
      if (!d.usable() || d.counters->sched_active_conns() > d.weight) continue;
      if (highest == kNoDest || d.weight > hw) {
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

std::unique_ptr<Scheduler> make_ovf(const SchedulerConfig& config) {
  return std::make_unique<Overflow>(config);
}

}  // namespace lb::sched
