#include <lb/dataplane/dataplane.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include <lb/dataplane/heap_stats.h>
#include <lb/dataplane/mbuf_pool.h>

namespace lb::dataplane {

namespace {

// Real servers lbd can track (counters outlive configuration changes).
constexpr uint32_t kMaxRealServers = 65536;

// Memory DPDK can still give: its heap's free bytes and, in hugepage mode
// (where the heap grows on demand), the free hugepages it may map.
size_t available_memory() {
  size_t bytes = heap_stats().free;
  if (rte_eal_has_hugepages() == 0) return bytes;
  std::error_code ec;
  for (const auto& dir : std::filesystem::directory_iterator("/sys/kernel/mm/hugepages", ec)) {
    // hugepages-2048kB
    const std::string name = dir.path().filename().string();
    const size_t kb = std::strtoull(name.c_str() + name.find('-') + 1, nullptr, 10);
    std::ifstream f(dir.path() / "free_hugepages");
    size_t pages = 0;
    if (f >> pages) bytes += pages * kb * 1024;
  }
  return bytes;
}

// connections.table_size: auto. The table takes three quarters of what
// DPDK has left once the packet pool and ports are set up, less a reserve
// for what is allocated later (neighbours, queues, tables of later
// features): a box with more memory holds more connections, and a table
// that does not fit is refused at start-up, never discovered full later.
uint32_t auto_table_size() {
  constexpr size_t kReserve = size_t{64} << 20;
  const size_t available = available_memory();
  const uint32_t capacity =
      std::min(ConnTable::kMaxCapacity,
               ConnTable::capacity_for(available > kReserve ? (available - kReserve) / 4 * 3 : 0));
  if (capacity < 1024) {
    throw std::runtime_error(
        fmt::format("only {} MiB of DPDK memory left: too little for a connection table (raise "
                    "eal.memory_mb, reserve hugepages, or set connections.table_size)",
                    available >> 20));
  }
  spdlog::info("connections.table_size auto: {} connections ({} MiB of {} MiB available)", capacity,
               ConnTable::estimate_bytes(capacity) >> 20, available >> 20);
  return capacity;
}

int worker_main(void* arg) {
  return static_cast<Worker*>(arg)->run();
}

rte_rcu_qsbr* make_qsbr(uint32_t threads) {
  const size_t size = rte_rcu_qsbr_get_memsize(threads);
  auto* v = static_cast<rte_rcu_qsbr*>(rte_zmalloc("lbd_qsbr", size, RTE_CACHE_LINE_SIZE));
  if (v == nullptr || rte_rcu_qsbr_init(v, threads) != 0) {
    throw std::runtime_error("cannot create the RCU state for the workers");
  }
  for (uint32_t t = 0; t < threads; ++t)
    rte_rcu_qsbr_thread_register(v, t);
  return v;
}

std::vector<stats::ServiceKey> traffic_keys(const config::Config& cfg) {
  // Disabled services too: their counters wait for their return, as their
  // DestRegistry slots do.
  std::vector<stats::ServiceKey> keys;
  for (const auto& spec : cfg.services)
    keys.push_back(traffic_key(spec));
  return keys;
}

}  // namespace

stats::ServiceKey traffic_key(const sched::ServiceSpec& spec) noexcept {
  if (spec.fwmark != 0) return {0, spec.fwmark, 0};
  return {static_cast<uint8_t>(spec.protocol), spec.vip.host(), spec.port};
}

Dataplane::Dataplane(const config::Config& cfg)
    : qsbr_(make_qsbr(static_cast<uint32_t>(cfg.lcores.workers.size()))),
      registry_(kMaxRealServers),
      publisher_(qsbr_),
      traffic_book_(
          stats::TrafficBook::Source{[this] { return registry_.used(); },
                                     [this](uint32_t slot) {
                                       stats::Traffic sum;
                                       const uint32_t cap = registry_.capacity();
                                       for (size_t w = 0; w < workers_.size(); ++w) {
                                         const DestTraffic& t = traffic_[w * cap + slot];
                                         sum += {t.conns.get(), t.inpkts.get(), t.outpkts.get(),
                                                 t.inbytes.get(), t.outbytes.get()};
                                       }
                                       return sum;
                                     },
                                     [this](uint32_t slot) {
                                       const sched::DestIdentity& id = registry_.identity(slot);
                                       return stats::ServiceKey{id.protocol, id.vip_host, id.vport};
                                     }}) {
  const unsigned socket = rte_socket_id();
  pool_ = create_mbuf_pool(cfg.eal.mbufs, static_cast<int>(socket));
  const auto nworkers = static_cast<uint32_t>(cfg.lcores.workers.size());

  ports_ = start_ports(cfg, pool_);
  const uint32_t table_size =
      cfg.connections.table_size != 0 ? cfg.connections.table_size : auto_table_size();
  conns_ = std::make_unique<ConnTable>("lbd_conn", table_size, static_cast<int>(socket), qsbr_,
                                       registry_.base());
  spdlog::info("connection table: {} connections, {} MiB ({} bytes per connection)", table_size,
               conns_->bytes() >> 20, conns_->bytes_per_connection());
  neighbors_ = std::make_unique<NeighborTable>(
      cfg.neighbors.table_size,
      NeighborParams{cfg.neighbors.reachable_ms, cfg.neighbors.retry_ms, cfg.neighbors.retries});
  for (const auto& n : cfg.static_neighbors)
    neighbors_->add_static(n.addr, n.mac);

  publisher_.publish(build_snapshot(cfg, ports_, registry_, nullptr));

  stats_ = std::make_unique<WorkerStats[]>(nworkers);
  traffic_ = std::make_unique<DestTraffic[]>(size_t{nworkers} * registry_.capacity());
  WorkerShared shared;
  shared.ports = ports_;
  shared.snapshots = &publisher_;
  shared.conns = conns_.get();
  shared.neighbors = neighbors_.get();
  shared.qsbr = qsbr_;
  shared.pool = pool_;
  shared.dest_counters = registry_.base();
  shared.clock = &clock_;
  shared.stop = &stop_;
  shared.idle_sleep_us = cfg.lcores.idle_sleep_us;
  // 50 µs: up to 32 frames from each TAP per poll (640 000 a second), far
  // more than an appliance's own traffic (ssh, health checks, ARP), and a
  // 50 µs wait is nothing to it.
  shared.tap_poll_cycles = rte_get_tsc_hz() / 20000;
  shared.hold_packets = std::max<uint32_t>(1, cfg.neighbors.hold_packets);
  shared.hold_timeout_ms = cfg.neighbors.retry_ms * (cfg.neighbors.retries + 1);
  for (uint32_t w = 0; w < nworkers; ++w) {
    workers_.push_back(std::make_unique<Worker>(shared, static_cast<uint16_t>(w), stats_[w],
                                                &traffic_[size_t{w} * registry_.capacity()]));
    lcores_.push_back(cfg.lcores.workers[w]);
  }
  const auto keys = traffic_keys(cfg);
  traffic_book_.set_services(keys);
  next_rate_sample_ms_ = clock_.now_ms() + stats::kSamplePeriodMs;
}

Dataplane::~Dataplane() {
  stop();
  workers_.clear();
  stop_ports(ports_);
  // The connection table's defer queue uses the RCU state: it goes first.
  conns_.reset();
  rte_mempool_free(pool_);
  rte_free(qsbr_);
}

void Dataplane::start() {
  stop_.store(false);
  for (size_t w = 0; w < workers_.size(); ++w) {
    if (int rc = rte_eal_remote_launch(worker_main, workers_[w].get(), lcores_[w]); rc != 0) {
      stop();
      throw std::runtime_error(
          fmt::format("cannot start the worker on lcore {}: {}", lcores_[w], rte_strerror(-rc)));
    }
  }
  running_ = true;
  spdlog::info("{} worker(s) running on lcore(s) {}", workers_.size(), fmt::join(lcores_, ","));
}

void Dataplane::stop() noexcept {
  if (!running_) return;
  stop_.store(true);
  for (uint32_t lcore : lcores_)
    rte_eal_wait_lcore(lcore);
  running_ = false;
}

void Dataplane::tick() noexcept {
  const uint64_t now = clock_.now_ms();
  conns_->expire(now, conns_->sweep_budget(), publisher_.current()->expire_nodest_conn);
  publisher_.current()->services.maintain(now);
  if (now >= next_rate_sample_ms_) {
    traffic_book_.sample();
    // A late tick does not make the next period shorter.
    next_rate_sample_ms_ = std::max(next_rate_sample_ms_ + stats::kSamplePeriodMs, now);
  }
}

void Dataplane::reload(const config::Config& cfg) {
  auto next = build_snapshot(cfg, ports_, registry_, publisher_.current());
  for (const auto& n : cfg.static_neighbors)
    neighbors_->add_static(n.addr, n.mac);
  publisher_.publish(std::move(next));
  const auto keys = traffic_keys(cfg);
  traffic_book_.set_services(keys);
}

PortStats Dataplane::port_stats(size_t port) const noexcept {
  rte_eth_stats s{};
  rte_eth_stats_get(ports_[port].port_id, &s);
  rte_eth_link link{};
  rte_eth_link_get_nowait(ports_[port].port_id, &link);
  return {s.ipackets, s.ibytes,  s.opackets, s.obytes,
          s.imissed,  s.ierrors, s.oerrors,  link.link_status == RTE_ETH_LINK_UP};
}

}  // namespace lb::dataplane
