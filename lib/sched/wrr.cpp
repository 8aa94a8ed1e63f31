// wrr: weighted round robin, after net/netfilter/ipvs/ip_vs_wrr.c.
//
// The kernel keeps a cursor `cl` (a dest, or the list head) and a current
// weight `cw`. A call walks from the dest after `cl` to the tail taking the
// first dest that is not overloaded with weight >= cw; at the tail cw drops by
// di (the gcd of the positive weights) and the walk restarts at the head;
// when cw would reach 0 it wraps to mw (max weight - (di - 1), so the last
// pass is cw = 1). A call fails (kNoDest) once every dest was tested at the
// last pass; a weight-0 dest never qualifies since cw >= 1.
//
// Configuration changes: the kernel calls ip_vs_wrr_dest_changed on every
// dest add/del/edit, which resets cl to the head and keeps cw (clamped to the
// new mw, or rounded to the new di). A new snapshot reproduces that:
// - no previous scheduler: the service was created empty and its real
//   servers added one by one in configuration order, each add running
//   dest_changed (this is what leaves cw = 1 in most services);
// - a previous wrr over the same list (same servers, order, weights, ports and
//   forwarding): nothing was edited, the cursor carries on untouched;
// - a previous wrr over a different list: dest_changed once;
// - a previous scheduler of another kind (ipvsadm -E -s wrr on a populated
//   service): ip_vs_wrr_init_svc over the current list, cl = head, cw = mw.
// The previous state is read once, here; picks the old snapshot still makes
// afterwards (workers switch over within an RCU grace period) are not seen,
// as if they had happened before the kernel's configuration change.
//
// Concurrency: cl and cw live in one atomic word, advanced by compare-and-swap
// in place of the kernel's sched_lock, so the global sequence is exactly the
// kernel's however many workers call pick(). Relaxed ordering: the word
// publishes no other memory.
#include <algorithm>
#include <atomic>
#include <numeric>

#include <lb/sched/scheduler.h>

namespace lb::sched {

namespace {

struct Weights {
  int64_t di = 1;  // gcd of the positive weights, 1 if none
  int64_t mw = 0;  // max weight - (di - 1)
};

// ip_vs_wrr_gcd_weight and ip_vs_wrr_max_weight over a (sub)list.
Weights weights_of(std::span<const Dest> dests) {
  int64_t g = 0;
  int64_t max = 0;
  for (const Dest& d : dests) {
    const int64_t w = d.weight;
    if (w > 0) g = g > 0 ? std::gcd(w, g) : w;
    max = std::max(max, w);
  }
  Weights out;
  out.di = g != 0 ? g : 1;
  out.mw = max - (out.di - 1);
  return out;
}

// The cw part of ip_vs_wrr_dest_changed.
int64_t changed_cw(int64_t cw, const Weights& w) {
  if (cw > w.mw || cw == 0) return w.mw;
  if (w.di > 1) return (cw / w.di) * w.di + 1;
  return cw;
}

class WeightedRoundRobin final : public Scheduler {
 public:
  explicit WeightedRoundRobin(const SchedulerConfig& config)
      : dests_(config.dests), weights_(weights_of(config.dests)) {
    state_.store(initial_state(config), std::memory_order_relaxed);
  }

  int32_t pick(const PickInput&) noexcept override {
    uint64_t state = state_.load(std::memory_order_relaxed);
    for (;;) {
      int32_t chosen = kNoDest;
      const uint64_t next = schedule(state, chosen);
      if (next == state) return chosen;
      if (state_.compare_exchange_weak(state, next, std::memory_order_relaxed)) return chosen;
    }
  }

 private:
  static constexpr int32_t kHead = -1;

  // cl + 1 in the high half (0 = the list head), cw in the low half.
  static uint64_t pack(int32_t cl, int64_t cw) noexcept {
    return (uint64_t{static_cast<uint32_t>(cl + 1)} << 32) | static_cast<uint32_t>(cw);
  }
  static int32_t cl_of(uint64_t state) noexcept { return static_cast<int32_t>(state >> 32) - 1; }
  static int64_t cw_of(uint64_t state) noexcept { return static_cast<uint32_t>(state); }

  uint64_t initial_state(const SchedulerConfig& config) const {
    if (config.previous == nullptr) {
      // ip_vs_wrr_init_svc on the empty service (di 1, mw 0, cw 0), then one
      // dest_changed per add. Configuration order is the reverse of the list:
      // after k adds the list is its last k entries.
      int64_t cw = 0;
      for (size_t k = 1; k <= dests_.size(); ++k)
        cw = changed_cw(cw, weights_of(dests_.subspan(dests_.size() - k)));
      return pack(kHead, cw);
    }
    const auto* prev = dynamic_cast<const WeightedRoundRobin*>(config.previous);
    if (prev == nullptr) return pack(kHead, weights_.mw);
    const uint64_t prev_state = prev->state_.load(std::memory_order_relaxed);
    if (same_list(prev->dests_, dests_)) return prev_state;
    return pack(kHead, changed_cw(cw_of(prev_state), weights_));
  }

  // Whether the kernel would have run dest_changed between the two lists.
  static bool same_list(std::span<const Dest> a, std::span<const Dest> b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const Dest& x, const Dest& y) {
      return x.id == y.id && x.weight == y.weight && x.port_be == y.port_be &&
             x.forward == y.forward;
    });
  }

  // One ip_vs_wrr_schedule call from `state`: sets `chosen` and returns the
  // state after it (on failure too: the kernel moves cl and resets cw).
  uint64_t schedule(uint64_t state, int32_t& chosen) const noexcept {
    chosen = kNoDest;
    if (weights_.mw == 0) return state;
    const auto n = static_cast<int32_t>(dests_.size());
    const int32_t last = cl_of(state);
    int64_t cw = cw_of(state);
    int32_t dest = last;
    int32_t stop = kHead - 1;  // none
    bool last_pass = false;
    bool restarted = false;
    for (;;) {
      for (int32_t i = dest + 1; i < n; ++i) {
        const Dest& d = dests_[static_cast<size_t>(i)];
        if (!d.overloaded() && int64_t{d.weight} >= cw) {
          chosen = i;
          return pack(i, cw);
        }
        if (i == stop) return pack(i, cw);
      }
      dest = kHead;
      cw -= weights_.di;
      if (cw <= 0) {
        cw = weights_.mw;
        // Every dest was already tested at the last pass (or the walk
        // started at the head, so the only pass covered them all).
        if (last_pass || last == kHead) return pack(kHead, cw);
        restarted = true;
      }
      last_pass = cw <= weights_.di;
      // The first last-pass walk only covered the dests after `last`: this
      // one ends with `last` itself.
      if (last_pass && restarted && last != kHead) stop = last;
    }
  }

  std::span<const Dest> dests_;
  Weights weights_;
  std::atomic<uint64_t> state_{0};
};

}  // namespace

std::unique_ptr<Scheduler> make_wrr(const SchedulerConfig& config) {
  return std::make_unique<WeightedRoundRobin>(config);
}

}  // namespace lb::sched
