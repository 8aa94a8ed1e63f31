// rr: round robin, after net/netfilter/ipvs/ip_vs_rr.c.
//
// The kernel keeps a pointer to the last chosen dest and scans from the one
// after it, wrapping, ending with the last chosen itself; the first usable
// dest (weight > 0, not overloaded) wins. Other weights are ignored.
//
// The cursor is shared by all workers, as the kernel's is shared by all CPUs:
// a compare-and-swap replaces the kernel's sched_lock, so the sequence stays
// exactly the kernel's however many workers schedule.
#include <atomic>

#include <lb/sched/scheduler.h>

namespace lb::sched {

namespace {

class RoundRobin final : public Scheduler {
 public:
  explicit RoundRobin(const SchedulerConfig& config) : dests_(config.dests) {}

  int32_t pick(const PickInput&) noexcept override {
    int32_t last = last_.load(std::memory_order_relaxed);
    for (;;) {
      const int32_t chosen = next_after(last);
      if (chosen == kNoDest) return kNoDest;
      if (last_.compare_exchange_weak(last, chosen, std::memory_order_relaxed)) return chosen;
    }
  }

  int32_t peek(const PickInput&) noexcept override {
    return next_after(last_.load(std::memory_order_relaxed));
  }

 private:
  // The first usable dest after `last`; from the head (last == -1) this is
  // one pass over the whole list.
  int32_t next_after(int32_t last) const noexcept {
    const auto n = static_cast<int32_t>(dests_.size());
    for (int32_t step = 1; step <= n; ++step) {
      const int32_t i = (last + step) % n;
      if (dests_[static_cast<size_t>(i)].usable()) return i;
    }
    return kNoDest;
  }

  std::span<const Dest> dests_;
  std::atomic<int32_t> last_{-1};  // -1: the list head (nothing chosen yet)
};

}  // namespace

std::unique_ptr<Scheduler> make_rr(const SchedulerConfig& config) {
  return std::make_unique<RoundRobin>(config);
}

}  // namespace lb::sched
