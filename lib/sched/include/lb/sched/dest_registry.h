// DestRegistry: the control plane's allocator of DestCounters slots.
//
// A real server keeps its slot (and so its connection counters) across every
// snapshot in which it stays in its service, as the kernel keeps its struct
// ip_vs_dest. Slots live in one fixed array so their addresses never change
// while workers and connections point at them.
//
// Control thread only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <tuple>

#include <lb/sched/dest.h>

namespace lb::sched {

struct DestIdentity {
  Protocol protocol;
  uint32_t vip_host;
  uint16_t vport;
  uint32_t rip_host;
  uint16_t rport;
  friend auto operator<=>(const DestIdentity&, const DestIdentity&) = default;
};

class DestRegistry {
 public:
  explicit DestRegistry(uint32_t capacity);

  // The slot of this real server, allocated on first use. Throws
  // std::length_error when every slot is taken.
  uint32_t slot_for(const DestIdentity& identity);
  DestCounters& counters(uint32_t slot) noexcept { return slots_[slot]; }
  uint32_t capacity() const noexcept { return capacity_; }
  uint32_t used() const noexcept { return next_; }

 private:
  std::unique_ptr<DestCounters[]> slots_;
  uint32_t capacity_;
  uint32_t next_ = 0;
  std::map<DestIdentity, uint32_t> by_identity_;
};

}  // namespace lb::sched
