// A real server as schedulers and workers see it.
//
// DestCounters is the part that outlives configuration snapshots (the kernel's
// struct ip_vs_dest counters and flags): connections keep pointing at it after
// their real server is edited or removed. Any worker may update it; all
// fields are atomics with relaxed ordering because they are statistics and
// scheduling hints, never used to publish other memory.
//
// Two views of the connection counts:
// - the real counts, `active` and `total`, are what ipvsadm shows
//   (ActiveConn, InActConn = total - active) and what thresholds compare;
// - the scheduling view, `sched_active` and `sched_total`, is what the
//   least-connection family reads. It equals the real counts except after a
//   Piranha "quiesce server" reset, which zeroes it and bumps `generation`:
//   connections bound before the reset remember the old generation and no
//   longer touch the scheduling view. (A bind racing with a reset can leave
//   the view one off; reads clamp at zero.)
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

#include <lb/packet/addr.h>
#include <lb/sched/model.h>

namespace lb::sched {

struct alignas(64) DestCounters {
  std::atomic<uint32_t> active{0};   // connections in an active TCP state
  std::atomic<uint32_t> total{0};    // every connection bound to the dest
  std::atomic<uint32_t> persist{0};  // persistence templates bound to the dest
  std::atomic<int32_t> sched_active{0};
  std::atomic<int32_t> sched_total{0};
  std::atomic<uint32_t> generation{0};
  std::atomic<bool> overloaded{false};  // IP_VS_DEST_F_OVERLOAD
  std::atomic<uint32_t> upper_threshold{0};
  std::atomic<uint32_t> lower_threshold{0};
  // In its service in the published configuration (the kernel's
  // IP_VS_DEST_F_AVAILABLE): false once removed, until it is added again.
  std::atomic<bool> in_service{false};

  // --- what ipvsadm shows ---
  uint32_t active_conns() const noexcept { return active.load(std::memory_order_relaxed); }
  // InActConn: the kernel (6.12.105+) derives it as total - active, never below 0.
  uint32_t inactive_conns() const noexcept {
    const uint32_t t = total.load(std::memory_order_relaxed);
    const uint32_t a = active.load(std::memory_order_relaxed);
    return t > a ? t - a : 0;
  }

  // --- what schedulers read ---
  uint32_t sched_active_conns() const noexcept {
    return static_cast<uint32_t>(std::max(sched_active.load(std::memory_order_relaxed), 0));
  }
  uint32_t sched_total_conns() const noexcept {
    return static_cast<uint32_t>(std::max(sched_total.load(std::memory_order_relaxed), 0));
  }
  uint32_t sched_inactive_conns() const noexcept {
    const uint32_t t = sched_total_conns();
    const uint32_t a = sched_active_conns();
    return t > a ? t - a : 0;
  }
  // ip_vs_dest_conn_overhead (Linux 6.12.105+): activeconns * 256 + totalconns.
  uint64_t overhead() const noexcept {
    return uint64_t{sched_active_conns()} * 256 + sched_total_conns();
  }

  // --- binding, by the connection's owner ---
  // A new connection (active when its first packet made it so). Returns the
  // generation the connection must hand back to unbind()/set_active().
  uint32_t bind(bool is_active) noexcept {
    const uint32_t now_total = total.fetch_add(1, std::memory_order_relaxed) + 1;
    if (is_active) active.fetch_add(1, std::memory_order_relaxed);
    sched_total.fetch_add(1, std::memory_order_relaxed);
    if (is_active) sched_active.fetch_add(1, std::memory_order_relaxed);
    const uint32_t u = upper_threshold.load(std::memory_order_relaxed);
    if (u != 0 && now_total == u) update_overload(+1);
    return generation.load(std::memory_order_relaxed);
  }
  void unbind(bool was_active, uint32_t gen) noexcept {
    if (was_active) active.fetch_sub(1, std::memory_order_relaxed);
    const uint32_t before = total.fetch_sub(1, std::memory_order_relaxed);
    if (gen == generation.load(std::memory_order_relaxed)) {
      sched_total.fetch_sub(1, std::memory_order_relaxed);
      if (was_active) sched_active.fetch_sub(1, std::memory_order_relaxed);
    }
    if (upper_threshold.load(std::memory_order_relaxed) != 0 && before == lower_limit()) {
      update_overload(-1);
    }
  }
  // A connection crossed between an active and an inactive TCP state.
  void set_active(bool now_active, uint32_t gen) noexcept {
    const int32_t d = now_active ? 1 : -1;
    active.fetch_add(static_cast<uint32_t>(d), std::memory_order_relaxed);
    if (gen == generation.load(std::memory_order_relaxed)) {
      sched_active.fetch_add(d, std::memory_order_relaxed);
    }
  }

  // --- control plane ---
  // ipvsadm -x/-y on add or edit; the overload flag then reflects the
  // current count (6.12.105+ semantics).
  void set_thresholds(uint32_t upper, uint32_t lower) noexcept {
    const bool changed = upper != upper_threshold.load(std::memory_order_relaxed) ||
                         lower != lower_threshold.load(std::memory_order_relaxed);
    upper_threshold.store(upper, std::memory_order_relaxed);
    lower_threshold.store(lower, std::memory_order_relaxed);
    if (changed) update_overload(0);
  }
  // Quiesce server: least-connection accounting starts again from zero.
  void reset_scheduling_view() noexcept {
    generation.fetch_add(1, std::memory_order_relaxed);
    sched_active.store(0, std::memory_order_relaxed);
    sched_total.store(0, std::memory_order_relaxed);
  }

 private:
  // The count below which an overloaded server is available again: the lower
  // threshold, or 3/4 of the upper one (u - u/4, ip_vs_ctl.c).
  uint32_t lower_limit() const noexcept {
    const uint32_t l = lower_threshold.load(std::memory_order_relaxed);
    const uint32_t u = upper_threshold.load(std::memory_order_relaxed);
    return l != 0 ? l : u - (u >> 2);
  }
  // __ip_vs_dest_update_overload: mode +1 after a bind reached the upper
  // threshold, -1 before an unbind from the lower limit, 0 on edit.
  void update_overload(int mode) noexcept {
    const uint32_t u = upper_threshold.load(std::memory_order_relaxed);
    if (u == 0) {
      overloaded.store(false, std::memory_order_relaxed);
      return;
    }
    const uint32_t l = lower_limit();
    const uint32_t conns = total.load(std::memory_order_relaxed);
    if (conns >= (mode > 0 ? l : u)) {
      overloaded.store(true, std::memory_order_relaxed);
    } else if (conns < (mode < 0 ? u : l)) {
      overloaded.store(false, std::memory_order_relaxed);
    }
  }
};

// One entry of a service's destination list in a snapshot. Immutable.
struct Dest {
  uint32_t id = 0;  // slot in the DestRegistry; stable across snapshots
  packet::Ipv4Addr addr;
  uint16_t port_be = 0;  // network order, ready to write into headers; 0 = the packet's port
  uint32_t weight = 0;
  // The latest non-zero weight (the kernel's last_weight): mh keeps a
  // quiesced server's table slots with it.
  uint32_t last_weight = 0;
  ForwardMethod forward = ForwardMethod::kNat;
  DestCounters* counters = nullptr;

  // The test most kernel schedulers apply: weight > 0 and not over its
  // connection threshold.
  bool usable() const noexcept {
    return weight > 0 && !counters->overloaded.load(std::memory_order_relaxed);
  }
  bool overloaded() const noexcept { return counters->overloaded.load(std::memory_order_relaxed); }
};

}  // namespace lb::sched
