// The data plane as the daemon sees it: built from a validated configuration
// after EAL start-up, it owns the packet pool, ports, shared tables, the
// published snapshot and the workers.
//
// Control thread only (the main lcore): construction, start/stop, tick and
// every inspection call. Workers run on their own lcores between start() and
// stop().
#pragma once

#include <atomic>
#include <memory>
#include <span>
#include <vector>

#include <lb/config/model.h>
#include <lb/dataplane/clock.h>
#include <lb/dataplane/conn_table.h>
#include <lb/dataplane/counters.h>
#include <lb/dataplane/neighbor_table.h>
#include <lb/dataplane/ports.h>
#include <lb/dataplane/snapshot.h>
#include <lb/dataplane/worker.h>
#include <lb/sched/dest_registry.h>
#include <lb/stats/traffic_book.h>

struct rte_mempool;
struct rte_rcu_qsbr;

namespace lb::dataplane {

struct PortStats {
  uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes, rx_missed, rx_errors, tx_errors;
  bool link_up;
};

// The TrafficBook's name of a service.
stats::ServiceKey traffic_key(const sched::ServiceSpec& spec) noexcept;

class Dataplane {
 public:
  // Throws std::runtime_error with a message naming what failed.
  explicit Dataplane(const config::Config& cfg);
  ~Dataplane();
  Dataplane(const Dataplane&) = delete;
  Dataplane& operator=(const Dataplane&) = delete;

  void start();
  void stop() noexcept;

  // Periodic housekeeping (expire connections, let schedulers expire their
  // caches, sample traffic rates every 2 s). Call every few milliseconds;
  // each call does a bounded amount of work.
  void tick() noexcept;

  // Publishes the services, firewall-mark rules and timeouts of `cfg` (the
  // rest of a configuration needs a restart: the caller checks that). All or
  // nothing: throws std::invalid_argument and changes nothing when the new
  // service set is inconsistent. Established connections continue.
  void reload(const config::Config& cfg);

  const Snapshot& snapshot() const noexcept { return *publisher_.current(); }
  std::span<const PortRuntime> ports() const noexcept { return ports_; }
  std::span<const WorkerStats> worker_stats() const noexcept {
    return {stats_.get(), workers_.size()};
  }
  std::span<const uint32_t> worker_lcores() const noexcept { return lcores_; }
  PortStats port_stats(size_t port) const noexcept;
  const ConnTable& connections() const noexcept { return *conns_; }
  const NeighborTable& neighbors() const noexcept { return *neighbors_; }
  // Which real server of which service each DestCounters slot is.
  const sched::DestRegistry& registry() const noexcept { return registry_; }
  uint64_t now_ms() const noexcept { return clock_.now_ms(); }

  // Traffic and rates per real server (by slot), service and in total, as
  // `ipvsadm --stats/--rate` show them; zero_traffic() is `ipvsadm -Z`.
  const stats::TrafficBook& traffic() const noexcept { return traffic_book_; }
  void zero_traffic() { traffic_book_.zero_all(); }
  void zero_traffic(const stats::ServiceKey& service) { traffic_book_.zero_service(service); }

 private:
  Clock clock_;
  rte_rcu_qsbr* qsbr_ = nullptr;
  rte_mempool* pool_ = nullptr;
  std::vector<PortRuntime> ports_;
  std::unique_ptr<ConnTable> conns_;
  std::unique_ptr<NeighborTable> neighbors_;
  sched::DestRegistry registry_;
  SnapshotPublisher publisher_;
  std::unique_ptr<WorkerStats[]> stats_;
  // Per worker, one DestTraffic per DestRegistry slot: worker w's are
  // traffic_[w * registry capacity ...].
  std::unique_ptr<DestTraffic[]> traffic_;
  stats::TrafficBook traffic_book_;
  uint64_t next_rate_sample_ms_ = 0;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<uint32_t> lcores_;
  std::atomic<bool> stop_{false};
  bool running_ = false;
};

}  // namespace lb::dataplane
