// twos: power of two choices, after net/netfilter/ipvs/ip_vs_twos.c.
//
// total = the sum of the weights of usable dests (not overloaded, weight > 0);
// no dest when there is none. r1 and r2 are independent uniform integers in
// [0, total] inclusive (get_random_u32_below(total + 1)). Walking the usable
// dests in list order and subtracting each weight from both, choice1 is the
// first dest where r1 <= 0, choice2 likewise (so the first dest gets w1 + 1 of
// the total + 1 outcomes, as in the kernel). choice2 wins when
// w2 * overhead1 > w1 * overhead2, else choice1. The kernel computes those
// products (and the overhead) in plain int, wrapping on overflow
// (-fno-strict-overflow); they are reproduced with the same 32-bit wrap.
//
// Non-deterministic like the kernel's: compare distributions, not sequences.
// The random numbers come from splitmix64 over a shared atomic counter mixed
// with the flow hash: lock-free, no allocation, uniform (Lemire's bounded
// draw with rejection, so no modulo bias). The counter is the only mutable
// state; relaxed ordering, it publishes nothing.
#include <atomic>

#include <lb/sched/scheduler.h>

namespace lb::sched {

namespace {

constexpr uint64_t kGamma = 0x9e3779b97f4a7c15ull;

uint64_t mix64(uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// A splitmix64 stream local to one pick() call.
struct SplitMix {
  uint64_t state;
  uint64_t next() noexcept { return mix64(state += kGamma); }

  // Uniform in [0, bound), bound >= 1.
  uint64_t below(uint64_t bound) noexcept {
    // Weight sums past 2^32 (where the kernel's int sum has long overflowed).
    if (bound > UINT32_MAX) return next() % bound;
    // Lemire: the high half of x * bound, rejecting the few low halves that
    // would make some outcomes more likely than others.
    const auto b = static_cast<uint32_t>(bound);
    uint64_t m = (next() >> 32) * b;
    if (static_cast<uint32_t>(m) < b) {
      const uint32_t threshold = static_cast<uint32_t>(-b) % b;
      while (static_cast<uint32_t>(m) < threshold)
        m = (next() >> 32) * b;
    }
    return m >> 32;
  }
};

// The kernel's int arithmetic, wrapping.
int32_t as_int(uint64_t v) noexcept {
  return static_cast<int32_t>(static_cast<uint32_t>(v));
}
int32_t mul_int(int32_t a, int32_t b) noexcept {
  return static_cast<int32_t>(static_cast<uint32_t>(a) * static_cast<uint32_t>(b));
}

class TwoChoices final : public Scheduler {
 public:
  explicit TwoChoices(const SchedulerConfig& config) : dests_(config.dests) {}

  int32_t pick(const PickInput& in) noexcept override {
    // The first walk also leaves choice1 at the last usable dest, as the
    // kernel's does: it only matters if an overload flag flips between the
    // two walks and r1 never reaches 0.
    int32_t choice1 = kNoDest;
    uint64_t total = 0;
    for (size_t i = 0; i < dests_.size(); ++i) {
      if (!dests_[i].usable()) continue;
      total += dests_[i].weight;
      choice1 = static_cast<int32_t>(i);
    }
    if (choice1 == kNoDest) return kNoDest;

    // Each call seeds its own stream at a scrambled point, so consecutive
    // calls do not share values.
    SplitMix rng{
        mix64(seq_.fetch_add(kGamma, std::memory_order_relaxed) ^ (uint64_t{in.hash} << 32))};
    auto r1 = static_cast<int64_t>(rng.below(total + 1));
    auto r2 = static_cast<int64_t>(rng.below(total + 1));

    int32_t choice2 = kNoDest;
    int32_t weight1 = -1;
    int32_t weight2 = -1;
    int32_t overhead1 = 0;
    int32_t overhead2 = 0;
    for (size_t i = 0; i < dests_.size() && (weight1 == -1 || weight2 == -1); ++i) {
      const Dest& d = dests_[i];
      if (!d.usable()) continue;
      r1 -= d.weight;
      r2 -= d.weight;
      if (r1 <= 0 && weight1 == -1) {
        choice1 = static_cast<int32_t>(i);
        weight1 = as_int(d.weight);
        overhead1 = as_int(d.counters->overhead());
      }
      if (r2 <= 0 && weight2 == -1) {
        choice2 = static_cast<int32_t>(i);
        weight2 = as_int(d.weight);
        overhead2 = as_int(d.counters->overhead());
      }
    }
    if (choice2 != kNoDest && mul_int(weight2, overhead1) > mul_int(weight1, overhead2)) {
      return choice2;
    }
    return choice1;
  }

 private:
  std::span<const Dest> dests_;
  alignas(64) std::atomic<uint64_t> seq_{0};
};

}  // namespace

std::unique_ptr<Scheduler> make_twos(const SchedulerConfig& config) {
  return std::make_unique<TwoChoices>(config);
}

}  // namespace lb::sched
