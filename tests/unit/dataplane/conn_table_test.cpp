// The shared connection table through the real DPDK library (rte_hash with
// lock-free readers, rte_rcu_qsbr, rte_ring), with EAL in --no-huge mode and
// worker threads on real EAL lcores: what a fake could not show - keys and
// records reclaimed only after a grace period, concurrent creators,
// expirers and readers, and a full table.
//
// Also built with AddressSanitizer by the test command (scripts/test.sh), so
// a record or key used after its reclaim shows up as a crash, not a flake.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <unistd.h>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include <lb/dataplane/conn_table.h>

using namespace lb;
using dataplane::ConnTable;
using dataplane::Drop;

namespace {

constexpr uint8_t kSyn = 0x02;

// The RCU state for `readers` worker threads, freed with the fixture.
struct Qsbr {
  explicit Qsbr(uint32_t readers) {
    v = static_cast<rte_rcu_qsbr*>(
        rte_zmalloc("test_qsbr", rte_rcu_qsbr_get_memsize(readers), RTE_CACHE_LINE_SIZE));
    REQUIRE(v != nullptr);
    REQUIRE(rte_rcu_qsbr_init(v, readers) == 0);
    for (uint32_t t = 0; t < readers; ++t)
      rte_rcu_qsbr_thread_register(v, t);
  }
  ~Qsbr() { rte_free(v); }
  rte_rcu_qsbr* v = nullptr;
};

// Real servers for the connections: a NAT one (two keys per connection) and
// a direct-routing one (one key).
struct Dests {
  Dests() {
    nat.counters = &counters[0];
    dr.counters = &counters[1];
    counters[0].in_service = true;
    counters[1].in_service = true;
  }
  sched::DestCounters counters[2];
  sched::Dest nat{.id = 0,
                  .addr = *packet::Ipv4Addr::parse("198.18.2.11"),
                  .port_be = packet::hton16(8080),
                  .weight = 1,
                  .last_weight = 1,
                  .forward = sched::ForwardMethod::kNat,
                  .counters = nullptr};
  sched::Dest dr{.id = 1,
                 .addr = *packet::Ipv4Addr::parse("198.18.2.12"),
                 .port_be = packet::hton16(80),
                 .weight = 1,
                 .last_weight = 1,
                 .forward = sched::ForwardMethod::kDirectRoute,
                 .counters = nullptr};
};

// Client `n` of 2^24: a distinct source address and port per n.
packet::FlowKeyV4 flow(uint32_t n, uint8_t proto = packet::kIpProtoUdp) {
  packet::FlowKeyV4 k;
  k.src = packet::Ipv4Addr::from_host((198u << 24) | (19u << 16) | (n >> 8)).be;
  k.dst = packet::Ipv4Addr::parse("198.18.1.100")->be;
  k.sport = packet::hton16(static_cast<uint16_t>(1024 + (n & 0xff)));
  k.dport = packet::hton16(80);
  k.proto = proto;
  return k;
}

conn::Connection* open(ConnTable& t, const packet::FlowKeyV4& k, const sched::Dest& d, uint64_t now,
                       const conn::Timeouts& timeouts, Drop& why) {
  const uint16_t port = d.forward == sched::ForwardMethod::kNat ? d.port_be : k.dport;
  return t.create(k, t.hash(k), d, port, 0, kSyn, now, timeouts, why);
}

// Every live record is found through each of its keys, and through nothing
// else: no key lost, none pointing at the wrong record, none twice.
void check_consistent(const ConnTable& t, uint32_t expect_live) {
  uint32_t live = 0;
  t.scan(0, t.capacity(), [&](const conn::Connection& c) {
    ++live;
    const auto f = t.lookup(c.client, t.hash(c.client));
    CHECK(f.conn == &c);
    CHECK_FALSE(f.reply);
    if (c.forward == sched::ForwardMethod::kNat) {
      const auto rk = c.reply_key();
      const auto r = t.lookup(rk, t.hash(rk));
      CHECK(r.conn == &c);
      CHECK(r.reply);
    }
    return true;
  });
  CHECK(live == expect_live);
  CHECK(t.stats().in_use == expect_live);
}

}  // namespace

