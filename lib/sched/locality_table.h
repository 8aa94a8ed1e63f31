// The lock-free index behind lblc and lblcr (private to lib/sched), and the
// pieces of ip_vs_lblc.c / ip_vs_lblcr.c the two schedulers share.
//
// Layout: the kernel's 1024 buckets (hash_32(ntohl(daddr), 10)), each a block
// of kWays fixed slots. Slot s has a 64-bit `word` and a `lastuse`:
//   word = key << 32 | payload << 1 | live      (key: the address, host order)
// lblc's payload is the cached real server's registry slot, lblcr's a
// per-slot generation that its set members carry (lblcr.cpp). A free slot
// has live = 0. Entries never move and no memory is ever reclaimed: a
// worker holding a stale slot number can only issue compare-and-swaps of the
// word (or lblcr member) it read, which fail once the slot changed hands (or,
// the same key back in the same slot, act on that key's entry as a fresh
// lookup would), and refresh a timestamp.
//
// Threads: find/touch/claim/release from any worker; maintain() from the
// control thread only (it owns rover/counter/timer). Ordering:
// - every word transition is a compare-and-swap; lastuse (and lblcr's
//   lastmod) are stored before the claiming CAS, and readers load the word
//   with acquire, so a new entry is never seen with a previous occupant's
//   times; lastuse itself is a relaxed timestamp (the kernel too writes
//   en->lastuse without a lock);
// - claim() and its duplicate check are seq_cst: of two workers creating the
//   same key at once (the kernel serialises them with sched_lock) at least
//   one sees the other's word after its own CAS, and a worker that sees
//   another copy frees its own, so no duplicate key survives (if both see
//   each other, both free: no entry, and the next pick creates it);
// - the entry count is reserved (fetch_add) before a claim, so it never
//   passes kEntryLimit however many workers create entries at once;
// - maintain() frees an entry only by a CAS from the exact word it judged
//   expired.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include <lb/sched/locality.h>
#include <lb/sched/scheduler.h>

namespace lb::sched::locality {

static_assert(std::atomic<uint64_t>::is_always_lock_free);

inline constexpr uint32_t kSlots = kBuckets * kWays;
inline constexpr uint32_t kNoSlot = ~uint32_t{0};

constexpr uint32_t key_of(uint64_t word) noexcept {
  return static_cast<uint32_t>(word >> 32);
}
constexpr uint32_t payload_of(uint64_t word) noexcept {
  return static_cast<uint32_t>(word >> 1) & 0x7fffffffu;
}
constexpr bool is_live(uint64_t word) noexcept {
  return (word & 1) != 0;
}
constexpr uint64_t live_word(uint32_t key, uint32_t payload) noexcept {
  return (uint64_t{key} << 32) | (uint64_t{payload & 0x7fffffffu} << 1) | 1;
}
// A freed slot keeps its payload (lblcr's generation) and drops key and flag.
constexpr uint64_t free_word(uint64_t word) noexcept {
  return word & 0xfffffffeULL;
}

class Index {
 public:
  struct Found {
    uint32_t slot = kNoSlot;
    uint64_t word = 0;
    explicit operator bool() const noexcept { return slot != kNoSlot; }
  };
  enum class Claim { kClaimed, kExists, kFull };

  Index()
      : words_(std::make_unique<std::atomic<uint64_t>[]>(kSlots)),
        lastuse_(std::make_unique<std::atomic<uint64_t>[]>(kSlots)) {}

  static uint32_t bucket(uint32_t key) noexcept { return kernel::hash_32(key, kTableBits); }

  Found find(uint32_t key) const noexcept {
    const uint32_t base = bucket(key) * kWays;
    for (uint32_t s = base; s < base + kWays; ++s) {
      const uint64_t w = words_[s].load(std::memory_order_acquire);
      if (is_live(w) && key_of(w) == key) return {s, w};
    }
    return {};
  }

  std::atomic<uint64_t>& word(uint32_t slot) noexcept { return words_[slot]; }
  uint64_t lastuse(uint32_t slot) const noexcept {
    return lastuse_[slot].load(std::memory_order_relaxed);
  }
  // en->lastuse = jiffies. Skipping equal or older stamps keeps a busy key
  // from bouncing its cache line between workers on every pick.
  void touch(uint32_t slot, uint64_t now_ms) noexcept {
    if (lastuse_[slot].load(std::memory_order_relaxed) < now_ms) {
      lastuse_[slot].store(now_ms, std::memory_order_relaxed);
    }
  }

