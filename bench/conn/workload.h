// The benchmark's connections: every key generated before anything is timed,
// and lbd's table filled, refilled and checked through its public interface.
// Main lcore only (the table's writers must be EAL threads).
//
// Every connection is NAT, so it has two keys (client side, real-server
// side): the worst case for the hash. Odd connections are created later than
// even ones, so a sweep at kDueAt expires exactly the even half while the odd
// half stays - what lets a lookup worker find every one of its keys while the
// sweeper deletes their neighbours.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <lb/dataplane/conn_table.h>

namespace lb::bench {

// Connections created at 0 are due at kDueAt, those created at kDueAt only at
// kAllDueAt (the UDP timeout later).
inline constexpr uint64_t kDueAt = uint64_t{1} << 40;
inline constexpr uint64_t kAllDueAt = 2 * kDueAt;

constexpr uint64_t created_at(uint32_t n) noexcept {
  return (n & 1) ? kDueAt : 0;
}
constexpr uint32_t due_half(uint32_t capacity) noexcept {
  return (capacity + 1) / 2;
}

struct Workload {
  uint32_t capacity = 0;
  std::vector<packet::FlowKeyV4> client;  // connection n's client key, in insert order
  std::vector<packet::FlowKeyV4> reply;   // its real-server-side key
  std::vector<packet::FlowKeyV4> hit;     // every key of every connection, shuffled
  std::vector<uint32_t> hit_id;           // hit[j] is connection hit_id[j] >> 1's, reply key if odd
  std::vector<packet::FlowKeyV4> stay;    // the keys of the odd connections, shuffled
  std::vector<packet::FlowKeyV4> miss;    // keys of no connection
};

// `misses`: how many absent keys to generate.
Workload make_workload(uint32_t capacity, uint64_t misses, std::mt19937_64& rng);

// One NAT real server, whose counters every connection binds.
struct Dests {
  Dests();
  sched::DestCounters counters;
  sched::Dest nat;
};

// lbd's table and the counters its records point at.
struct Lbd {
  Lbd(const std::string& name, uint32_t capacity, rte_rcu_qsbr* qsbr);
  std::unique_ptr<Dests> dests;
  std::unique_ptr<dataplane::ConnTable> table;
};

struct Fill {
  double ns = 0;         // per connection, the whole fill
  double last10_ns = 0;  // per connection, from 90 % to 100 % full
};

// Fills an empty table with every connection; `index[n]` receives
// connection n's record. A refused insert throws.
Fill timed_fill(Lbd& l, const Workload& w, std::vector<uint32_t>& index);
// Creates connections again after a sweep: the even ones, or all.
void refill(Lbd& l, const Workload& w, bool even_only);
// Every key of every connection finds its own record, from the right side.
void verify_all(Lbd& l, const Workload& w, const std::vector<uint32_t>& index);

}  // namespace lb::bench
