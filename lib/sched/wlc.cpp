// wlc: weighted least-connection, the default scheduler, after
// net/netfilter/ipvs/ip_vs_wlc.c.
//
// `least` is the first usable dest (not overloaded, weight > 0); a later dest
// that is not overloaded replaces it when overhead/weight is strictly smaller,
// compared as 64-bit cross products (loh * w(dest) > doh * w(least)). Weight-0
// dests are not skipped after the first stage but can never win. Ties go to
// the earlier dest in the list. Overhead is active * 256 + total (6.12.105+).
//
// Stateless: reads the atomic counters, so any number of workers may call it.
#include <lb/sched/scheduler.h>

namespace lb::sched {

namespace {

class WeightedLeastConnection final : public Scheduler {
 public:
  explicit WeightedLeastConnection(const SchedulerConfig& config) : dests_(config.dests) {}

  int32_t pick(const PickInput&) noexcept override {
    size_t i = 0;
    while (i < dests_.size() && !dests_[i].usable())
      ++i;
    if (i == dests_.size()) return kNoDest;

    size_t least = i;
    uint64_t loh = dests_[least].counters->overhead();
    for (++i; i < dests_.size(); ++i) {
      const Dest& d = dests_[i];
      if (d.overloaded()) continue;
      const uint64_t doh = d.counters->overhead();
      if (loh * d.weight > doh * dests_[least].weight) {
        least = i;
        loh = doh;
      }
    }
    return static_cast<int32_t>(least);
  }

 private:
  std::span<const Dest> dests_;
};

}  // namespace

std::unique_ptr<Scheduler> make_wlc(const SchedulerConfig& config) {
  return std::make_unique<WeightedLeastConnection>(config);
}

}  // namespace lb::sched
