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
// - only the control thread's sweeper deletes;
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
#pragma once

#include <atomic>
#include <cstdint>
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
  ConnTable(const std::string& name, uint32_t capacity, int socket, rte_rcu_qsbr* qsbr);
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

  // Creates and publishes the connection for a new flow's first packet.
  // On failure returns nullptr and sets `why` (conn_table_full or conn_conflict).
  conn::Connection* create(const packet::FlowKeyV4& key, uint32_t hash, const sched::Dest& dest,
                           uint32_t service_id, uint8_t tcp_flags, uint64_t now_ms,
                           const conn::Timeouts& timeouts, Drop& why) noexcept;

  // --- control thread ---
  // Examines up to `budget` pool slots from where the last call stopped and
  // expires those that are due. Returns how many it expired.
  uint32_t expire(uint64_t now_ms, uint32_t budget) noexcept;

  struct Stats {
    uint32_t capacity;
    uint32_t in_use;   // live connections
    uint32_t retired;  // expired, waiting for their grace period
    uint64_t expired;  // since start
  };
  Stats stats() const noexcept;
  uint32_t capacity() const noexcept { return capacity_; }
  size_t bytes_per_connection() const noexcept;

  // Visits every connection in use (control thread; fields may change under it).
  template <class F>
  void for_each(F&& f) const {
    for (uint32_t i = 0; i < capacity_; ++i) {
      const uint8_t st = pool_[i].state.load(std::memory_order_acquire);
      if (st != conn::kStateFree && st != conn::kStateDead) f(pool_[i]);
    }
  }

 private:
  static void key_reclaimed(void* self, void* key_data);
  void release_unpublished(uint32_t index) noexcept;
  void free_record(uint32_t index) noexcept;

  uint32_t capacity_;
  rte_hash* hash_ = nullptr;
  rte_ring* free_ = nullptr;
  conn::Connection* pool_ = nullptr;
  uint32_t sweep_cursor_ = 0;
  std::atomic<uint64_t> expired_{0};
  std::atomic<uint64_t> retired_count_{0};
  std::atomic<uint64_t> reclaimed_count_{0};
};

}  // namespace lb::dataplane
