// Services as the data plane reads them: immutable objects in a snapshot,
// looked up by firewall mark, by <protocol, VIP, port>, or by <protocol, VIP>
// for a persistent port-0 service (ip_vs_service_find's order).
//
// Built by the control plane from ServiceSpecs; once a ServiceTable is
// published, workers read it concurrently without synchronisation. The only
// mutable state reachable from it is atomic (scheduler state, DestCounters).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include <lb/packet/flow_key.h>
#include <lb/sched/dest_registry.h>
#include <lb/sched/frozen_index.h>
#include <lb/sched/model.h>
#include <lb/sched/scheduler.h>

namespace lb::sched {

class Service {
 public:
  // `dests` in kernel order (newest first). `previous` is this service's
  // scheduler in the snapshot being replaced, or null.
  Service(uint32_t id, ServiceSpec spec, std::vector<Dest> dests, Scheduler* previous);

  uint32_t id() const noexcept { return id_; }
  const ServiceSpec& spec() const noexcept { return spec_; }
  std::span<const Dest> dests() const noexcept { return dests_; }
  Scheduler& scheduler() const noexcept { return *scheduler_; }

  // The real server for a new connection, or nullptr when none qualifies.
  const Dest* schedule(const PickInput& in) const noexcept {
    const int32_t i = scheduler_->pick(in);
    return i == kNoDest ? nullptr : &dests_[static_cast<size_t>(i)];
  }
  // What schedule() would answer now, changing nothing: an index into
  // dests(), kNoDest or kUnpredictable (Scheduler::peek). Control thread.
  int32_t peek(const PickInput& in) const noexcept { return scheduler_->peek(in); }
  // The entry of a real server (by registry slot) in this snapshot, or null:
  // a persistence template whose server was removed is no longer valid.
  const Dest* dest_by_slot(uint32_t slot) const noexcept {
    auto i = by_slot_.find(slot);
    return i ? &dests_[*i] : nullptr;
  }

 private:
  uint32_t id_;
  ServiceSpec spec_;
  std::vector<Dest> dests_;
  FrozenIndex by_slot_;
  std::unique_ptr<Scheduler> scheduler_;
};

constexpr uint64_t service_index_key(uint8_t proto, uint32_t vip_be, uint16_t port_be) noexcept {
  return (uint64_t{proto} << 48) | (uint64_t{port_be} << 32) | vip_be;
}
// Firewall-mark services share the index with protocol byte 0xff.
constexpr uint64_t fwmark_index_key(uint32_t mark) noexcept {
  return (uint64_t{0xff} << 48) | mark;
}

class ServiceTable {
 public:
  ServiceTable() = default;
  // Validates scheduler names and duplicate services; throws
  // std::invalid_argument with a message naming the service. `previous` is
  // the table being replaced: schedulers hand their state over.
  //
  // Building changes nothing shared (beyond allocating registry slots): the
  // real servers' thresholds, last weights and quiesce-server resets are
  // applied by commit(), which the caller runs once the whole new
  // configuration has been accepted - so a rejected change leaves the
  // running one untouched.
  ServiceTable(std::span<const ServiceSpec> specs, DestRegistry& registry,
               const ServiceTable* previous = nullptr);
  void commit(DestRegistry& registry) const noexcept;

  const Service* find(uint8_t proto, uint32_t vip_be, uint16_t port_be) const noexcept {
    auto i = by_key_.find(service_index_key(proto, vip_be, port_be));
    return i ? services_[*i].get() : nullptr;
  }
  const Service* find_fwmark(uint32_t mark) const noexcept {
    auto i = by_key_.find(fwmark_index_key(mark));
    return i ? services_[*i].get() : nullptr;
  }
  // ip_vs_service_find for a packet without a mark: the exact service, else
  // the persistent port-0 service of its <protocol, VIP>.
  const Service* lookup(uint8_t proto, uint32_t vip_be, uint16_t port_be) const noexcept {
    if (const Service* s = find(proto, vip_be, port_be)) return s;
    return find(proto, vip_be, 0);
  }
  // Whether any <protocol, VIP, port> service listens on this address.
  bool is_vip(uint32_t addr_be) const noexcept { return vips_.find(addr_be).has_value(); }

  std::span<const std::unique_ptr<Service>> services() const noexcept { return services_; }
  std::span<const packet::Ipv4Addr> vips() const noexcept { return vip_list_; }
  // Control thread: lets every scheduler expire its cached state.
  void maintain(uint64_t now_ms) const noexcept;

 private:
  struct DestUpdate {
    uint32_t slot;
    uint32_t weight;
    uint32_t upper_threshold;
    uint32_t lower_threshold;
  };

  std::vector<std::unique_ptr<Service>> services_;
  std::vector<packet::Ipv4Addr> vip_list_;
  FrozenIndex by_key_;
  FrozenIndex vips_;
  std::vector<DestUpdate> updates_;      // for commit()
  std::vector<uint32_t> quiesce_slots_;  // for commit(): reset their scheduling view
  std::vector<bool> listed_;             // for commit(): by slot, whether in this table
};

}  // namespace lb::sched
