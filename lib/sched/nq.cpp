// nq: never queue, after net/netfilter/ipvs/ip_vs_nq.c.
//
// Walks the list skipping overloaded and weight-0 dests. The first dest with
// no active connection is returned at once, whatever its weight; otherwise the
// sed rule: the smallest (active + 1) / weight, compared as 64-bit cross
// products with a strict `>` (ties go to the earlier dest in the list).
//
// Stateless: reads the atomic counters, so any number of workers may call it.
#include <lb/sched/scheduler.h>

namespace lb::sched {

namespace {

class NeverQueue final : public Scheduler {
 public:
  explicit NeverQueue(const SchedulerConfig& config) : dests_(config.dests) {}

  // pick() only reads (the configuration and the live counters).
  int32_t peek(const PickInput& in) noexcept override { return pick(in); }

  int32_t pick(const PickInput&) noexcept override {
    int32_t least = kNoDest;
    uint64_t loh = 0;
    for (size_t i = 0; i < dests_.size(); ++i) {
      const Dest& d = dests_[i];
      if (!d.usable()) continue;
      const uint32_t active = d.counters->sched_active_conns();
      if (active == 0) return static_cast<int32_t>(i);
      const uint64_t doh = uint64_t{active} + 1;
      if (least == kNoDest || loh * d.weight > doh * dests_[static_cast<size_t>(least)].weight) {
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

std::unique_ptr<Scheduler> make_nq(const SchedulerConfig& config) {
  return std::make_unique<NeverQueue>(config);
}

}  // namespace lb::sched
