#include <lb/dataplane/snapshot.h>

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include <rte_rcu_qsbr.h>

#include <lb/packet/wire.h>
#include <lb/tunnel/ipip.h>

namespace lb::dataplane {

namespace {

constexpr uint64_t ops_key(uint8_t proto, uint32_t addr_be, uint16_t port_be) noexcept {
  return sched::service_index_key(proto, addr_be, port_be);
}

// What the data plane serves: the enabled services with their enabled real
// servers. A disabled one is configured but absent, as if deleted, except
// that its DestRegistry slot (and so its counters) waits for its return.
std::vector<sched::ServiceSpec> served_services(const std::vector<sched::ServiceSpec>& services) {
  std::vector<sched::ServiceSpec> served;
  served.reserve(services.size());
  for (const auto& service : services) {
    if (!service.enabled) continue;
    auto& copy = served.emplace_back(service);
    std::erase_if(copy.real_servers, [](const sched::RealServerSpec& r) { return !r.enabled; });
  }
  return served;
}

}  // namespace

std::unique_ptr<const Snapshot> build_snapshot(const config::Config& cfg,
                                               std::span<const PortRuntime> ports,
                                               sched::DestRegistry& registry,
                                               const Snapshot* previous) {
  auto snap = std::make_unique<Snapshot>();
  snap->services = sched::ServiceTable(served_services(cfg.services), registry,
                                       previous != nullptr ? &previous->services : nullptr);
  snap->classifier = sched::Classifier(cfg.mark_rules);
  snap->timeouts = cfg.connections.timeouts;
  snap->expire_nodest_conn = cfg.connections.expire_nodest_conn;

  std::vector<std::pair<uint64_t, uint32_t>> ops;
  for (const auto& svc : snap->services.services()) {
    const auto& spec = svc->spec();
    if (!spec.one_packet || spec.fwmark != 0 || spec.protocol != sched::Protocol::kUdp) continue;
    for (const auto& d : svc->dests()) {
      if (d.forward != sched::ForwardMethod::kNat) continue;
      const uint64_t key = ops_key(packet::kIpProtoUdp, d.addr.be, d.port_be);
      if (std::any_of(ops.begin(), ops.end(), [&](const auto& e) { return e.first == key; })) {
        throw std::invalid_argument(fmt::format(
            "real server {}:{} serves two one-packet services: its replies could not be told apart",
            d.addr.to_string(), packet::ntoh16(d.port_be)));
      }
      ops.emplace_back(key, svc->id());
    }
  }
  snap->ops_replies = sched::FrozenIndex(ops);

  std::vector<std::pair<uint64_t, uint32_t>> locals;
  std::vector<std::vector<std::pair<uint64_t, uint32_t>>> targets(ports.size());
  std::vector<std::pair<uint64_t, uint32_t>> tunnel_sources;
  for (size_t i = 0; i < ports.size(); ++i) {
    locals.emplace_back(ports[i].address.addr.be, static_cast<uint32_t>(i));
    targets[i].emplace_back(ports[i].address.addr.be, 0);
    if (const auto& pool = ports[i].tunnel_sources) {
      for (const packet::Ipv4Addr a : tunnel::pool_addresses(*pool)) {
        tunnel_sources.emplace_back(a.be, static_cast<uint32_t>(i));
        targets[i].emplace_back(a.be, 0);
      }
    }
  }
  snap->tunnel_addrs = sched::FrozenIndex(tunnel_sources);
  std::vector<packet::Ipv4Addr> service_addrs(snap->services.vips().begin(),
                                              snap->services.vips().end());
  for (const packet::Ipv4Addr a : snap->classifier.addresses()) {
    if (std::find(service_addrs.begin(), service_addrs.end(), a) == service_addrs.end())
      service_addrs.push_back(a);
  }
  std::vector<std::pair<uint64_t, uint32_t>> service_index;
  for (const packet::Ipv4Addr a : service_addrs)
    service_index.emplace_back(a.be, 0);
  snap->service_addrs = sched::FrozenIndex(service_index);
  for (const packet::Ipv4Addr vip : service_addrs) {
    bool on_subnet = false;
    for (size_t i = 0; i < ports.size(); ++i) {
      if (ports[i].address.contains(vip)) {
        targets[i].emplace_back(vip.be, 0);
        on_subnet = true;
      }
    }
    if (!on_subnet) {
      for (auto& t : targets)
        t.emplace_back(vip.be, 0);
    }
  }
  snap->local_addrs = sched::FrozenIndex(locals);
  for (const auto& t : targets)
    snap->arp_targets.emplace_back(t);
  // Everything is accepted: only now do the real servers' shared settings change.
  snap->services.commit(registry);
  return snap;
}

void SnapshotPublisher::publish(std::unique_ptr<const Snapshot> next) {
  const Snapshot* old = current_.exchange(next.release(), std::memory_order_acq_rel);
  if (old == nullptr) return;
  // Every worker that could still hold `old` reports a quiescent state after
  // its burst; once all have, nobody can.
  rte_rcu_qsbr_synchronize(qsbr_, RTE_QSBR_THRID_INVALID);
  delete old;
}

}  // namespace lb::dataplane
