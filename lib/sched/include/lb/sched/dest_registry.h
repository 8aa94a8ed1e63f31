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
#include <vector>

#include <lb/sched/dest.h>

namespace lb::sched {

// A real server within a service. Firewall-mark services use protocol 0,
// vip = the mark, vport = 0.
struct DestIdentity {
  uint8_t protocol;
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
  // The slots as one array: the data plane indexes it by slot (templates
  // store the slot of their server, which can change).
  DestCounters* base() noexcept { return slots_.get(); }
  uint32_t capacity() const noexcept { return capacity_; }
  uint32_t used() const noexcept { return next_; }
  // Which real server of which service a slot is (slot < used()).
  const DestIdentity& identity(uint32_t slot) const noexcept { return identities_[slot]; }

  // The kernel's last_weight: the weight the server was added with, then its
  // latest non-zero weight. last_weight_with() says what it would be with
  // `weight` without recording it; record_weight() records it.
  uint32_t last_weight_with(uint32_t slot, uint32_t weight) const noexcept;
  uint32_t record_weight(uint32_t slot, uint32_t weight);

 private:
  std::unique_ptr<DestCounters[]> slots_;
  std::vector<uint32_t> last_weight_;
  std::vector<bool> weight_seen_;
  uint32_t capacity_;
  uint32_t next_ = 0;
  std::map<DestIdentity, uint32_t> by_identity_;
  std::vector<DestIdentity> identities_;  // by slot
};

}  // namespace lb::sched
