// lblcr: locality-based least-connection with replication, after
// net/netfilter/ipvs/ip_vs_lblcr.c (Linux 6.12.105+).
//
// Key: the packet's destination address, as lblc. Each entry holds a set of
// real servers in insertion order (newest member first) and `lastmod`, the
// time the set last changed. With an entry (lastuse touched):
// - dest = set_min: the first member not OVERLOAD, weight > 0 and in the
//   service, then strictly smaller overhead/weight among the members not
//   OVERLOAD and in the service (ties: the newer member);
// - if the set has more than one member and now > lastmod + expiration
//   (24 h), set_max is erased: the first member with weight > 0, then
//   strictly larger overhead/weight among members with weight > 0 (ties: the
//   newer member). `dest` is still used even when it was the one erased
//   (ip_vs_lblcr.c:664-681);
// - dest is used unless null or "overloaded-lblc" (as lblc); otherwise the
//   wlc rule over the whole service picks one and it joins the set (a member
//   already there: nothing changes, lastmod included).
// Without an entry: the wlc rule, and a new entry with that one server
// (none once the table holds 24576; the server is still returned).
//
// Table: locality_table.h's lock-free index (key, lastuse, the 60 s expiry
// driven by maintain(), take-over of the previous snapshot's table through a
// shared_ptr, exactly as lblc.cpp), plus per entry `lastmod` and a set of
// kSetBound member words:
//   member = generation:16 | seq:16 | (registry slot + 1):32,  0 = empty
// The entry's word carries a per-slot generation, bumped each time the slot
// is claimed; a member counts only when its generation matches, so a worker
// that read an entry which then expired and was reused cannot add to the new
// entry's set, and a new claimant clears older members. `seq` is one more
// than the newest member's at insertion and orders the set, compared modulo
// 2^16: the spread within a set is the number of insertions since its oldest
// member joined, at most 7 plus one per erasure (at most one per expiration
// period) or replaced departed server. Members are added and erased by
// compare-and-swap of the exact word read; after adding, a worker that sees
// the same server elsewhere in the set (another worker added it at the same
// moment) removes its own copy.
// Memory ordering: lastuse/lastmod are stored before the claiming CAS and the
// entry word is read with acquire, so a new entry is never seen with the
// previous occupant's times; member CASes and the duplicate check are
// seq_cst, so at least one of two racing adders sees the other. Erasing is
// claimed by a CAS on lastmod (lastmod -> now), so one worker per expiration
// period erases, as the kernel's sched_lock and its size re-check ensure.
//
// Deviations from the kernel, whose sets are unbounded lists: a set holds at
// most kSetBound = 8 members. A server that should join a full set replaces
// the oldest member whose server is no longer in the service, if any;
// otherwise it is used for this connection but not added (and lastmod is not
// touched), so the set stays the 8 servers that hold the locality. set_max
// cannot weigh a member whose server left the service (lbd's snapshot no
// longer has its weight): it treats it as weight 0, never erased by set_max.
// Buckets hold 64 entries as in lblc. Memory: 5.5 MiB per table.
#include <stdexcept>

#include <lb/packet/addr.h>

#include "locality_table.h"

namespace lb::sched {

namespace {

using locality::Index;
using locality::kSetBound;

constexpr uint16_t generation_of_entry(uint64_t word) noexcept {
  return static_cast<uint16_t>(locality::payload_of(word));
}

constexpr uint64_t member_word(uint16_t generation, uint16_t seq, uint32_t id) noexcept {
  return (uint64_t{generation} << 48) | (uint64_t{seq} << 32) | (uint64_t{id} + 1);
}
constexpr uint16_t member_generation(uint64_t m) noexcept {
  return static_cast<uint16_t>(m >> 48);
}
constexpr uint16_t member_seq(uint64_t m) noexcept {
  return static_cast<uint16_t>(m >> 32);
}
constexpr bool is_member(uint64_t m, uint16_t generation) noexcept {
  return static_cast<uint32_t>(m) != 0 && member_generation(m) == generation;
}
constexpr uint32_t member_id(uint64_t m) noexcept {
  return static_cast<uint32_t>(m) - 1;
}

struct Table {
  Index index;
  std::unique_ptr<std::atomic<uint64_t>[]> lastmod =
      std::make_unique<std::atomic<uint64_t>[]>(locality::kSlots);
  std::unique_ptr<std::atomic<uint64_t>[]> members =
      std::make_unique<std::atomic<uint64_t>[]>(size_t{locality::kSlots} * kSetBound);

