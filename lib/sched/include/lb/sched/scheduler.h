// The scheduler interface and the registry of schedulers by ipvsadm name.
//
// A scheduler is built by the control plane for one service in one snapshot,
// over that service's destination list (kernel order: newest first). Workers
// call pick() concurrently for new connections: implementations must be
// noexcept, lock-free and allocation-free. Mutable state (an rr cursor) is
// atomic; tables (dh/sh/mh) are built in the constructor and only read.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include <lb/packet/flow_key.h>
#include <lb/sched/dest.h>

namespace lb::sched {

inline constexpr int32_t kNoDest = -1;

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  // Index into the destination list, or kNoDest when no real server qualifies.
  virtual int32_t pick(const packet::FlowKeyV4& flow, uint32_t hash) noexcept = 0;
};

using SchedulerFactory = std::unique_ptr<Scheduler> (*)(std::span<const Dest> dests);

struct SchedulerInfo {
  std::string_view name;  // ipvsadm -s name
  SchedulerFactory make;
};

// Every registered scheduler, sorted by name.
std::span<const SchedulerInfo> schedulers() noexcept;
const SchedulerInfo* find_scheduler(std::string_view name) noexcept;

// Factories, one per scheduler file.
std::unique_ptr<Scheduler> make_rr(std::span<const Dest> dests);
std::unique_ptr<Scheduler> make_wlc(std::span<const Dest> dests);

}  // namespace lb::sched
