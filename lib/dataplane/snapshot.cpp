#include <rte_rcu_qsbr.h>

#include <lb/dataplane/snapshot.h>

namespace lb::dataplane {

std::unique_ptr<const Snapshot> build_snapshot(const config::Config& cfg,
                                               std::span<const PortRuntime> ports,
                                               sched::DestRegistry& registry) {
  auto snap = std::make_unique<Snapshot>();
  snap->services = sched::ServiceTable(cfg.services, registry);

  std::vector<std::pair<uint64_t, uint32_t>> locals;
  std::vector<std::vector<std::pair<uint64_t, uint32_t>>> targets(ports.size());
  for (size_t i = 0; i < ports.size(); ++i) {
    locals.emplace_back(ports[i].address.addr.be, static_cast<uint32_t>(i));
    targets[i].emplace_back(ports[i].address.addr.be, 0);
  }
  for (const packet::Ipv4Addr vip : snap->services.vips()) {
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