TEST_CASE("the memory estimate used for table_size: auto matches what DPDK allocates") {
  Qsbr q(1);
  sched::DestCounters counters[1];
  for (const uint32_t capacity : {1024u, 100000u, 1u << 20, (1u << 20) + 12345}) {
    ConnTable t("est" + std::to_string(capacity), capacity, SOCKET_ID_ANY, q.v, counters);
    const double measured = static_cast<double>(t.bytes());
    const double estimate = static_cast<double>(ConnTable::estimate_bytes(capacity));
    INFO("capacity " << capacity << ": measured " << measured << " estimated " << estimate);
    CHECK(estimate >= measured * 0.97);
    CHECK(estimate <= measured * 1.03);
    CHECK(t.bytes_per_connection() == t.bytes() / capacity);
  }
  // capacity_for inverts the estimate.
  const size_t budget = size_t{256} << 20;
  const uint32_t c = ConnTable::capacity_for(budget);
  CHECK(ConnTable::estimate_bytes(c) <= budget);
  CHECK(ConnTable::estimate_bytes(c + 1) > budget);
  CHECK(ConnTable::capacity_for(0) == 0);
}

TEST_CASE("a full table refuses new flows and keeps every established one") {
  Qsbr q(1);
  Dests d;
  conn::Timeouts timeouts;
  constexpr uint32_t kCapacity = 1024;
  ConnTable t("full", kCapacity, SOCKET_ID_ANY, q.v, d.counters);

  // Half NAT (two keys), half DR (one key): the pool, not the hash, is the limit.
  std::vector<conn::Connection*> conns;
  Drop why = Drop::no_route;
  for (uint32_t n = 0; n < kCapacity; ++n) {
    auto* c = open(t, flow(n), n % 2 ? d.nat : d.dr, 0, timeouts, why);
    REQUIRE(c != nullptr);
    conns.push_back(c);
  }
  CHECK(t.stats().in_use == kCapacity);

  // A flood of new flows: every one refused and named, none evicts anything.
  for (uint32_t n = kCapacity; n < 3 * kCapacity; ++n) {
    why = Drop::no_route;
    CHECK(open(t, flow(n), n % 2 ? d.nat : d.dr, 0, timeouts, why) == nullptr);
    CHECK(why == Drop::conn_table_full);
  }
  check_consistent(t, kCapacity);
  CHECK(d.counters[0].total + d.counters[1].total == kCapacity);

  // The sweeper finds nothing due before the UDP timeout ...
  CHECK(t.expire(timeouts.udp_ms - 1, kCapacity) == 0);
  // ... refreshed flows survive it, the others expire ...
  for (uint32_t n = 0; n < kCapacity / 2; ++n)
    REQUIRE(conns[n]->on_packet(conn::Direction::kInput, 0, 1000, timeouts));
  CHECK(t.expire(timeouts.udp_ms, kCapacity) == kCapacity / 2);
  CHECK(d.counters[0].total + d.counters[1].total == kCapacity / 2);
  // ... and their records come back after the grace period (no reader is
  // online, so at once): the table takes exactly that many new flows again.
  CHECK(t.stats().retired == 0);
  uint32_t reopened = 0;
  for (uint32_t n = kCapacity; n < 2 * kCapacity; ++n) {
    if (open(t, flow(n), d.nat, timeouts.udp_ms, timeouts, why) != nullptr) ++reopened;
  }
  CHECK(reopened == kCapacity / 2);
  check_consistent(t, kCapacity);
}

TEST_CASE("expire_now ends a flow exactly once and frees its keys for a new one") {
  Qsbr q(1);
  Dests d;
  conn::Timeouts timeouts;
  ConnTable t("now", 1024, SOCKET_ID_ANY, q.v, d.counters);
  Drop why = Drop::no_route;
  const auto k = flow(7, packet::kIpProtoTcp);
  auto* c = open(t, k, d.nat, 0, timeouts, why);
  REQUIRE(c != nullptr);
  CHECK(d.counters[0].active == 1);
  CHECK(t.expire_now(*c));
  CHECK_FALSE(t.expire_now(*c));
  CHECK(d.counters[0].total == 0);
  CHECK(d.counters[0].active == 0);
  CHECK(t.lookup(k, t.hash(k)).conn == nullptr);
  const auto rk = c->reply_key();
  CHECK(t.lookup(rk, t.hash(rk)).conn == nullptr);
  // The same client key (a SYN reusing the port) opens a new connection.
  auto* again = open(t, k, d.nat, 0, timeouts, why);
  REQUIRE(again != nullptr);
  CHECK(t.lookup(k, t.hash(k)).conn == again);
  check_consistent(t, 1);
}

