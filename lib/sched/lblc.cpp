// lblc: locality-based least-connection, after net/netfilter/ipvs/ip_vs_lblc.c
// (Linux 6.12.105+).
//
// Key: the packet's destination address (for an ordinary VIP service every
// flow has the same key: "stick to one server until it is overloaded"). An
// entry whose server is in this snapshot's list, has weight > 0 and is not
// "overloaded-lblc" (active > weight while some server of the service has
// active * 2 < weight) is used as is and its lastuse touched; the cached
// server's own threshold OVERLOAD flag is not consulted, as in the kernel.
// Otherwise the wlc rule picks a server and the entry is created or
// repointed; no new entry once the table holds 24576, the server is still
// returned. A server removed from the service no longer resolves to an index
// (the kernel's AVAILABLE flag cleared), so its entries are rescheduled.
// Expiry: the kernel's 60 s timer, driven by maintain(): a full sweep of
// entries idle for lblc_expiration (24 h) every 30th run, otherwise, above
// 16384 entries, a partial sweep of entries idle for 6 min from the rover.
//
// Table: locality_table.h's lock-free index, one 64-bit word per entry
// holding the address and the server's registry slot (key << 32 | id << 1 |
// live), so a lookup reads key and server in one atomic load, and repointing
// is one compare-and-swap from the exact word read: it can never write into
// an entry that meanwhile expired and was reused for another key.
// Memory ordering: lastuse is stored before the claiming CAS and the word is
// loaded with acquire; claims and their duplicate check are seq_cst, so two
// workers creating the same key leave one entry (see locality_table.h).
//
// The table is held by a shared_ptr: a scheduler built for the same service
// in the next snapshot (SchedulerConfig::previous is an lblc) takes it over,
// as the kernel keeps its table when real servers change, while the old one
// keeps serving until it is retired. Entries name servers by registry slot,
// never by list index, since lists change between snapshots.
//
// Deviation from the kernel (whose buckets are unbounded lists): a bucket
// holds kWays = 64 entries (24 on average at the 24576 limit); a new key
// whose bucket is full gets no entry, as at the global limit. Memory: 1 MiB.
#include <stdexcept>

#include <lb/packet/addr.h>

#include "locality_table.h"

namespace lb::sched {

namespace {

using locality::Index;

class LocalityLeastConnection final : public locality::LocalityScheduler {
 public:
  explicit LocalityLeastConnection(const SchedulerConfig& config)
      : dests_(config.dests), slots_(config.dests) {
    for (const Dest& d : dests_) {
      if (d.id > 0x7fffffffu) throw std::invalid_argument("lblc: registry slot out of range");
    }
    if (auto* prev = dynamic_cast<LocalityLeastConnection*>(config.previous)) {
      table_ = prev->table_;
    } else {
      table_ = std::make_shared<Index>();
    }
  }

  int32_t pick(const PickInput& in) noexcept override {
    Index& t = *table_;
    const uint32_t key = packet::ntoh32(in.flow.dst);
    if (const Index::Found f = t.find(key)) {
      t.touch(f.slot, in.now_ms);
      const int32_t i = slots_.index_of(locality::payload_of(f.word));
      if (i != kNoDest && dests_[static_cast<size_t>(i)].weight > 0 &&
          !locality::overloaded(dests_, i)) {
        return i;
      }
    }
    const int32_t i = locality::least_weighted(dests_);
    if (i == kNoDest) return kNoDest;
    remember(t, key, dests_[static_cast<size_t>(i)].id, in.now_ms);
    return i;
  }

  void maintain(uint64_t now_ms) noexcept override {
    table_->maintain(now_ms, locality::kExpirationMs);
  }

  uint32_t cache_size() const noexcept override { return table_->size(); }

  std::optional<locality::Entry> inspect(uint32_t key) const override {
    const Index::Found f = table_->find(key);
    if (!f) return std::nullopt;
    return locality::Entry{{locality::payload_of(f.word)}, table_->lastuse(f.slot), 0};
  }

 private:
  // ip_vs_lblc_new: repoint the entry (kept as is when it already names
  // `id`), or create it. A few attempts cover the races with other workers
  // creating or repointing the same key; past them the entry is left to the
  // winner.
  static void remember(Index& t, uint32_t key, uint32_t id, uint64_t now_ms) noexcept {
    const uint64_t want = locality::live_word(key, id);
    for (int attempt = 0; attempt < 4; ++attempt) {
      if (Index::Found f = t.find(key)) {
        if (f.word == want) return;
        if (t.word(f.slot).compare_exchange_strong(f.word, want, std::memory_order_seq_cst)) {
          t.touch(f.slot, now_ms);
          return;
        }
        continue;
      }
      Index::Found created;
      const auto r = t.claim(
          key, now_ms, [want](uint64_t) { return want; }, [](uint32_t) {}, created);
      if (r != Index::Claim::kExists) return;
    }
  }

  std::span<const Dest> dests_;
  locality::SlotMap slots_;
  std::shared_ptr<Index> table_;
};

}  // namespace

std::unique_ptr<Scheduler> make_lblc(const SchedulerConfig& config) {
  return std::make_unique<LocalityLeastConnection>(config);
}

}  // namespace lb::sched
