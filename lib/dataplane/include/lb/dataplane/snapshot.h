// The snapshot: everything configurable that workers read, immutable once
// published. A change builds a whole new snapshot on the control thread and
// publishes it by pointer swap; workers pick it up at their next burst, and
// the old one is freed only after every worker has passed a quiescent state.
#pragma once

#include <atomic>
#include <memory>
#include <span>
#include <vector>

#include <lb/config/model.h>
#include <lb/conn/tcp_state.h>
#include <lb/dataplane/ports.h>
#include <lb/sched/classifier.h>
#include <lb/sched/service.h>

struct rte_rcu_qsbr;

namespace lb::dataplane {

struct Snapshot {
  sched::ServiceTable services;
  sched::Classifier classifier;
  conn::Timeouts timeouts;
  bool expire_nodest_conn = false;  // connections.expire_nodest_conn
  sched::FrozenIndex local_addrs;   // port address (be) -> port index
  // Ports' tunnel source pools (ports.tunnel_sources): lbd answers ARP and
  // echo for them, and receives the ICMP errors about its IPIP packets there.
  sched::FrozenIndex tunnel_addrs;  // pool address (be) -> port index
  // VIPs and single-address firewall-mark destinations: lbd answers ARP and
  // ICMP echo for them.
  sched::FrozenIndex service_addrs;
  // One-packet NAT services keep no connection, so their real servers'
  // replies are translated by rule: <protocol, real server, port> -> service.
  sched::FrozenIndex ops_replies;
  // Per port: the addresses lbd answers ARP for there — the port's own address
  // and every VIP inside its subnet; a VIP inside no port's subnet (a routed
  // VIP) is answered on every port, as a host answers for its addresses.
  std::vector<sched::FrozenIndex> arp_targets;
};

// Throws std::invalid_argument on an inconsistent service set. `previous` is
// the snapshot being replaced, or null: schedulers carry their state over.
std::unique_ptr<const Snapshot> build_snapshot(const config::Config& cfg,
                                               std::span<const PortRuntime> ports,
                                               sched::DestRegistry& registry,
                                               const Snapshot* previous);

class SnapshotPublisher {
 public:
  explicit SnapshotPublisher(rte_rcu_qsbr* qsbr) : qsbr_(qsbr) {}
  ~SnapshotPublisher() { delete current_.load(std::memory_order_relaxed); }

  // Workers: the snapshot to use for this burst.
  const Snapshot* current() const noexcept { return current_.load(std::memory_order_acquire); }

  // Control thread: publishes `next` and frees the previous snapshot after a
  // grace period (blocks the control thread, never a worker).
  void publish(std::unique_ptr<const Snapshot> next);

 private:
  rte_rcu_qsbr* qsbr_;
  std::atomic<const Snapshot*> current_{nullptr};
};

}  // namespace lb::dataplane
