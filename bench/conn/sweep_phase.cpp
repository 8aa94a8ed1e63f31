#include "sweep_phase.h"

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>

#include "bench_util.h"

namespace lb::bench {

namespace {

using dataplane::ConnTable;

constexpr uint32_t kBurst = 32;
constexpr uint32_t kMaxRounds = 200;

// One tick's time into the totals.
void add_tick(SweepTotals& s, double tick) {
  s.seconds += tick;
  s.longest_tick = std::max(s.longest_tick, tick);
}

// A whole pass done: every due connection must have been expired.
void end_pass(const ConnTable& t, uint64_t expired, uint32_t expect, SweepTotals& s) {
  if (expired != expect) {
    throw std::runtime_error(
        fmt::format("the sweeper expired {} connections, {} were due", expired, expect));
  }
  s.slots += t.capacity();
  s.expired += expired;
  ++s.rounds;
}

// One sweeper pass over every slot, in the control thread's steps, at `now`.
void sweep_pass(ConnTable& t, uint64_t now, uint32_t expect, SweepTotals& s) {
  const uint32_t budget = t.sweep_budget();
  uint64_t expired = 0;
  for (uint32_t left = t.capacity(); left > 0;) {
    const uint32_t b = std::min(budget, left);
    const auto t0 = Clock::now();
    expired += t.expire(now, b);
    add_tick(s, seconds(t0, Clock::now()));
    left -= b;
  }
  end_pass(t, expired, expect, s);
}

// Waits until every expired record is reclaimed (a grace period after its
// keys were deleted), driving the reclaim as an idle control thread does.
void drain(ConnTable& t, uint32_t live) {
  const auto t0 = Clock::now();
  while (t.stats().in_use != live || t.stats().retired != 0) {
    t.expire(0, 0);
    if (seconds(t0, Clock::now()) > 30) {
      throw std::runtime_error(
          fmt::format("{} expired records not reclaimed after 30 s", t.stats().retired));
    }
  }
}

struct WorkerState {
  const ConnTable* table = nullptr;
  const std::vector<packet::FlowKeyV4>* keys = nullptr;
  rte_rcu_qsbr* qsbr = nullptr;
  std::atomic<bool> stop{false};
  alignas(64) std::atomic<uint64_t> lookups{0};
  std::atomic<uint64_t> misses{0};
};

int lookup_worker(void* arg) {
  auto& s = *static_cast<WorkerState*>(arg);
  const ConnTable& t = *s.table;
  const std::vector<packet::FlowKeyV4>& keys = *s.keys;
  uint64_t lookups = 0, misses = 0;
  size_t j = 0;
  rte_rcu_qsbr_thread_online(s.qsbr, 0);
  while (!s.stop.load(std::memory_order_relaxed)) {
    for (uint32_t b = 0; b < kBurst; ++b) {
      const packet::FlowKeyV4& k = keys[j];
      j = j + 1 == keys.size() ? 0 : j + 1;
      misses += t.lookup(k, t.hash(k)).conn == nullptr;
    }
    lookups += kBurst;
    // End of the burst: nothing found above is used after this.
    rte_rcu_qsbr_quiescent(s.qsbr, 0);
    s.misses.store(misses, std::memory_order_relaxed);
    s.lookups.store(lookups, std::memory_order_relaxed);
  }
  rte_rcu_qsbr_thread_offline(s.qsbr, 0);
  return 0;
}

struct Count {
  Clock::time_point at;
  uint64_t lookups, misses;
};

// The worker, running on the second lcore from construction to destruction
// (which also ends it when a sweep throws).
class Worker {
 public:
  Worker(const ConnTable& t, const std::vector<packet::FlowKeyV4>& keys, rte_rcu_qsbr* qsbr) {
    state_.table = &t;
    state_.keys = &keys;
    state_.qsbr = qsbr;
    lcore_ = rte_get_next_lcore(-1, 1, 0);
    if (lcore_ >= RTE_MAX_LCORE) throw std::runtime_error("no second lcore for the lookup worker");
    if (rte_eal_remote_launch(lookup_worker, &state_, lcore_) != 0)
      throw std::runtime_error("cannot launch the lookup worker");
    while (state_.lookups.load(std::memory_order_relaxed) == 0)
      rte_pause();
  }
  ~Worker() {
    state_.stop = true;
    rte_eal_wait_lcore(lcore_);
  }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  Count count() const {
    return {Clock::now(), state_.lookups.load(std::memory_order_relaxed),
            state_.misses.load(std::memory_order_relaxed)};
  }

