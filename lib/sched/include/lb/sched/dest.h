// A real server as schedulers and workers see it.
//
// DestCounters is the part that outlives configuration snapshots (the kernel's
// struct ip_vs_dest counters): connections keep pointing at it after their
// real server is edited or removed. Any worker may update it; all fields are
// atomics with relaxed ordering because they are statistics and scheduling
// hints, never used to publish other memory.
#pragma once

#include <atomic>
#include <cstdint>

#include <lb/packet/addr.h>
#include <lb/sched/model.h>

namespace lb::sched {

struct alignas(64) DestCounters {
  std::atomic<uint32_t> active{0};      // connections in an active TCP state
  std::atomic<uint32_t> total{0};       // every connection bound to the dest
  std::atomic<uint32_t> persist{0};     // persistence templates
  std::atomic<bool> overloaded{false};  // upper connection threshold reached

  uint32_t active_conns() const noexcept { return active.load(std::memory_order_relaxed); }
  // InActConn: the kernel (6.12.105+) derives it as total - active, never below 0.
  uint32_t inactive_conns() const noexcept {
    const uint32_t t = total.load(std::memory_order_relaxed);
    const uint32_t a = active.load(std::memory_order_relaxed);
    return t > a ? t - a : 0;
  }
  // ip_vs_dest_conn_overhead (Linux 6.12.105+): activeconns * 256 + totalconns.
  uint64_t overhead() const noexcept {
    return uint64_t{active.load(std::memory_order_relaxed)} * 256 +
           total.load(std::memory_order_relaxed);
  }
};

// One entry of a service's destination list in a snapshot. Immutable.
struct Dest {
  uint32_t id = 0;  // slot in the DestRegistry; stable across snapshots
  packet::Ipv4Addr addr;
  uint16_t port_be = 0;  // network order, ready to write into headers
  uint32_t weight = 0;
  ForwardMethod forward = ForwardMethod::kNat;
  DestCounters* counters = nullptr;

  // The test every kernel scheduler applies first: weight > 0 and not over
  // its connection threshold.
  bool usable() const noexcept {
    return weight > 0 && !counters->overloaded.load(std::memory_order_relaxed);
  }
};

}  // namespace lb::sched