TEST_CASE("the sweeper flushes connections whose real server left, when asked") {
  Qsbr q(1);
  Dests d;
  conn::Timeouts timeouts;
  ConnTable t("flush", 1024, SOCKET_ID_ANY, q.v, d.counters);
  Drop why = Drop::no_route;
  for (uint32_t n = 0; n < 10; ++n)
    REQUIRE(open(t, flow(n), n < 4 ? d.nat : d.dr, 0, timeouts, why) != nullptr);
  d.counters[0].in_service = false;      // the NAT server left its service
  CHECK(t.expire(1, 1024, false) == 0);  // default: its connections continue
  CHECK(t.expire(1, 1024, true) == 4);
  CHECK(t.stats().flushed == 4);
  CHECK(d.counters[0].total == 0);
  CHECK(d.counters[1].total == 6);
  check_consistent(t, 6);
}

namespace {

// The stress test's shared state. Workers own disjoint client ranges; the
// main lcore sweeps with a clock it advances.
struct Stress {
  ConnTable* table = nullptr;
  Dests* dests = nullptr;
  rte_rcu_qsbr* qsbr = nullptr;
  conn::Timeouts timeouts;
  std::atomic<uint64_t> now{0};
  std::atomic<bool> stop{false};
  std::atomic<uint32_t> next_worker{0};
  static constexpr uint32_t kPerWorker = 20000;  // client keys each worker cycles through
  struct alignas(64) Result {
    uint64_t created = 0, refused = 0, expired_now = 0, lookups = 0;
    uint64_t lost = 0;      // a connection its creator holds is not found
    uint64_t mismatch = 0;  // a key found a record that is not its own
  };
  Result results[RTE_MAX_LCORE];
};

int stress_worker(void* arg) {
  auto& s = *static_cast<Stress*>(arg);
  const uint32_t w = s.next_worker.fetch_add(1);
  auto& r = s.results[w];
  ConnTable& t = *s.table;
  std::mt19937 rng(w + 1);
  const uint32_t base = w * Stress::kPerWorker;
  // What this worker believes it has open: key index -> record.
  std::vector<conn::Connection*> mine(Stress::kPerWorker, nullptr);
  rte_rcu_qsbr_thread_online(s.qsbr, w);
  while (!s.stop.load(std::memory_order_relaxed)) {
    const uint64_t now = s.now.load(std::memory_order_relaxed);
    for (int burst = 0; burst < 32; ++burst) {
      const uint32_t i = rng() % Stress::kPerWorker;
      const auto k = flow(base + i);
      const uint32_t h = t.hash(k);
      const auto found = t.lookup(k, h);
      std::atomic_ref(r.lookups).fetch_add(1, std::memory_order_relaxed);
      if (found.conn != nullptr) {
        // Whatever a key finds is that key's record.
        if (!(found.conn->client == k) || found.reply) ++r.mismatch;
        // Ours and alive: keep it (a packet), or end it now (a reopening SYN);
        // every third client sends nothing more, for the sweeper to expire.
        if (i % 3 == 0) {
          mine[i] = found.conn;
        } else if (rng() % 4 == 0) {
          if (t.expire_now(*found.conn)) ++r.expired_now;
          mine[i] = nullptr;
        } else {
          found.conn->on_packet(conn::Direction::kInput, 0, now, s.timeouts);
          mine[i] = found.conn;
        }
      } else {
        // Not found: the sweeper expired it (or it never was). A record we
        // hold that is still alive but not found would be a lost key.
        if (mine[i] != nullptr && mine[i]->is_flow() && mine[i]->client == k) ++r.lost;
        Drop why = Drop::no_route;
        const sched::Dest& d = i % 2 ? s.dests->nat : s.dests->dr;
        conn::Connection* c = open(t, k, d, now, s.timeouts, why);
        mine[i] = c;
        if (c != nullptr) {
          ++r.created;
        } else {
          ++r.refused;
        }
      }
      // Someone else's key: whatever it finds must be that key's.
      const auto other = flow(rng() % (Stress::kPerWorker * 2));
      const auto f = t.lookup(other, t.hash(other));
      if (f.conn != nullptr && !(f.conn->client == other)) ++r.mismatch;
      // The reply direction of our NAT connections.
      if (mine[i] != nullptr && mine[i]->forward == sched::ForwardMethod::kNat) {
        const auto rk = mine[i]->reply_key();
        const auto rf = t.lookup(rk, t.hash(rk));
        if (rf.conn != nullptr && !(rf.conn->reply_key() == rk && rf.reply)) ++r.mismatch;
      }
    }
    // End of a burst: nothing looked up above is used after this point.
    rte_rcu_qsbr_quiescent(s.qsbr, w);
  }
  rte_rcu_qsbr_thread_offline(s.qsbr, w);
  return 0;
}

}  // namespace

