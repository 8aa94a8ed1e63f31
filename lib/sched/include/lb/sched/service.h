// Services as the data plane reads them: immutable objects in a snapshot,
// looked up by <protocol, VIP, port> through a FrozenIndex.
//
// Built by the control plane from ServiceSpecs; once a ServiceTable is
// published, workers read it concurrently without synchronisation. The only
// mutable state reachable from it is atomic (scheduler cursors, DestCounters).
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
  // `dests` in kernel order (newest first).
  Service(uint32_t id, ServiceSpec spec, std::vector<Dest> dests);

  uint32_t id() const noexcept { return id_; }
  const ServiceSpec& spec() const noexcept { return spec_; }
  std::span<const Dest> dests() const noexcept { return dests_; }

  // The real server for a new connection, or nullptr when none qualifies.
  const Dest* schedule(const packet::FlowKeyV4& flow, uint32_t hash) const noexcept {
    const int32_t i = scheduler_->pick(flow, hash);
    return i == kNoDest ? nullptr : &dests_[static_cast<size_t>(i)];
  }

 private:
  uint32_t id_;
  ServiceSpec spec_;
  std::vector<Dest> dests_;
  std::unique_ptr<Scheduler> scheduler_;
};

constexpr uint64_t service_index_key(uint8_t proto, uint32_t vip_be, uint16_t port_be) noexcept {
  return (uint64_t{proto} << 48) | (uint64_t{port_be} << 32) | vip_be;
}

class ServiceTable {
 public:
  ServiceTable() = default;
  // Validates scheduler names and duplicate services; throws
  // std::invalid_argument with a message naming the service.
  ServiceTable(std::span<const ServiceSpec> specs, DestRegistry& registry);

  const Service* find(uint8_t proto, uint32_t vip_be, uint16_t port_be) const noexcept {
    auto i = by_key_.find(service_index_key(proto, vip_be, port_be));
    return i ? services_[*i].get() : nullptr;
  }
  // Whether any service listens on this address (lbd answers ARP and ICMP echo for it).
  bool is_vip(uint32_t addr_be) const noexcept { return vips_.find(addr_be).has_value(); }

  std::span<const std::unique_ptr<Service>> services() const noexcept { return services_; }
  std::span<const packet::Ipv4Addr> vips() const noexcept { return vip_list_; }

 private:
  std::vector<std::unique_ptr<Service>> services_;
  std::vector<packet::Ipv4Addr> vip_list_;
  FrozenIndex by_key_;
  FrozenIndex vips_;
};

}  // namespace lb::sched