  // A new entry for `key`: a free slot of its bucket gets make_word(free word)
  // after prepare(slot) stored what readers must see with it. kExists: the key
  // is (now) in the table, find it again; kFull: kEntryLimit reached or the
  // bucket's kWays slots all taken (the caller then keeps no entry, as the
  // kernel does at its limit).
  template <class MakeWord, class Prepare>
  Claim claim(uint32_t key, uint64_t now_ms, MakeWord make_word, Prepare prepare,
              Found& out) noexcept {
    if (entries_.fetch_add(1, std::memory_order_relaxed) >= kEntryLimit) {
      entries_.fetch_sub(1, std::memory_order_relaxed);
      return Claim::kFull;
    }
    const uint32_t base = bucket(key) * kWays;
    for (uint32_t s = base; s < base + kWays; ++s) {
      uint64_t cur = words_[s].load(std::memory_order_acquire);
      if (is_live(cur)) {
        if (key_of(cur) != key) continue;
        entries_.fetch_sub(1, std::memory_order_relaxed);
        return Claim::kExists;
      }
      lastuse_[s].store(now_ms, std::memory_order_relaxed);
      prepare(s);
      const uint64_t mine = make_word(cur);
      if (!words_[s].compare_exchange_strong(cur, mine, std::memory_order_seq_cst)) {
        if (is_live(cur) && key_of(cur) == key) {
          entries_.fetch_sub(1, std::memory_order_relaxed);
          return Claim::kExists;
        }
        continue;
      }
      for (uint32_t o = base; o < base + kWays; ++o) {
        const uint64_t other = words_[o].load(std::memory_order_seq_cst);
        if (o != s && is_live(other) && key_of(other) == key) {
          release(s, key);
          return Claim::kExists;
        }
      }
      touch(s, now_ms);  // in case a losing claimant's older stamp landed after ours
      out = {s, mine};
      return Claim::kClaimed;
    }
    entries_.fetch_sub(1, std::memory_order_relaxed);
    return Claim::kFull;
  }

  // Frees `slot` if it still holds `key` (whatever its payload became).
  void release(uint32_t slot, uint32_t key) noexcept {
    uint64_t cur = words_[slot].load(std::memory_order_acquire);
    while (is_live(cur) && key_of(cur) == key) {
      if (words_[slot].compare_exchange_weak(cur, free_word(cur), std::memory_order_seq_cst)) {
        entries_.fetch_sub(1, std::memory_order_relaxed);
        return;
      }
    }
  }

  uint32_t size() const noexcept {
    return static_cast<uint32_t>(std::max(entries_.load(std::memory_order_relaxed), 0));
  }

  // The kernel's periodic timer: runs check_expire once kCheckIntervalMs have
  // passed since the previous run (the first call starts the timer, as
  // init_svc's mod_timer does). Control thread only.
  void maintain(uint64_t now_ms, uint64_t expiration_ms) noexcept;

 private:
  // ip_vs_lblc_check_expire / ip_vs_lblcr_check_expire.
  void check_expire(uint64_t now_ms, uint64_t expiration_ms) noexcept;
  // Frees the entries of `bucket` idle for `idle_ms` or more; returns how many.
  int sweep_bucket(uint32_t bucket, uint64_t now_ms, uint64_t idle_ms) noexcept;

  std::unique_ptr<std::atomic<uint64_t>[]> words_;
  std::unique_ptr<std::atomic<uint64_t>[]> lastuse_;
  std::atomic<int32_t> entries_{0};
  // Control thread only.
  bool timer_started_ = false;
  uint64_t last_check_ms_ = 0;
  uint32_t rover_ = 0;
  int counter_ = 1;
};

// Registry slot -> index in the current destination list; a slot that is not
// in the list is the kernel's deleted dest (AVAILABLE cleared).
class SlotMap {
 public:
  explicit SlotMap(std::span<const Dest> dests);
  int32_t index_of(uint32_t id) const noexcept { return id < map_.size() ? map_[id] : kNoDest; }

 private:
  std::vector<int32_t> map_;
};

// __ip_vs_lblc_schedule / __ip_vs_lblcr_schedule: the wlc rule over the whole
// service (skip OVERLOAD; the first stage needs weight > 0; then strictly
// smaller overhead/weight, ties to the earlier dest).
int32_t least_weighted(std::span<const Dest> dests) noexcept;

// is_overloaded (ip_vs_lblc.c:464-477): more active connections than its
// weight while some dest of the service (any: weight 0 or OVERLOAD too) has
// active * 2 < weight.
bool overloaded(std::span<const Dest> dests, int32_t i) noexcept;

// What lblc and lblcr expose to locality::entries() / lookup().
class LocalityScheduler : public Scheduler {
 public:
  virtual uint32_t cache_size() const noexcept = 0;
  virtual std::optional<Entry> inspect(uint32_t key) const = 0;
};

}  // namespace lb::sched::locality
