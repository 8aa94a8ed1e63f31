// The lblc/lblcr index's expiry (control thread) and the helpers the two
// schedulers share. See locality_table.h for the layout and memory ordering.
#include "locality_table.h"

#include <algorithm>

#include "least_weighted.h"

namespace lb::sched::locality {

void Index::maintain(uint64_t now_ms, uint64_t expiration_ms) noexcept {
  if (!timer_started_) {
    timer_started_ = true;
    last_check_ms_ = now_ms;
    return;
  }
  if (now_ms < last_check_ms_ + kCheckIntervalMs) return;
  last_check_ms_ = now_ms;
  check_expire(now_ms, expiration_ms);
}

int Index::sweep_bucket(uint32_t bucket, uint64_t now_ms, uint64_t idle_ms) noexcept {
  int removed = 0;
  for (uint32_t s = bucket * kWays; s < (bucket + 1) * kWays; ++s) {
    uint64_t w = words_[s].load(std::memory_order_acquire);
    if (!is_live(w)) continue;
    // time_before(now, en->lastuse + timeout): still fresh.
    if (now_ms < lastuse_[s].load(std::memory_order_relaxed) + idle_ms) continue;
    if (words_[s].compare_exchange_strong(w, free_word(w), std::memory_order_seq_cst)) {
      entries_.fetch_sub(1, std::memory_order_relaxed);
      ++removed;
    }
  }
  return removed;
}

void Index::check_expire(uint64_t now_ms, uint64_t expiration_ms) noexcept {
  constexpr uint32_t kMask = kBuckets - 1;
  if (counter_ % kCountForFullExpiration == 0) {
    // ip_vs_lblc_full_check: every bucket, from the one after the rover; the
    // rover ends where it started.
    for (uint32_t i = 0, j = rover_; i < kBuckets; ++i) {
      j = (j + 1) & kMask;
      sweep_bucket(j, now_ms, expiration_ms);
    }
    counter_ = 1;
    return;
  }
  const int32_t entries = entries_.load(std::memory_order_relaxed);
  if (entries <= kMaxSize) {
    ++counter_;
    return;
  }
  int goal = (entries - kMaxSize) * 4 / 3;
  if (goal > kMaxSize / 2) goal = kMaxSize / 2;
  uint32_t j = rover_;
  for (uint32_t i = 0; i < kBuckets; ++i) {
    j = (j + 1) & kMask;
    goal -= sweep_bucket(j, now_ms, kEntryTimeoutMs);
    if (goal <= 0) break;
  }
  rover_ = j;
}

SlotMap::SlotMap(std::span<const Dest> dests) {
  uint32_t max_id = 0;
  for (const Dest& d : dests)
    max_id = std::max(max_id, d.id);
  map_.assign(dests.empty() ? 0 : size_t{max_id} + 1, kNoDest);
  for (size_t i = 0; i < dests.size(); ++i)
    map_[dests[i].id] = static_cast<int32_t>(i);
}

int32_t least_weighted(std::span<const Dest> dests) noexcept {
  return sched::least_weighted(dests, connection_overhead);
}

bool overloaded(std::span<const Dest> dests, int32_t i) noexcept {
  const Dest& d = dests[static_cast<size_t>(i)];
  if (d.counters->sched_active_conns() <= d.weight) return false;
  return std::any_of(dests.begin(), dests.end(), [](const Dest& o) {
    return uint64_t{o.counters->sched_active_conns()} * 2 < o.weight;
  });
}

std::optional<uint32_t> entries(const Scheduler& s) noexcept {
  const auto* l = dynamic_cast<const LocalityScheduler*>(&s);
  if (l == nullptr) return std::nullopt;
  return l->cache_size();
}

std::optional<Entry> lookup(const Scheduler& s, packet::Ipv4Addr dst) {
  const auto* l = dynamic_cast<const LocalityScheduler*>(&s);
  if (l == nullptr) return std::nullopt;
  return l->inspect(dst.host());
}

}  // namespace lb::sched::locality
