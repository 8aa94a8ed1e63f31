#include <lb/dataplane/conn_table.h>

#include <algorithm>
#include <bit>
#include <new>
#include <stdexcept>

#include <fmt/format.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <lb/dataplane/heap_stats.h>

namespace lb::dataplane {

namespace {

// The hash value stores the pool index and which of the connection's keys it is.
constexpr uintptr_t encode(uint32_t index, bool reply) noexcept {
  return (uintptr_t{index} << 1) | (reply ? 1 : 0);
}

// The reclaim probe (see pump_reclaim): a key no packet can produce, whose
// data names no record.
constexpr uintptr_t kProbeData = ~uintptr_t{0};
constexpr packet::FlowKeyV4 probe_key() noexcept {
  packet::FlowKeyV4 k;
  k.pad[0] = 0xff;
  return k;
}
// Probe cycles per sweep tick at most: each reclaims up to
// RTE_HASH_RCU_DQ_RECLAIM_MAX (16) records.
constexpr uint32_t kMaxProbesPerTick = 256;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(fmt::format("{}: {}", what, rte_strerror(rte_errno)));
}

uint64_t pow2(uint64_t n) noexcept {
  return std::bit_ceil(std::max<uint64_t>(n, 1));
}

}  // namespace

size_t ConnTable::estimate_bytes(uint32_t capacity) noexcept {
  // rte_cuckoo_hash.c (22.11) with MULTI_WRITER_ADD, RW_CONCURRENCY_LF,
  // EXT_TABLE and a 16-byte key: key slots include every lcore's free-slot
  // cache; key entries are 8 bytes of data pointer plus the key, 16-aligned;
  // 8-entry buckets of one cache line, as many extendable ones; rings of
  // 4-byte indices; the RCU defer queue holds a 16-byte (token, entry) per
  // key slot. rte_malloc adds a 64-byte header and cache-line padding to
  // each allocation, which is noise at the sizes that matter.
  constexpr uint64_t kMaxLcore = RTE_MAX_LCORE, kCache = 64, kBucketEntries = 8;
  const uint64_t keys = 2 * uint64_t{capacity};
  const uint64_t slots = keys + (kMaxLcore - 1) * (kCache - 1) + 1;
  const uint64_t buckets = pow2(keys) / kBucketEntries;
  uint64_t bytes = 0;
  bytes += slots * 32;                    // key store
  bytes += pow2(slots) * 4;               // free key slots
  bytes += 2 * buckets * 64;              // buckets and extendable buckets
  bytes += pow2(buckets + 1) * 4;         // free extendable buckets
  bytes += slots * 4;                     // extendable buckets to free, per key slot
  bytes += pow2(slots + 1) * 16;          // RCU defer queue
  bytes += kMaxLcore * (kCache + 1) * 4;  // per-lcore free-slot caches
  bytes += uint64_t{capacity} * sizeof(conn::Connection);  // the records
  bytes += pow2(uint64_t{capacity} + 1) * 4;               // their free ring
  return static_cast<size_t>(bytes);
}