  std::atomic<uint64_t>& member(uint32_t slot, uint32_t pos) noexcept {
    return members[size_t{slot} * kSetBound + pos];
  }
};

// A snapshot of one entry's set, newest member first.
struct Set {
  struct Member {
    uint32_t id;
    uint16_t seq;
    uint32_t pos;
    uint64_t word;
  };
  std::array<Member, kSetBound> m{};
  uint32_t n = 0;
};

class LocalityReplication final : public locality::LocalityScheduler {
 public:
  explicit LocalityReplication(const SchedulerConfig& config)
      : dests_(config.dests), slots_(config.dests) {
    for (const Dest& d : dests_) {
      if (d.id == 0xffffffffu) throw std::invalid_argument("lblcr: registry slot out of range");
    }
    if (auto* prev = dynamic_cast<LocalityReplication*>(config.previous)) {
      table_ = prev->table_;
    } else {
      table_ = std::make_shared<Table>();
    }
  }

  int32_t pick(const PickInput& in) noexcept override {
    Table& t = *table_;
    const uint32_t key = packet::ntoh32(in.flow.dst);
    const uint64_t now = in.now_ms;
    if (const Index::Found f = t.index.find(key)) {
      t.index.touch(f.slot, now);
      const uint16_t generation = generation_of_entry(f.word);
      const Set set = read_set(t, f.slot, generation);
      const int32_t dest = set_min(set);
      if (set.n > 1) shrink(t, f.slot, set, now);
      if (dest != kNoDest && !locality::overloaded(dests_, dest)) return dest;
      const int32_t least = locality::least_weighted(dests_);
      if (least == kNoDest) return kNoDest;
      insert(t, f.slot, generation, dests_[static_cast<size_t>(least)].id, now);
      return least;
    }
    const int32_t least = locality::least_weighted(dests_);
    if (least == kNoDest) return kNoDest;
    create(t, key, dests_[static_cast<size_t>(least)].id, now);
    return least;
  }

  void maintain(uint64_t now_ms) noexcept override {
    table_->index.maintain(now_ms, locality::kExpirationMs);
  }

  uint32_t cache_size() const noexcept override { return table_->index.size(); }

  std::optional<locality::Entry> inspect(uint32_t key) const override {
    Table& t = *table_;
    const Index::Found f = t.index.find(key);
    if (!f) return std::nullopt;
    const Set set = read_set(t, f.slot, generation_of_entry(f.word));
    locality::Entry e;
    for (uint32_t k = 0; k < set.n; ++k)
      e.dest_ids.push_back(set.m[k].id);
    e.lastuse_ms = t.index.lastuse(f.slot);
    e.lastmod_ms = t.lastmod[f.slot].load(std::memory_order_relaxed);
    return e;
  }

 private:
  static Set read_set(Table& t, uint32_t slot, uint16_t generation) noexcept {
    Set set;
    for (uint32_t pos = 0; pos < kSetBound; ++pos) {
      const uint64_t w = t.member(slot, pos).load(std::memory_order_acquire);
      if (!is_member(w, generation)) continue;
      // Insertion sort, newest (largest seq modulo 2^16) first.
      const Set::Member m{member_id(w), member_seq(w), pos, w};
      uint32_t k = set.n++;
      while (k > 0 && static_cast<int16_t>(m.seq - set.m[k - 1].seq) > 0) {
        set.m[k] = set.m[k - 1];
        --k;
      }
      set.m[k] = m;
    }
    return set;
  }

  // ip_vs_dest_set_min (ip_vs_lblcr.c:161-206).
  int32_t set_min(const Set& set) const noexcept {
    uint32_t k = 0;
    int32_t least = kNoDest;
    uint64_t loh = 0;
    for (; k < set.n; ++k) {
      const int32_t i = slots_.index_of(set.m[k].id);
      if (i == kNoDest) continue;  // not AVAILABLE
      const Dest& d = dests_[static_cast<size_t>(i)];
      if (d.overloaded()) continue;
      if (d.weight > 0) {
        least = i;
        loh = d.counters->overhead();
        ++k;
        break;
      }
    }
    if (least == kNoDest) return kNoDest;
    for (; k < set.n; ++k) {
      const int32_t i = slots_.index_of(set.m[k].id);
      if (i == kNoDest) continue;
      const Dest& d = dests_[static_cast<size_t>(i)];
      if (d.overloaded()) continue;
      const uint64_t doh = d.counters->overhead();
      if (loh * d.weight > doh * dests_[static_cast<size_t>(least)].weight) {
        least = i;
        loh = doh;
      }
    }
    return least;
  }

