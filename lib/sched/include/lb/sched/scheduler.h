// The scheduler interface and the registry of schedulers by ipvsadm name.
//
// A scheduler is built by the control plane for one service in one snapshot,
// over that service's destination list in kernel order (newest real server
// first). Workers call pick() concurrently for new connections: it must be
// noexcept, lock-free and allocation-free. Mutable state (an rr cursor, an
// lblc table) is atomic; tables that depend only on the configuration (dh,
// sh, mh) are built in the constructor and only read.
//
// Concurrency with the kernel's single-CPU model: where the kernel keeps one
// cursor under a lock (rr, wrr), lbd keeps one cursor advanced by
// compare-and-swap, so every worker walks the same sequence the kernel would.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include <lb/packet/flow_key.h>
#include <lb/sched/dest.h>

namespace lb::sched {

inline constexpr int32_t kNoDest = -1;
// peek(): the answer depends on state only picking reveals (a random draw,
// a cursor or table a pick would also change).
inline constexpr int32_t kUnpredictable = -2;

class Scheduler;

struct SchedulerConfig {
  std::span<const Dest> dests;  // kernel order: newest first
  uint8_t flags = 0;            // SchedFlag bits (ipvsadm -b)
  // The same service's scheduler in the snapshot being replaced, or null.
  // Schedulers with state worth keeping across a configuration change (the
  // lblc/lblcr tables) take it over; others ignore it.
  Scheduler* previous = nullptr;
};

struct PickInput {
  // The packet's key as received: src = client, dst = the address it was
  // sent to (the VIP, or any address a firewall-mark rule matched), ports and
  // protocol in network order.
  const packet::FlowKeyV4& flow;
  uint32_t hash = 0;  // the connection table's hash of `flow`
  uint64_t now_ms = 0;
};

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  // Index into the destination list, or kNoDest when no real server qualifies.
  virtual int32_t pick(const PickInput& in) noexcept = 0;
  // What pick() would answer for `in` now, changing no state (lbctl lookup,
  // control thread): an index, kNoDest, or kUnpredictable.
  virtual int32_t peek(const PickInput& /*in*/) noexcept { return kUnpredictable; }
  // Control thread, every few milliseconds: expire cached state (lblc/lblcr
  // entries). Bounded work per call.
  virtual void maintain(uint64_t /*now_ms*/) noexcept {}
};

using SchedulerFactory = std::unique_ptr<Scheduler> (*)(const SchedulerConfig& config);

struct SchedulerInfo {
  std::string_view name;  // ipvsadm -s name
  SchedulerFactory make;
};

// Every registered scheduler, sorted by name.
std::span<const SchedulerInfo> schedulers() noexcept;
const SchedulerInfo* find_scheduler(std::string_view name) noexcept;

// Factories, one per scheduler file (<name>.cpp).
std::unique_ptr<Scheduler> make_dh(const SchedulerConfig& config);
std::unique_ptr<Scheduler> make_fo(const SchedulerConfig& config);
std::unique_ptr<Scheduler> make_lblc(const SchedulerConfig& config);
std::unique_ptr<Scheduler> make_lblcr(const SchedulerConfig& config);
std::unique_ptr<Scheduler> make_lc(const SchedulerConfig& config);
std::unique_ptr<Scheduler> make_mh(const SchedulerConfig& config);
std::unique_ptr<Scheduler> make_nq(const SchedulerConfig& config);
std::unique_ptr<Scheduler> make_ovf(const SchedulerConfig& config);
std::unique_ptr<Scheduler> make_rr(const SchedulerConfig& config);
std::unique_ptr<Scheduler> make_sed(const SchedulerConfig& config);
std::unique_ptr<Scheduler> make_sh(const SchedulerConfig& config);
std::unique_ptr<Scheduler> make_twos(const SchedulerConfig& config);
std::unique_ptr<Scheduler> make_wlc(const SchedulerConfig& config);
std::unique_ptr<Scheduler> make_wrr(const SchedulerConfig& config);

// Helpers the kernel's schedulers share (include/linux/hash.h, ip_vs_*.c).
namespace kernel {
// hash_32(v, bits) = (v * 0x61C88647 mod 2^32) >> (32 - bits).
constexpr uint32_t hash_32(uint32_t v, unsigned bits) noexcept {
  return (v * 0x61C88647u) >> (32 - bits);
}
}  // namespace kernel

}  // namespace lb::sched