uint32_t ConnTable::capacity_for(size_t bytes) noexcept {
  // estimate_bytes grows with capacity: the largest fitting one by bisection.
  uint32_t lo = 0, hi = kMaxCapacity;
  while (lo < hi) {
    const uint32_t mid = lo + (hi - lo + 1) / 2;
    if (estimate_bytes(mid) <= bytes) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

ConnTable::TemplateLock::TemplateLock(std::atomic_flag& f) noexcept : flag_(f) {
  while (flag_.test_and_set(std::memory_order_acquire))
    rte_pause();
}

ConnTable::ConnTable(const std::string& name, uint32_t capacity, int socket, rte_rcu_qsbr* qsbr,
                     sched::DestCounters* dest_counters)
    : capacity_(capacity),
      dest_counters_(dest_counters),
      stripes_(std::make_unique<Stripe[]>(kStripes)) {
  const size_t before = heap_stats().allocated;
  rte_hash_parameters params{};
  const std::string hash_name = name + "_h";
  params.name = hash_name.c_str();
  params.entries = capacity * 2;  // NAT connections have two keys
  params.key_len = sizeof(packet::FlowKeyV4);
  params.hash_func = rte_hash_crc;
  params.hash_func_init_val = 0;
  params.socket_id = socket;
  // EXT_TABLE: every entry fits whatever the key distribution, so "full"
  // means full and never "unlucky bucket".
  params.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
                      RTE_HASH_EXTRA_FLAGS_MULTI_WRITER_ADD | RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
  hash_ = rte_hash_create(&params);
  if (hash_ == nullptr)
    fail(fmt::format("cannot create connection hash for {} connections", capacity));

  rte_hash_rcu_config rcu{};
  rcu.v = qsbr;
  rcu.mode = RTE_HASH_QSBR_MODE_DQ;
  rcu.trigger_reclaim_limit = 0;  // every delete reclaims what is due
  rcu.key_data_ptr = this;
  rcu.free_key_data_func = &ConnTable::key_reclaimed;
  if (rte_hash_rcu_qsbr_add(hash_, &rcu) != 0) fail("cannot attach RCU to the connection hash");

  void* mem = rte_zmalloc_socket("lbd_conn_pool", sizeof(conn::Connection) * capacity,
                                 alignof(conn::Connection), socket);
  if (mem == nullptr) {
    throw std::runtime_error(fmt::format("cannot allocate {} MiB for {} connections",
                                         sizeof(conn::Connection) * capacity >> 20, capacity));
  }
  pool_ = static_cast<conn::Connection*>(mem);
  for (uint32_t i = 0; i < capacity; ++i)
    new (&pool_[i]) conn::Connection();

  const std::string ring_name = name + "_free";
  free_ =
      rte_ring_create_elem(ring_name.c_str(), sizeof(uint32_t), capacity, socket, RING_F_EXACT_SZ);
  if (free_ == nullptr) fail("cannot create the connection free ring");
  for (uint32_t i = 0; i < capacity; ++i)
    rte_ring_enqueue_elem(free_, &i, sizeof(uint32_t));
  bytes_ = heap_stats().allocated - before;
}

ConnTable::~ConnTable() {
  rte_ring_free(free_);
  rte_free(pool_);
  rte_hash_free(hash_);
}

uint32_t ConnTable::hash(const packet::FlowKeyV4& key) const noexcept {
  return rte_hash_hash(hash_, &key);
}

ConnTable::Found ConnTable::lookup(const packet::FlowKeyV4& key, uint32_t hash) const noexcept {
  void* data = nullptr;
  if (rte_hash_lookup_with_hash_data(hash_, &key, hash, &data) < 0) return {};
  const auto v = reinterpret_cast<uintptr_t>(data);
  return {&pool_[v >> 1], (v & 1) != 0};
}

conn::Connection* ConnTable::create(const packet::FlowKeyV4& key, uint32_t hash,
                                    const sched::Dest& dest, uint16_t rs_port_be, uint32_t control,
                                    uint8_t tcp_flags, uint64_t now_ms,
                                    const conn::Timeouts& timeouts, Drop& why) noexcept {
  uint32_t index = 0;
  if (rte_ring_dequeue_elem(free_, &index, sizeof(uint32_t)) != 0) {
    why = Drop::conn_table_full;
    return nullptr;
  }
  conn::Connection& c = pool_[index];
  const bool nat = dest.forward == sched::ForwardMethod::kNat;
  c.table_keys.store(nat ? 2 : 1, std::memory_order_relaxed);
  c.open(key, dest, rs_port_be, control, tcp_flags, now_ms, timeouts);

  // The reply key goes in first: once the client key is visible, the flow's
  // next packets will be forwarded and replies must already be matched.
  if (nat) {
    const packet::FlowKeyV4 rk = c.reply_key();
    const uint32_t rh = rte_hash_hash(hash_, &rk);
    // Two flows whose replies would look identical (same client address and
    // port reaching one real server through two VIPs): the second cannot be
    // told apart on the way back, so it is refused, as IPVS would.
    if (rte_hash_lookup_with_hash(hash_, &rk, rh) >= 0) {
      why = Drop::conn_conflict;
      release_unpublished(index);
      return nullptr;
    }
    if (rte_hash_add_key_with_hash_data(hash_, &rk, rh,
                                        reinterpret_cast<void*>(encode(index, true))) < 0) {
      why = Drop::conn_table_full;
      release_unpublished(index);
      return nullptr;
    }
  }
  if (rte_hash_add_key_with_hash_data(hash_, &key, hash,
                                      reinterpret_cast<void*>(encode(index, false))) < 0) {
    why = Drop::conn_table_full;
    if (!nat) {
      release_unpublished(index);
      return nullptr;
    }
    // The reply key was visible: the record is freed when its slot is reclaimed.
    c.abandon();
    c.table_keys.store(1, std::memory_order_relaxed);
    retired_count_.fetch_add(1, std::memory_order_relaxed);
    const packet::FlowKeyV4 rk = c.reply_key();
    rte_hash_del_key(hash_, &rk);
    return nullptr;
  }
  return &c;
}

conn::Connection* ConnTable::create_template(const packet::FlowKeyV4& key, uint32_t hash,
                                             const sched::Dest& dest, uint32_t timeout_ms,
                                             uint64_t now_ms, Drop& why) noexcept {
  uint32_t index = 0;
  if (rte_ring_dequeue_elem(free_, &index, sizeof(uint32_t)) != 0) {
    why = Drop::conn_table_full;
    return nullptr;
  }
  conn::Connection& t = pool_[index];
  t.table_keys.store(1, std::memory_order_relaxed);
  t.open_template(key, dest, timeout_ms, now_ms);
  if (rte_hash_add_key_with_hash_data(hash_, &key, hash,
                                      reinterpret_cast<void*>(encode(index, false))) < 0) {
    why = Drop::conn_table_full;
    dest.counters->persist.fetch_sub(1, std::memory_order_relaxed);
    t.table_keys.store(0, std::memory_order_relaxed);
    free_record(index);
    return nullptr;
  }
  return &t;
}

bool ConnTable::record_fragment(const packet::FlowKeyV4& key, uint32_t target_be,
                                sched::ForwardMethod method, bool rewrite_source,
                                uint64_t now_ms) noexcept {
  const uint32_t hash = rte_hash_hash(hash_, &key);
  if (const Found f = lookup(key, hash); f.conn != nullptr) {
    // The sender reused the ID within the timeout: the newest first fragment
    // decides. A record being expired cannot be taken over (its key is still
    // in the table); the datagram's later fragments count as unknown.
    if (f.conn->state.load(std::memory_order_acquire) != conn::kStateFragment) return false;
    f.conn->retarget_fragment(target_be, method, rewrite_source, now_ms);
    return true;
  }
  uint32_t index = 0;
  if (rte_ring_dequeue_elem(free_, &index, sizeof(uint32_t)) != 0) return false;
  conn::Connection& r = pool_[index];
  r.table_keys.store(1, std::memory_order_relaxed);
  r.open_fragment(key, target_be, method, rewrite_source, now_ms);
  if (rte_hash_add_key_with_hash_data(hash_, &key, hash,
                                      reinterpret_cast<void*>(encode(index, false))) < 0) {
    r.table_keys.store(0, std::memory_order_relaxed);
    free_record(index);
    return false;
  }
  return true;
}

void ConnTable::release_unpublished(uint32_t index) noexcept {
  pool_[index].abandon();
  pool_[index].table_keys.store(0, std::memory_order_relaxed);
  free_record(index);
}

bool ConnTable::expire_now(conn::Connection& c) noexcept {
  if (!c.expire_now()) return false;
  expire_flow(index_of(c));
  return true;
}

uint32_t ConnTable::expire(uint64_t now_ms, uint32_t budget, bool flush_removed) noexcept {
  uint32_t expired = 0, templates = 0, flushed = 0;
  for (uint32_t n = 0; n < budget && n < capacity_; ++n) {
    const uint32_t i = sweep_cursor_;
    sweep_cursor_ = sweep_cursor_ + 1 == capacity_ ? 0 : sweep_cursor_ + 1;
    conn::Connection& c = pool_[i];
    if (c.expire_if_due(now_ms)) {
      expire_flow(i);
      ++expired;
    } else if (flush_removed && c.is_flow() &&
               !c.counters->in_service.load(std::memory_order_relaxed) && c.expire_now()) {
      expire_flow(i);
      ++flushed;
    } else if (c.expire_template_if_due(now_ms)) {
      expire_template(i);
      ++templates;
    } else if (c.expire_fragment_if_due(now_ms)) {
      expire_key(i);
    }
  }
  expired_.fetch_add(expired + flushed, std::memory_order_relaxed);
  templates_expired_.fetch_add(templates, std::memory_order_relaxed);
  flushed_.fetch_add(flushed, std::memory_order_relaxed);
  pump_reclaim();
  return expired + flushed + templates;
}

void ConnTable::pump_reclaim() noexcept {
  // rte_hash reclaims deleted keys (and so our records) only inside its
  // delete calls, at most 16 a call, and 22.11 has no call to reclaim
  // without deleting. A quiet table would keep its last retired records
  // until the next expiry - forever, in a full table whose flows have all
  // ended. Adding and deleting a probe key drives the reclaim instead; it
  // stops as soon as a round frees nothing (the grace period is not over).
  const packet::FlowKeyV4 key = probe_key();
  const uint32_t h = rte_hash_hash(hash_, &key);
  for (uint32_t n = 0; n < kMaxProbesPerTick; ++n) {
    const uint64_t before = reclaimed_count_.load(std::memory_order_relaxed);
    if (retired_count_.load(std::memory_order_relaxed) == before) return;
    if (rte_hash_add_key_with_hash_data(hash_, &key, h, reinterpret_cast<void*>(kProbeData)) < 0)
      return;
    rte_hash_del_key_with_hash(hash_, &key, h);
    if (reclaimed_count_.load(std::memory_order_relaxed) == before) return;
  }
}

void ConnTable::expire_flow(uint32_t index) noexcept {
  conn::Connection& c = pool_[index];
  if (c.control != 0) pool_[c.control - 1].release_template();
  // Reply key first: the client key's absence is what lets the flow be
  // created again, and by then nothing of the old connection may remain.
  if (c.forward == sched::ForwardMethod::kNat) {
    const packet::FlowKeyV4 rk = c.reply_key();
    rte_hash_del_key(hash_, &rk);
  }
  retired_count_.fetch_add(1, std::memory_order_relaxed);
  rte_hash_del_key(hash_, &c.client);
}

void ConnTable::expire_template(uint32_t index) noexcept {
  conn::Connection& t = pool_[index];
  dest_counters_[t.dest_slot.load(std::memory_order_acquire)].persist.fetch_sub(
      1, std::memory_order_relaxed);
  expire_key(index);
}

void ConnTable::expire_key(uint32_t index) noexcept {
  retired_count_.fetch_add(1, std::memory_order_relaxed);
  rte_hash_del_key(hash_, &pool_[index].client);
}

void ConnTable::key_reclaimed(void* self, void* key_data) {
  if (reinterpret_cast<uintptr_t>(key_data) == kProbeData) return;
  auto* table = static_cast<ConnTable*>(self);
  const auto index = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(key_data) >> 1);
  if (table->pool_[index].table_keys.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    table->free_record(index);
    table->reclaimed_count_.fetch_add(1, std::memory_order_relaxed);
  }
}

void ConnTable::free_record(uint32_t index) noexcept {
  pool_[index].state.store(conn::kStateFree, std::memory_order_release);
  rte_ring_enqueue_elem(free_, &index, sizeof(uint32_t));
}

ConnTable::Stats ConnTable::stats() const noexcept {
  const auto waiting = static_cast<uint32_t>(retired_count_.load(std::memory_order_relaxed) -
                                             reclaimed_count_.load(std::memory_order_relaxed));
  const uint32_t free_slots = rte_ring_count(free_);
  return {capacity_,
          capacity_ - free_slots - waiting,
          waiting,
          expired_.load(std::memory_order_relaxed),
          templates_expired_.load(std::memory_order_relaxed),
          flushed_.load(std::memory_order_relaxed)};
}

}  // namespace lb::dataplane