TEST_CASE("workers create, look up and expire concurrently with the sweeper: nothing lost") {
  const unsigned workers = rte_lcore_count() - 1;
  REQUIRE(workers >= 2);
  Qsbr q(workers);
  Dests d;
  // Smaller than the key space, so the table fills and refuses as well.
  ConnTable t("stress", 4096, SOCKET_ID_ANY, q.v, d.counters);
  auto s = std::make_unique<Stress>();
  s->table = &t;
  s->dests = &d;
  s->qsbr = q.v;
  s->timeouts.udp_ms = 200;  // ticks of the test clock: connections die within a few sweeps

  unsigned lcore = 0;
  RTE_LCORE_FOREACH_WORKER(lcore) {
    REQUIRE(rte_eal_remote_launch(stress_worker, s.get(), lcore) == 0);
  }
  // Until every worker has done enough work (sanitizer builds are several
  // times slower), with a bound so a stuck worker fails the test instead of
  // hanging it.
  uint64_t swept = 0;
  const auto busy_enough = [&] {
    if (s->now.load() < 5 * s->timeouts.udp_ms) return false;  // the sweeper had work too
    for (unsigned w = 0; w < workers; ++w) {
      if (std::atomic_ref(s->results[w].lookups).load(std::memory_order_relaxed) < 300000)
        return false;
    }
    return true;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!busy_enough() && std::chrono::steady_clock::now() < deadline) {
    s->now.fetch_add(1, std::memory_order_relaxed);
    swept += t.expire(s->now.load(), 5000);
    usleep(500);
  }
  s->stop = true;
  rte_eal_mp_wait_lcore();

  uint64_t created = 0, refused = 0, expired_now = 0, lookups = 0;
  for (unsigned w = 0; w < workers; ++w) {
    const auto& r = s->results[w];
    CHECK(r.lost == 0);
    CHECK(r.mismatch == 0);
    created += r.created;
    refused += r.refused;
    expired_now += r.expired_now;
    lookups += r.lookups;
  }
  WARN("created " << created << " refused " << refused << " expired_now " << expired_now
                  << " swept " << swept << " lookups " << lookups);
  CHECK(lookups >= 300000 * workers);
  CHECK(created > 10000);
  CHECK(expired_now > 1000);
  CHECK(swept > 1000);
  CHECK(refused > 0);  // the table was full at times

  // Live records are all consistent with the table (a key inserted twice
  // would find the other record), and the counters agree.
  const uint32_t live = t.stats().in_use;
  check_consistent(t, live);
  CHECK(d.counters[0].total + d.counters[1].total == live);
  CHECK(created == swept + expired_now + live);

  // Everything expires; after the grace period every record is free again.
  swept += t.expire(s->now.load() + 1000, t.capacity());
  t.expire(s->now.load() + 1000, t.capacity());
  CHECK(t.stats().in_use == 0);
  CHECK(t.stats().retired == 0);
  CHECK(d.counters[0].total + d.counters[1].total == 0);
  CHECK(created == swept + expired_now);
  Drop why = Drop::no_route;
  uint32_t reopened = 0;
  for (uint32_t n = 0; n < t.capacity(); ++n)
    reopened += open(t, flow(100000 + n), d.nat, 0, s->timeouts, why) != nullptr;
  CHECK(reopened == t.capacity());
}

int main(int argc, char** argv) {
  // Its own file prefix and no hugepages, so it runs beside anything else;
  // three lcores (the sweeper and two workers) over the machine's CPUs.
  const std::string prefix = "--file-prefix=lbd-unit-conn-" + std::to_string(getpid());
  const long cpus = std::max(1L, sysconf(_SC_NPROCESSORS_ONLN));
  std::string lcores = "--lcores=";
  for (int l = 0; l < 3; ++l)
    lcores += (l ? "," : "") + std::to_string(l) + "@" + std::to_string(l % cpus);
  std::vector<std::string> eal = {argv[0],    "--no-huge", "-m",   "1024",
                                  "--no-pci", prefix,      lcores, "--log-level=error"};
  std::vector<char*> eal_argv;
  for (auto& a : eal)
    eal_argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    fprintf(stderr, "conn_table_test: EAL initialisation failed\n");
    return 1;
  }
  const int rc = Catch::Session().run(argc, argv);
  rte_eal_cleanup();
  return rc;
}