  // ip_vs_dest_set_max (ip_vs_lblcr.c:210-251): the member's position in
  // `set`, or -1.
  int set_max(const Set& set) const noexcept {
    uint32_t k = 0;
    int most = -1;
    uint32_t most_weight = 0;
    uint64_t moh = 0;
    for (; k < set.n; ++k) {
      const int32_t i = slots_.index_of(set.m[k].id);
      if (i == kNoDest) continue;  // weight unknown: as 0
      const Dest& d = dests_[static_cast<size_t>(i)];
      if (d.weight > 0) {
        most = static_cast<int>(k);
        most_weight = d.weight;
        moh = d.counters->overhead();
        ++k;
        break;
      }
    }
    if (most < 0) return -1;
    for (; k < set.n; ++k) {
      const int32_t i = slots_.index_of(set.m[k].id);
      if (i == kNoDest) continue;
      const Dest& d = dests_[static_cast<size_t>(i)];
      const uint64_t doh = d.counters->overhead();
      if (moh * d.weight < doh * most_weight && d.weight > 0) {
        most = static_cast<int>(k);
        most_weight = d.weight;
        moh = doh;
      }
    }
    return most;
  }

  // More than one member and now > lastmod + expiration: erase set_max.
  void shrink(Table& t, uint32_t slot, const Set& set, uint64_t now) const noexcept {
    uint64_t lastmod = t.lastmod[slot].load(std::memory_order_relaxed);
    if (now <= lastmod + locality::kExpirationMs) return;
    const int k = set_max(set);
    if (k < 0) return;
    if (!t.lastmod[slot].compare_exchange_strong(lastmod, now, std::memory_order_seq_cst)) return;
    const Set::Member& m = set.m[static_cast<size_t>(k)];
    uint64_t expected = m.word;
    t.member(slot, m.pos).compare_exchange_strong(expected, 0, std::memory_order_seq_cst);
  }

  // ip_vs_dest_set_insert(set, dest, check = true), bounded (see above).
  void insert(Table& t, uint32_t slot, uint16_t generation, uint32_t id,
              uint64_t now) const noexcept {
    for (int attempt = 0; attempt < 4; ++attempt) {
      const Set set = read_set(t, slot, generation);
      for (uint32_t k = 0; k < set.n; ++k) {
        if (set.m[k].id == id) return;
      }
      uint32_t pos = kSetBound;
      uint64_t expected = 0;
      for (uint32_t p = 0; p < kSetBound && pos == kSetBound; ++p) {
        const uint64_t w = t.member(slot, p).load(std::memory_order_acquire);
        if (!is_member(w, generation)) {
          pos = p;
          expected = w;
        }
      }
      for (uint32_t k = set.n; k-- > 0 && pos == kSetBound;) {
        if (slots_.index_of(set.m[k].id) == kNoDest) {
          pos = set.m[k].pos;
          expected = set.m[k].word;
        }
      }
      if (pos == kSetBound) return;  // full of servers in the service
      const uint16_t seq = set.n > 0 ? static_cast<uint16_t>(set.m[0].seq + 1) : 0;
      const uint64_t mine = member_word(generation, seq, id);
      if (!t.member(slot, pos).compare_exchange_strong(expected, mine, std::memory_order_seq_cst)) {
        continue;
      }
      t.lastmod[slot].store(now, std::memory_order_relaxed);
      for (uint32_t p = 0; p < kSetBound; ++p) {
        const uint64_t w = t.member(slot, p).load(std::memory_order_seq_cst);
        if (p != pos && is_member(w, generation) && member_id(w) == id) {
          uint64_t own = mine;
          t.member(slot, pos).compare_exchange_strong(own, 0, std::memory_order_seq_cst);
          return;
        }
      }
      return;
    }
  }

  // ip_vs_lblcr_new: a new entry with `id` as its only member, or, when the
  // key appeared meanwhile, `id` joins its set.
  void create(Table& t, uint32_t key, uint32_t id, uint64_t now) const noexcept {
    for (int attempt = 0; attempt < 4; ++attempt) {
      if (const Index::Found f = t.index.find(key)) {
        insert(t, f.slot, generation_of_entry(f.word), id, now);
        return;
      }
      Index::Found created;
      const auto r = t.index.claim(
          key, now,
          [key](uint64_t free) { return locality::live_word(key, locality::payload_of(free) + 1); },
          [&t, now](uint32_t slot) { t.lastmod[slot].store(now, std::memory_order_relaxed); },
          created);
      if (r == Index::Claim::kFull) return;
      if (r == Index::Claim::kClaimed) {
        const uint16_t generation = generation_of_entry(created.word);
        for (uint32_t p = 0; p < kSetBound; ++p) {
          uint64_t w = t.member(created.slot, p).load(std::memory_order_acquire);
          if (w != 0 && member_generation(w) != generation) {
            t.member(created.slot, p).compare_exchange_strong(w, 0, std::memory_order_seq_cst);
          }
        }
        insert(t, created.slot, generation, id, now);
        return;
      }
    }
  }

  std::span<const Dest> dests_;
  locality::SlotMap slots_;
  std::shared_ptr<Table> table_;
};

}  // namespace

std::unique_ptr<Scheduler> make_lblcr(const SchedulerConfig& config) {
  return std::make_unique<LocalityReplication>(config);
}

}  // namespace lb::sched
