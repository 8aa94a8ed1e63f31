// The connection table: one rte_hash shared by every worker, whose values
// index a preallocated pool of Connection records.
//
// Keys: a connection's client-side key (client -> VIP) and, for NAT, its
// real-server-side key (real server -> client), so whichever worker RSS hands
// a reply to finds the connection: no NIC flow rules needed.
//
// Concurrency:
// - lookups are lock-free (RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF);
// - workers insert (create) concurrently (MULTI_WRITER_ADD: rte_hash takes an
//   internal writer lock for the insert only);
// - the control thread's sweeper deletes what is due; a worker deletes a
//   connection it must end at once (expire_now: a SYN reopening a closed
//   connection, a flush of a removed real server's connections). Whoever
//   wins the record's state compare-and-swap removes its keys, so a
//   connection is expired exactly once;
// - a deleted key's slot is reused only after every worker has reported a
//   quiescent state (rte_hash's RCU integration, defer-queue mode), and the
//   hash then calls us back for the key's data: a Connection goes back to the
//   free ring when the last of its keys is reclaimed, so a worker that found
//   a connection can use it until the end of its burst. Reclamation runs
//   inside later inserts and deletes (every delete tries), so retired records
//   wait at most until the next one.
// All writers must be EAL threads (rte_hash's per-lcore slot caches).
// Creation never races with itself for one flow: RSS sends every packet of a
// direction of a flow to one queue, and only client-side packets create.
// Persistence templates are different: one client's parallel connections
// reach several workers. rte_hash cannot add-if-absent, so template creation
// (a lookup miss, then schedule and insert) runs under one of 256 striped
// spinlocks, taken only after a lock-free lookup missed: once per client per
// persistence timeout, the same class of cost as rte_hash's own insert lock.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include <lb/conn/connection.h>
#include <lb/dataplane/counters.h>
#include <lb/sched/dest.h>

struct rte_hash;
struct rte_ring;
struct rte_rcu_qsbr;

namespace lb::dataplane {

class ConnTable {
 public:
  // The largest table lbd configures (connections.table_size).
  static constexpr uint32_t kMaxCapacity = 1u << 28;

  // `dest_counters`: the DestRegistry's slots, indexed by a template's slot.
  ConnTable(const std::string& name, uint32_t capacity, int socket, rte_rcu_qsbr* qsbr,
            sched::DestCounters* dest_counters);

  // The DPDK memory a table of `capacity` connections takes: the records,
  // their free ring and rte_hash's share for two keys each (key store,
  // buckets, extendable buckets, free-slot rings, RCU defer queue), following
  // rte_hash_create's sizing in DPDK 22.11. bytes_per_connection() reports
  // what a table really took; a test keeps the two in step.
  static size_t estimate_bytes(uint32_t capacity) noexcept;
  // The largest capacity whose estimate_bytes() fits `bytes` (0 if none).
  static uint32_t capacity_for(size_t bytes) noexcept;
  ~ConnTable();
  ConnTable(const ConnTable&) = delete;
  ConnTable& operator=(const ConnTable&) = delete;

  // --- workers ---
  uint32_t hash(const packet::FlowKeyV4& key) const noexcept;

  struct Found {
    conn::Connection* conn = nullptr;
    bool reply = false;  // matched the real-server-side key
  };
  Found lookup(const packet::FlowKeyV4& key, uint32_t hash) const noexcept;

  // Creates and publishes the connection for a new flow's first packet, to
  // `dest` on port `rs_port_be`, controlled by template `control` (pool index
  // + 1, or 0). On failure returns nullptr and sets `why` (conn_table_full or
  // conn_conflict); the caller still owns its hold on the template.
  conn::Connection* create(const packet::FlowKeyV4& key, uint32_t hash, const sched::Dest& dest,
                           uint16_t rs_port_be, uint32_t control, uint8_t tcp_flags,
                           uint64_t now_ms, const conn::Timeouts& timeouts, Drop& why) noexcept;

  // Persistence templates. Under template_lock(hash of the template key):
  // look the key up again, and only if still absent create_template().
  class TemplateLock {
   public:
    explicit TemplateLock(std::atomic_flag& f) noexcept;
    ~TemplateLock() { flag_.clear(std::memory_order_release); }
    TemplateLock(const TemplateLock&) = delete;
    TemplateLock& operator=(const TemplateLock&) = delete;