 private:
  WorkerState state_;
  unsigned lcore_ = 0;
};

// Lookups and misses over the sweeps only.
struct Window {
  double seconds = 0;
  uint64_t lookups = 0, misses = 0;
  void add(const Count& a, const Count& b) {
    seconds += bench::seconds(a.at, b.at);
    lookups += b.lookups - a.lookups;
    misses += b.misses - a.misses;
  }
  double mops() const { return seconds > 0 ? static_cast<double>(lookups) / seconds / 1e6 : 0; }
};

// The same pass with the worker watched: after each tick the main lcore
// spins (busy like a control thread, touching no memory) as long as the tick
// took, so the worker's rate during ticks and between them is measured at
// the same moments of a noisy machine and in the same table states.
void interleaved_pass(ConnTable& t, const Worker& worker, uint32_t expect, SweepTotals& s,
                      Window& during, Window& alone) {
  const uint32_t budget = t.sweep_budget();
  uint64_t expired = 0;
  for (uint32_t left = t.capacity(); left > 0;) {
    const uint32_t b = std::min(budget, left);
    const Count before = worker.count();
    expired += t.expire(kDueAt, b);
    const Count after = worker.count();
    left -= b;
    during.add(before, after);
    const double tick = seconds(before.at, after.at);
    add_tick(s, tick);
    while (seconds(after.at, Clock::now()) < tick)
      rte_pause();
    alone.add(after, worker.count());
  }
  end_pass(t, expired, expect, s);
}

bool enough(const SweepTotals& s, uint32_t window_ms) {
  return s.seconds * 1000 >= window_ms || s.rounds >= kMaxRounds;
}

}  // namespace

ConcurrentResult concurrent_phase(Lbd& l, const Workload& w, rte_rcu_qsbr* qsbr,
                                  uint32_t window_ms) {
  ConcurrentResult r;
  const auto timed = [](double& total, auto&& f) {
    const auto t0 = Clock::now();
    f();
    total += seconds(t0, Clock::now());
  };
  ConnTable& t = *l.table;
  const uint32_t cap = w.capacity;
  const uint32_t stay = cap - due_half(cap);
  {
    Worker worker(t, w.stay, qsbr);
    Window during, alone;
    for (;;) {
      interleaved_pass(t, worker, due_half(cap), r.half, during, alone);
      timed(r.drain_s, [&] { drain(t, stay); });
      timed(r.refill_s, [&] { refill(l, w, true); });
      if (enough(r.half, window_ms)) break;
    }
    r.alone_mops = alone.mops();
    r.during_mops = during.mops();
    // Over the whole run, refills (cuckoo moves under a lock-free reader)
    // included.
    if (const uint64_t missed = worker.count().misses; missed != 0) {
      throw std::runtime_error(
          fmt::format("the lookup worker missed {} keys of live connections", missed));
    }
  }
  {
    Worker worker(t, w.hit, qsbr);
    Window during;
    for (;;) {
      const Count b = worker.count();
      sweep_pass(t, kAllDueAt, cap, r.all_due);
      during.add(b, worker.count());
      timed(r.drain_s, [&] { drain(t, 0); });
      if (enough(r.all_due, window_ms)) break;
      timed(r.refill_s, [&] { refill(l, w, false); });
    }
    r.all_due_mops = during.mops();
    r.all_due_found = during.lookups != 0 ? 1 - static_cast<double>(during.misses) /
                                                    static_cast<double>(during.lookups)
                                          : 0;
  }
  do {
    timed(r.refill_s, [&] { refill(l, w, false); });
    sweep_pass(t, kAllDueAt, cap, r.no_reader);
    timed(r.drain_s, [&] { drain(t, 0); });
  } while (!enough(r.no_reader, window_ms));
  return r;
}

}  // namespace lb::bench