   private:
    std::atomic_flag& flag_;
  };
  TemplateLock template_lock(uint32_t hash) noexcept {
    return TemplateLock(stripes_[hash % kStripes].flag);
  }
  // A template for `dest`, controlling one connection (n_control = 1).
  conn::Connection* create_template(const packet::FlowKeyV4& key, uint32_t hash,
                                    const sched::Dest& dest, uint32_t timeout_ms, uint64_t now_ms,
                                    Drop& why) noexcept;
  // Records where a datagram's later fragments go (see connection.h). An
  // existing record for the key (the sender reused the IP ID) is retargeted.
  // Returns false when the table is full.
  bool record_fragment(const packet::FlowKeyV4& key, uint32_t target_be,
                       sched::ForwardMethod method, bool rewrite_source, uint64_t now_ms) noexcept;
  uint32_t index_of(const conn::Connection& c) const noexcept {
    return static_cast<uint32_t>(&c - pool_);
  }
  conn::Connection& at(uint32_t index) noexcept { return pool_[index]; }

  // Ends a flow now, whatever its timer (workers and the control thread).
  // False when it was already dead (another thread expired it first).
  bool expire_now(conn::Connection& c) noexcept;

  // --- control thread ---
  // Examines up to `budget` pool slots from where the last call stopped and
  // expires those that are due - and, with `flush_removed`, flows whose real
  // server has left its service (expire_nodest_conn). Returns how many it
  // expired.
  uint32_t expire(uint64_t now_ms, uint32_t budget, bool flush_removed = false) noexcept;
  // The budget that examines the whole table about once a second when
  // expire() runs kSweepTicksPerSecond times a second (lbd's 10 ms tick).
  static constexpr uint32_t kSweepTicksPerSecond = 100;
  uint32_t sweep_budget() const noexcept {
    return std::max<uint32_t>(1024, capacity_ / kSweepTicksPerSecond);
  }

  struct Stats {
    uint32_t capacity;
    uint32_t in_use;             // live records: connections, templates, fragment records
    uint32_t retired;            // expired, waiting for their grace period
    uint64_t expired;            // connections the sweeper expired, since start
    uint64_t templates_expired;  // persistence templates the sweeper expired
    uint64_t flushed;            // connections it expired because their real server left
  };
  Stats stats() const noexcept;
  uint32_t capacity() const noexcept { return capacity_; }
  // DPDK memory the table took, measured at creation, per connection.
  size_t bytes_per_connection() const noexcept { return bytes_ / capacity_; }
  size_t bytes() const noexcept { return bytes_; }

  // Visits the records in use from pool slot `from` on, at most `max_slots`
  // slots, until `f` returns false: it did not take that record, which is
  // where the next scan starts (control thread; fields may change under it).
  // Returns the slot to continue from, capacity() when done.
  template <class F>
  uint32_t scan(uint32_t from, uint32_t max_slots, F&& f) const {
    uint32_t i = from;
    for (; i < capacity_ && i - from < max_slots; ++i) {
      const uint8_t st = pool_[i].state.load(std::memory_order_acquire);
      if (st != conn::kStateFree && st != conn::kStateDead && !f(pool_[i])) return i;
    }
    return i;
  }

 private:
  static constexpr uint32_t kStripes = 256;
  struct alignas(64) Stripe {
    std::atomic_flag flag = ATOMIC_FLAG_INIT;
  };

  static void key_reclaimed(void* self, void* key_data);
  void release_unpublished(uint32_t index) noexcept;
  void free_record(uint32_t index) noexcept;
  void expire_flow(uint32_t index) noexcept;
  void expire_template(uint32_t index) noexcept;
  void expire_key(uint32_t index) noexcept;
  void pump_reclaim() noexcept;

  uint32_t capacity_;
  rte_hash* hash_ = nullptr;
  rte_ring* free_ = nullptr;
  conn::Connection* pool_ = nullptr;
  sched::DestCounters* dest_counters_;
  std::unique_ptr<Stripe[]> stripes_;
  uint32_t sweep_cursor_ = 0;
  size_t bytes_ = 0;
  std::atomic<uint64_t> expired_{0};
  std::atomic<uint64_t> templates_expired_{0};
  std::atomic<uint64_t> flushed_{0};
  std::atomic<uint64_t> retired_count_{0};
  std::atomic<uint64_t> reclaimed_count_{0};
};

}  // namespace lb::dataplane
