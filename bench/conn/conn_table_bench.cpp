// The connection table benchmark: memory, insert, lookup and expiry figures
// for lbd's ConnTable at several sizes, each printed beside a reference
// measured in the same run, because the machine is shared and noisy:
// - a plain rte_hash (default flags: no RW concurrency, no multi-writer, no
//   extendable buckets) holding the same keys with the same hash function;
// - random 64-byte reads over a DPDK array as large as the record pool, so
//   lookup times can be read against the memory latency of that footprint.
//
// Every connection is NAT (two keys: client side and real-server side), the
// worst case for the hash. Single-threaded phases run on the main lcore. The
// concurrent phase runs a lookup worker on the second lcore (RCU reader 0,
// quiescent every 32 lookups as at the end of a burst) while the main lcore,
// as lbd's control thread does, sweeps a table whose connections are all due.
// Each size gets fresh tables, freed before the next size.
//
// Nothing here asserts a speed. The exit status is non-zero only on a real
// error: an allocation failed, an insert was refused, an inserted key was not
// found (or found the wrong record), an absent key was found.
#include <sys/utsname.h>
#include <unistd.h>
#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>
#include <rte_version.h>

#include <lb/dataplane/conn_table.h>

namespace lb::bench {
namespace {

using Clock = std::chrono::steady_clock;
using dataplane::ConnTable;
using packet::FlowKeyV4;

// A clock value at which every connection created at 0 is due.
constexpr uint64_t kSweepNow = uint64_t{1} << 40;
// lbd's control thread sweeps max(1024, table_size / 100) slots per tick.
constexpr uint32_t kTicksPerSecond = 100;
// Connections per lookup-worker burst: the worker reports a quiescent state
// after each, as a real worker does after each receive burst.
constexpr uint32_t kBurst = 32;
// Sizes below this are filled several times and the median kept: one fill
// lasts milliseconds, shorter than the noise on a shared machine.
constexpr uint32_t kRepeatBelow = 1000000;
constexpr uint32_t kRepeats = 5;
constexpr uint32_t kMaxSweepRounds = 200;

double seconds(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// Keeps a computed value alive without a mutable global.
inline void keep(uint64_t v) {
  asm volatile("" : : "r"(v) : "memory");
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

struct Options {
  std::vector<uint32_t> sizes = {10000, 100000, 1000000, 4000000, 16000000};
  uint64_t lookups = 4000000;  // per timed pass
  uint32_t passes = 3;         // timed lookup passes per figure; the median is printed
  uint32_t window_ms = 1000;   // concurrent phase: the worker-alone windows, the minimum sweep time
  enum class Memory { kAuto, kNoHuge, kHuge } memory = Memory::kAuto;
};

void usage(FILE* out) {
  fmt::print(out,
             "usage: conn_table_bench [--smoke] [--sizes N,N,...] [--lookups N] [--passes N]\n"
             "                        [--window-ms N] [--no-huge | --huge]\n"
             "  --sizes      table sizes in connections (suffixes k, M); default "
             "10k,100k,1M,4M,16M\n"
             "  --lookups    lookups per timed pass (default 4M)\n"
             "  --passes     timed passes per lookup figure, median printed (default 3)\n"
             "  --window-ms  concurrent-phase windows (default 1000)\n"
             "  --smoke      tiny sizes and short windows: a quick end-to-end check\n"
             "  --no-huge    EAL without hugepages; --huge: free hugepages, --in-memory;\n"
             "               default: hugepages when enough are free\n");
}

uint64_t parse_count(std::string_view s) {
  uint64_t mult = 1;
  if (!s.empty() && (s.back() == 'k' || s.back() == 'K')) mult = 1000;
  if (!s.empty() && s.back() == 'M') mult = 1000000;
  if (mult != 1) s.remove_suffix(1);
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty())
    throw std::invalid_argument(fmt::format("not a count: '{}'", s));
  return v * mult;
}

Options parse_options(int argc, char** argv) {
  Options o;
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  // --smoke sets defaults that explicit options still override.
  if (std::find(args.begin(), args.end(), "--smoke") != args.end()) {
    o.sizes = {1000, 20000};
    o.lookups = 50000;
    o.window_ms = 20;
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    const auto value = [&]() -> std::string_view {
      if (i + 1 >= args.size()) throw std::invalid_argument(fmt::format("{} needs a value", a));
      return args[++i];
    };
    if (a == "--smoke") {
      continue;
    } else if (a == "--sizes") {
      o.sizes.clear();
      std::string_view list = value();
      while (!list.empty()) {
        const size_t comma = list.find(',');
        const uint64_t n = parse_count(list.substr(0, comma));
        if (n < 100 || n > ConnTable::kMaxCapacity)
          throw std::invalid_argument(
              fmt::format("table size {} outside 100..{}", n, ConnTable::kMaxCapacity));
        o.sizes.push_back(static_cast<uint32_t>(n));
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
      }
      if (o.sizes.empty()) throw std::invalid_argument("--sizes needs at least one size");
    } else if (a == "--lookups") {
      o.lookups = std::max<uint64_t>(1, parse_count(value()));
    } else if (a == "--passes") {
      o.passes = static_cast<uint32_t>(std::max<uint64_t>(1, parse_count(value())));
    } else if (a == "--window-ms") {
      o.window_ms = static_cast<uint32_t>(std::max<uint64_t>(1, parse_count(value())));
    } else if (a == "--no-huge") {
      o.memory = Options::Memory::kNoHuge;
    } else if (a == "--huge") {
      o.memory = Options::Memory::kHuge;
    } else if (a == "--help" || a == "-h") {
      usage(stdout);
      std::exit(0);
    } else {
      throw std::invalid_argument(fmt::format("unknown option '{}'", a));
    }
  }
  return o;
}

// --- the machine and EAL ---

std::string read_first(const std::string& path, std::string_view prefix) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(prefix)) {
      const size_t colon = line.find(':');
      const size_t value =
          line.find_first_not_of(" \t", colon == std::string::npos ? 0 : colon + 1);
      return value == std::string::npos ? "" : line.substr(value);
    }
  }
  return "?";
}

uint64_t read_number(const std::string& path) {
  std::ifstream in(path);
  uint64_t v = 0;
  in >> v;
  return in ? v : 0;
}

std::string machine_line() {
  std::array<char, 256> host{};
  gethostname(host.data(), host.size() - 1);
  utsname u{};
  uname(&u);
  return fmt::format("{}, {} CPUs online, {}, host {}, kernel {}, {}",
                     read_first("/proc/cpuinfo", "model name"), sysconf(_SC_NPROCESSORS_ONLN),
                     read_first("/proc/meminfo", "MemTotal"), host.data(), u.release,
                     rte_version());
}

// Free hugepage bytes of the largest page size that has any.
uint64_t free_hugepage_bytes() {
  uint64_t best = 0;
  for (const auto& [dir, page] : {std::pair{"hugepages-1048576kB", uint64_t{1} << 30},
                                  std::pair{"hugepages-2048kB", uint64_t{2} << 20}}) {
    best = std::max(
        best, read_number(fmt::format("/sys/kernel/mm/hugepages/{}/free_hugepages", dir)) * page);
  }
  return best;
}

// DPDK memory the largest table needs. lbd's table is always the largest
// allocation of a size: the reference rte_hash has the same key store and
// buckets without the extendable buckets, defer queue and records, and the
// random-read array is the size of the record pool. Tables are freed before
// the next allocation, so one at a time must fit. rte_malloc's headers and
// DPDK's own allocations take the margin.
uint64_t dpdk_mib_needed(const std::vector<uint32_t>& sizes) {
  const uint32_t largest = *std::max_element(sizes.begin(), sizes.end());
  const uint64_t bytes = ConnTable::estimate_bytes(largest);
  return ((bytes + bytes / 16) >> 20) + 256;
}

std::vector<std::string> eal_arguments(const char* argv0, const Options& o) {
  const uint64_t mib = dpdk_mib_needed(o.sizes);
  const long cpus = std::max(1L, sysconf(_SC_NPROCESSORS_ONLN));
  std::vector<std::string> eal = {argv0};
  const bool huge = o.memory == Options::Memory::kHuge ||
                    (o.memory == Options::Memory::kAuto && free_hugepage_bytes() >= mib << 20);
  if (huge) {
    eal.insert(eal.end(), {"--in-memory", "-m", std::to_string(mib)});
  } else {
    eal.insert(eal.end(), {"--no-huge", "-m", std::to_string(mib)});
  }
  eal.insert(eal.end(),
             {"--no-pci", fmt::format("--lcores=0@0,1@{}", 1 % cpus),
              fmt::format("--file-prefix=lbd-bench-conn-{}", getpid()), "--log-level=error"});
  return eal;
}

size_t dpdk_allocated_bytes() {
  size_t total = 0;
  for (unsigned i = 0; i < rte_socket_count(); ++i) {
    rte_malloc_socket_stats st{};
    if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i), &st) == 0)
      total += st.heap_allocsz_bytes;
  }
  return total;
}

// --- the workload ---

// The murmur3 finaliser: a bijection on 32 bits, so connection numbers map
// to distinct, well-spread clients.
constexpr uint32_t spread(uint32_t h) noexcept {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

const packet::Ipv4Addr kVip = packet::Ipv4Addr::from_octets(198, 18, 1, 100);

// Client `n`: its 32 spread bits become a 10/8 source address and one of 256
// source ports, so no client key equals another's, or any reply key (whose
// source is the real server, in 198.18/15).
FlowKeyV4 client_key(uint32_t n) {
  const uint32_t v = spread(n);
  FlowKeyV4 k;
  k.src = packet::Ipv4Addr::from_host(0x0a000000u | (v & 0x00ffffffu)).be;
  k.dst = kVip.be;
  k.sport = packet::hton16(static_cast<uint16_t>(1024 + (v >> 24)));
  k.dport = packet::hton16(80);
  k.proto = packet::kIpProtoUdp;
  return k;
}

// One NAT real server. Its counters are bound by every connection; a fresh
// set per table.
struct Dests {
  Dests() {
    counters.in_service = true;
    nat.counters = &counters;
  }
  sched::DestCounters counters;
  sched::Dest nat{.id = 0,
                  .addr = packet::Ipv4Addr::from_octets(198, 18, 2, 11),
                  .port_be = packet::hton16(8080),
                  .weight = 1,
                  .last_weight = 1,
                  .forward = sched::ForwardMethod::kNat,
                  .counters = nullptr};
};

// Every key of a size, generated before anything is timed.
struct Workload {
  uint32_t capacity = 0;
  std::vector<FlowKeyV4> client;  // connection n's client key, in insert order
  std::vector<FlowKeyV4> reply;   // its real-server-side key
  std::vector<FlowKeyV4> hit;     // every key of every connection, shuffled
  std::vector<uint32_t> hit_id;   // hit[j] is connection hit_id[j] >> 1's reply key if odd
  std::vector<FlowKeyV4> miss;    // keys of no connection
};

Workload make_workload(uint32_t capacity, uint64_t lookups, std::mt19937_64& rng) {
  Workload w;
  w.capacity = capacity;
  w.client.resize(capacity);
  w.reply.resize(capacity);
  // reply_key() itself, so the keys are exactly those the table inserts.
  const Dests d;
  conn::Connection c;
  c.rs_addr_be = d.nat.addr.be;
  c.rs_port_be = d.nat.port_be;
  for (uint32_t n = 0; n < capacity; ++n) {
    w.client[n] = client_key(n);
    c.client = w.client[n];
    w.reply[n] = c.reply_key();
  }
  const uint64_t keys = 2 * uint64_t{capacity};
  w.hit_id.resize(keys);
  std::iota(w.hit_id.begin(), w.hit_id.end(), 0u);
  std::shuffle(w.hit_id.begin(), w.hit_id.end(), rng);
  w.hit.resize(keys);
  for (size_t j = 0; j < keys; ++j) {
    const uint32_t id = w.hit_id[j];
    w.hit[j] = (id & 1) ? w.reply[id >> 1] : w.client[id >> 1];
  }
  const uint64_t misses = std::min(lookups, keys);
  w.miss.resize(misses);
  for (uint64_t j = 0; j < misses; ++j)
    w.miss[j] = client_key(static_cast<uint32_t>(capacity + j));
  return w;
}

// Runs `total` calls of f(j), cycling j over [0, n); returns ns per call.
template <class F>
double timed_cycle(size_t n, uint64_t total, F&& f) {
  const auto t0 = Clock::now();
  for (uint64_t done = 0; done < total;) {
    const size_t m = static_cast<size_t>(std::min<uint64_t>(n, total - done));
    for (size_t j = 0; j < m; ++j)
      f(j);
    done += m;
  }
  return seconds(t0, Clock::now()) * 1e9 / static_cast<double>(total);
}

template <class F>
double median_of_passes(uint32_t passes, size_t n, uint64_t total, F&& f) {
  std::vector<double> ns;
  for (uint32_t p = 0; p < passes; ++p)
    ns.push_back(timed_cycle(n, total, f));
  return median(std::move(ns));
}

// --- results ---

struct Fill {
  double ns = 0;         // per connection, whole fill
  double last10_ns = 0;  // per connection, the last 10 % (90 % -> 100 % full)
};

Fill median_fill(const std::vector<Fill>& fills) {
  std::vector<double> all, last;
  for (const Fill& f : fills) {
    all.push_back(f.ns);
    last.push_back(f.last10_ns);
  }
  return {median(all), median(last)};
}

struct SweepTotals {
  double seconds = 0;
  uint64_t slots = 0;
  uint64_t expired = 0;
  uint32_t rounds = 0;
  double mslots() const { return seconds > 0 ? static_cast<double>(slots) / seconds / 1e6 : 0; }
  double mdeleted() const { return seconds > 0 ? static_cast<double>(expired) / seconds / 1e6 : 0; }
};

struct Result {
  uint32_t capacity = 0;
  size_t bytes_per_conn = 0;
  double estimate_per_conn = 0;
  double create_s = 0;  // ConnTable construction (allocation, record and ring init)
  Fill insert, ref_insert;
  uint64_t ref_insert_failed = 0;
  double ref_bytes_per_conn = 0;
  double hit_ns = 0, miss_ns = 0, ref_hit_ns = 0, ref_miss_ns = 0;
  double chase_ns = 0, independent_ns = 0;
  double alone_mops = 0, sweep_mops = 0, empty_mops = 0;
  double sweep_hit_fraction = 0;
  SweepTotals sweep, sweep_alone;
  double total_s = 0;
};

// --- lbd's table ---

struct Qsbr {
  Qsbr() {
    v = static_cast<rte_rcu_qsbr*>(
        rte_zmalloc("bench_qsbr", rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE));
    if (v == nullptr || rte_rcu_qsbr_init(v, 1) != 0 || rte_rcu_qsbr_thread_register(v, 0) != 0)
      throw std::runtime_error("cannot set up the RCU state");
  }
  ~Qsbr() { rte_free(v); }
  Qsbr(const Qsbr&) = delete;
  Qsbr& operator=(const Qsbr&) = delete;
  rte_rcu_qsbr* v = nullptr;
};

// A table with its real server's counters, which its records point at.
struct Lbd {
  std::unique_ptr<Dests> dests = std::make_unique<Dests>();
  std::unique_ptr<ConnTable> table;
};

conn::Connection* create(Lbd& l, const FlowKeyV4& k) {
  static const conn::Timeouts timeouts;
  dataplane::Drop why = dataplane::Drop::conn_table_full;
  conn::Connection* c = l.table->create(k, l.table->hash(k), l.dests->nat, l.dests->nat.port_be, 0,
                                        0, 0, timeouts, why);
  if (c == nullptr) {
    throw std::runtime_error(fmt::format(
        "connection {} of {} refused ({})", l.table->stats().in_use, l.table->capacity(),
        why == dataplane::Drop::conn_conflict ? "reply-key conflict" : "table full"));
  }
  return c;
}

// Fills a fresh table; `index[n]` receives connection n's record.
Fill timed_fill(Lbd& l, const Workload& w, std::vector<uint32_t>& index) {
  const uint32_t n90 = w.capacity / 10 * 9;
  const auto t0 = Clock::now();
  for (uint32_t n = 0; n < n90; ++n)
    index[n] = l.table->index_of(*create(l, w.client[n]));
  const auto t90 = Clock::now();
  for (uint32_t n = n90; n < w.capacity; ++n)
    index[n] = l.table->index_of(*create(l, w.client[n]));
  const auto t1 = Clock::now();
  return {seconds(t0, t1) * 1e9 / w.capacity, seconds(t90, t1) * 1e9 / (w.capacity - n90)};
}

void refill(Lbd& l, const Workload& w) {
  for (uint32_t n = 0; n < w.capacity; ++n)
    create(l, w.client[n]);
}

// Every key of every connection finds its own record, from the right side.
void verify_all(Lbd& l, const Workload& w, const std::vector<uint32_t>& index) {
  ConnTable& t = *l.table;
  if (t.stats().in_use != w.capacity)
    throw std::runtime_error(
        fmt::format("{} connections in use after inserting {}", t.stats().in_use, w.capacity));
  for (uint32_t n = 0; n < w.capacity; ++n) {
    const auto c = t.lookup(w.client[n], t.hash(w.client[n]));
    const auto r = t.lookup(w.reply[n], t.hash(w.reply[n]));
    if (c.conn != &t.at(index[n]) || c.reply || r.conn != &t.at(index[n]) || !r.reply)
      throw std::runtime_error(
          fmt::format("connection {} of {}: an inserted key was not found", n, w.capacity));
  }
}

// One pass of the sweeper over every slot, in the control thread's steps.
void sweep_pass(ConnTable& t, SweepTotals& s) {
  const uint32_t budget = std::max<uint32_t>(1024, t.capacity() / kTicksPerSecond);
  uint64_t expired = 0;
  const auto t0 = Clock::now();
  for (uint32_t left = t.capacity(); left > 0;) {
    const uint32_t b = std::min(budget, left);
    expired += t.expire(kSweepNow, b);
    left -= b;
  }
  s.seconds += seconds(t0, Clock::now());
  if (expired != t.capacity())
    throw std::runtime_error(
        fmt::format("the sweeper expired {} of {} due connections", expired, t.capacity()));
  s.slots += t.capacity();
  s.expired += expired;
  ++s.rounds;
}

// Waits until every expired record is reclaimed (a grace period after its
// keys were deleted), driving the reclaim as an idle control thread does.
void drain(ConnTable& t) {
  const auto t0 = Clock::now();
  while (t.stats().in_use != 0 || t.stats().retired != 0) {
    t.expire(kSweepNow, 0);
    if (seconds(t0, Clock::now()) > 30)
      throw std::runtime_error(
          fmt::format("{} expired records not reclaimed after 30 s", t.stats().retired));
  }
}

// The lookup worker's state; the counters are its own cache line, written
// once a burst.
struct Worker {
  ConnTable* table = nullptr;
  const std::vector<FlowKeyV4>* keys = nullptr;
  rte_rcu_qsbr* qsbr = nullptr;
  std::atomic<bool> stop{false};
  alignas(64) std::atomic<uint64_t> lookups{0};
  std::atomic<uint64_t> misses{0};
};

int lookup_worker(void* arg) {
  auto& w = *static_cast<Worker*>(arg);
  const ConnTable& t = *w.table;
  const std::vector<FlowKeyV4>& keys = *w.keys;
  uint64_t lookups = 0, misses = 0;
  size_t j = 0;
  rte_rcu_qsbr_thread_online(w.qsbr, 0);
  while (!w.stop.load(std::memory_order_relaxed)) {
    for (uint32_t b = 0; b < kBurst; ++b) {
      const FlowKeyV4& k = keys[j];
      j = j + 1 == keys.size() ? 0 : j + 1;
      misses += t.lookup(k, t.hash(k)).conn == nullptr;
    }
    lookups += kBurst;
    // End of the burst: nothing found above is used after this.
    rte_rcu_qsbr_quiescent(w.qsbr, 0);
    w.misses.store(misses, std::memory_order_relaxed);
    w.lookups.store(lookups, std::memory_order_relaxed);
  }
  rte_rcu_qsbr_thread_offline(w.qsbr, 0);
  return 0;
}

// Read without synchronising with the worker: the two counts may be a
// burst apart, noise next to a window's millions of lookups.
struct Count {
  Clock::time_point at;
  uint64_t lookups, misses;
};
Count count(const Worker& w) {
  return {Clock::now(), w.lookups.load(std::memory_order_relaxed),
          w.misses.load(std::memory_order_relaxed)};
}

// The worker's rate while the main lcore spins: busy like a sweeping control
// thread, without touching memory. In a full table every key must be found.
double alone_mops(const Worker& w, uint32_t window_ms, bool full) {
  const Count a = count(w);
  while (seconds(a.at, Clock::now()) * 1000 < window_ms)
    rte_pause();
  const Count b = count(w);
  if (full && b.misses != a.misses)
    throw std::runtime_error(
        fmt::format("the lookup worker missed {} keys of a full table", b.misses - a.misses));
  return static_cast<double>(b.lookups - a.lookups) / seconds(a.at, b.at) / 1e6;
}

void concurrent_phase(Lbd& l, const Workload& w, rte_rcu_qsbr* qsbr, const Options& o, Result& r) {
  ConnTable& t = *l.table;
  Worker wk;
  wk.table = &t;
  wk.keys = &w.hit;
  wk.qsbr = qsbr;
  const unsigned lcore = rte_get_next_lcore(-1, 1, 0);
  if (lcore >= RTE_MAX_LCORE) throw std::runtime_error("no second lcore for the lookup worker");
  if (rte_eal_remote_launch(lookup_worker, &wk, lcore) != 0)
    throw std::runtime_error("cannot launch the lookup worker");
  try {
    while (wk.lookups.load(std::memory_order_relaxed) == 0)
      rte_pause();
    r.alone_mops = alone_mops(wk, o.window_ms, true);
    // Sweeps of a table whose connections are all due, refilled between
    // passes (not counted) until the sweeps add up to a window.
    uint64_t lookups = 0, misses = 0;
    double busy = 0;
    for (;;) {
      const Count a = count(wk);
      sweep_pass(t, r.sweep);
      const Count b = count(wk);
      lookups += b.lookups - a.lookups;
      misses += b.misses - a.misses;
      busy += seconds(a.at, b.at);
      drain(t);
      if (r.sweep.seconds * 1000 >= o.window_ms || r.sweep.rounds >= kMaxSweepRounds) break;
      refill(l, w);
    }
    r.sweep_mops = static_cast<double>(lookups) / busy / 1e6;
    r.sweep_hit_fraction =
        lookups != 0 ? 1 - static_cast<double>(misses) / static_cast<double>(lookups) : 0;
    r.empty_mops = alone_mops(wk, o.window_ms, false);
  } catch (...) {
    wk.stop = true;
    rte_eal_wait_lcore(lcore);
    throw;
  }
  wk.stop = true;
  rte_eal_wait_lcore(lcore);

  // The reference: the same sweeps with no reader online, so every grace
  // period is over at once.
  do {
    refill(l, w);
    sweep_pass(t, r.sweep_alone);
    drain(t);
  } while (r.sweep_alone.seconds * 1000 < o.window_ms && r.sweep_alone.rounds < kMaxSweepRounds);
}

void measure_lbd(const Workload& w, rte_rcu_qsbr* qsbr, const Options& o, Result& r) {
  const uint32_t reps = w.capacity < kRepeatBelow ? kRepeats : 1;
  std::vector<uint32_t> index(w.capacity);
  std::vector<Fill> fills;
  Lbd l;
  for (uint32_t rep = 0; rep < reps; ++rep) {
    l.table.reset();
    l.dests = std::make_unique<Dests>();
    const auto t0 = Clock::now();
    l.table =
        std::make_unique<ConnTable>(fmt::format("bct{}_{}", w.capacity, rep), w.capacity,
                                    static_cast<int>(rte_socket_id()), qsbr, &l.dests->counters);
    r.create_s = seconds(t0, Clock::now());
    fills.push_back(timed_fill(l, w, index));
  }
  r.insert = median_fill(fills);
  ConnTable& t = *l.table;
  r.bytes_per_conn = t.bytes_per_connection();
  r.estimate_per_conn =
      static_cast<double>(ConnTable::estimate_bytes(w.capacity)) / static_cast<double>(w.capacity);
  fmt::print(stderr, "  lbd fill: {:.1f} ns/conn, last 10 % {:.1f} ns/conn; verifying\n",
             r.insert.ns, r.insert.last10_ns);
  verify_all(l, w, index);

  // Expected results in lookup order, so checking them reads memory
  // sequentially rather than through `index`.
  std::vector<uint32_t> expect(w.hit.size());
  for (size_t j = 0; j < w.hit.size(); ++j)
    expect[j] = (index[w.hit_id[j] >> 1] << 1) | (w.hit_id[j] & 1);
  const conn::Connection* base = &t.at(0);
  uint64_t wrong = 0;
  r.hit_ns = median_of_passes(o.passes, w.hit.size(), o.lookups, [&](size_t j) {
    const auto f = t.lookup(w.hit[j], t.hash(w.hit[j]));
    wrong += (f.conn != base + (expect[j] >> 1)) | (f.reply != (expect[j] & 1));
  });
  if (wrong != 0)
    throw std::runtime_error(fmt::format("{} lookups of inserted keys missed", wrong));
  uint64_t found = 0;
  r.miss_ns = median_of_passes(o.passes, w.miss.size(), o.lookups, [&](size_t j) {
    found += t.lookup(w.miss[j], t.hash(w.miss[j])).conn != nullptr;
  });
  if (found != 0) throw std::runtime_error(fmt::format("{} absent keys were found", found));
  fmt::print(stderr, "  lbd lookups: hit {:.1f} ns, miss {:.1f} ns; concurrent phase\n", r.hit_ns,
             r.miss_ns);
  concurrent_phase(l, w, qsbr, o, r);
}

// --- the plain rte_hash reference ---

struct RefHash {
  RefHash(const std::string& name, uint32_t entries) {
    rte_hash_parameters p{};
    p.name = name.c_str();
    p.entries = entries;
    p.key_len = sizeof(FlowKeyV4);
    p.hash_func = rte_hash_crc;
    p.hash_func_init_val = 0;
    p.socket_id = static_cast<int>(rte_socket_id());
    const size_t before = dpdk_allocated_bytes();
    h = rte_hash_create(&p);
    if (h == nullptr)
      throw std::runtime_error(fmt::format("cannot create the reference rte_hash of {} entries: {}",
                                           entries, rte_strerror(rte_errno)));
    bytes = dpdk_allocated_bytes() - before;
  }
  ~RefHash() { rte_hash_free(h); }
  RefHash(const RefHash&) = delete;
  RefHash& operator=(const RefHash&) = delete;
  rte_hash* h = nullptr;
  size_t bytes = 0;
};

// The same keys in the same order as lbd's create (reply key, then client
// key), the data naming the key as hit_id does.
Fill timed_ref_fill(RefHash& ref, const Workload& w, uint64_t& failed) {
  const uint32_t n90 = w.capacity / 10 * 9;
  failed = 0;
  const auto add = [&](uint32_t n) {
    void* const reply_id = reinterpret_cast<void*>((uintptr_t{n} << 1) | 1);
    void* const client_id = reinterpret_cast<void*>(uintptr_t{n} << 1);
    failed += rte_hash_add_key_data(ref.h, &w.reply[n], reply_id) < 0;
    failed += rte_hash_add_key_data(ref.h, &w.client[n], client_id) < 0;
  };
  const auto t0 = Clock::now();
  for (uint32_t n = 0; n < n90; ++n)
    add(n);
  const auto t90 = Clock::now();
  for (uint32_t n = n90; n < w.capacity; ++n)
    add(n);
  const auto t1 = Clock::now();
  return {seconds(t0, t1) * 1e9 / w.capacity, seconds(t90, t1) * 1e9 / (w.capacity - n90)};
}

void measure_ref(const Workload& w, const Options& o, Result& r) {
  const uint32_t reps = w.capacity < kRepeatBelow ? kRepeats : 1;
  std::vector<Fill> fills;
  std::unique_ptr<RefHash> ref;
  for (uint32_t rep = 0; rep < reps; ++rep) {
    ref.reset();
    ref = std::make_unique<RefHash>(fmt::format("bref{}_{}", w.capacity, rep), 2 * w.capacity);
    fills.push_back(timed_ref_fill(*ref, w, r.ref_insert_failed));
  }
  r.ref_insert = median_fill(fills);
  r.ref_bytes_per_conn = static_cast<double>(ref->bytes) / w.capacity;
  uint64_t wrong = 0, absent = 0;
  r.ref_hit_ns = median_of_passes(o.passes, w.hit.size(), o.lookups, [&](size_t j) {
    void* data = nullptr;
    if (rte_hash_lookup_data(ref->h, &w.hit[j], &data) < 0) {
      ++absent;
    } else {
      wrong += reinterpret_cast<uintptr_t>(data) != w.hit_id[j];
    }
  });
  // Keys it refused are absent; any other miss, or a wrong record, is a bug.
  if (wrong != 0 || (r.ref_insert_failed == 0 && absent != 0))
    throw std::runtime_error(
        fmt::format("reference rte_hash: {} wrong and {} missing lookups", wrong, absent));
  uint64_t found = 0;
  r.ref_miss_ns = median_of_passes(o.passes, w.miss.size(), o.lookups, [&](size_t j) {
    void* data = nullptr;
    found += rte_hash_lookup_data(ref->h, &w.miss[j], &data) >= 0;
  });
  if (found != 0) throw std::runtime_error("reference rte_hash found absent keys");
}

// --- the memory reference ---

// Random 64-byte reads over DPDK memory as large as the record pool: a
// dependent chain (each read names the next: the latency of one miss) and
// independent reads in random order (what the CPU overlaps: the throughput).
void measure_memory(uint32_t lines, const Options& o, std::mt19937_64& rng, Result& r) {
  struct alignas(64) Line {
    uint64_t next;
    std::array<uint64_t, 7> pad;
  };
  static_assert(sizeof(Line) == sizeof(conn::Connection));
  auto* a = static_cast<Line*>(rte_malloc("bench_lines", sizeof(Line) * lines, 64));
  if (a == nullptr)
    throw std::runtime_error(fmt::format("cannot allocate {} MiB for the random-read reference",
                                         sizeof(Line) * lines >> 20));
  // Sattolo's shuffle: one cycle through every line.
  std::vector<uint32_t> order(lines);
  std::iota(order.begin(), order.end(), 0u);
  for (uint32_t i = lines - 1; i > 0; --i)
    std::swap(order[i], order[std::uniform_int_distribution<uint32_t>(0, i - 1)(rng)]);
  for (uint32_t i = 0; i < lines; ++i)
    a[order[i]].next = order[(i + 1) % lines];
  uint64_t p = order[0];
  r.chase_ns = median_of_passes(o.passes, lines, o.lookups, [&](size_t) { p = a[p].next; });
  keep(p);
  uint64_t sum = 0;
  r.independent_ns =
      median_of_passes(o.passes, lines, o.lookups, [&](size_t j) { sum += a[order[j]].next; });
  keep(sum);
  rte_free(a);
}

// --- output ---

std::string ratio(double a, double b) {
  return b > 0 ? fmt::format("{:.2f}", a / b) : "-";
}

void print_tables(const std::vector<Result>& results) {
  fmt::print(
      "\n| connections | bytes/conn measured | bytes/conn estimated | insert ns | ref insert ns "
      "| insert / ref | last 10 % insert ns (ref) | lookup hit ns | ref lookup ns | hit / ref "
      "| miss ns (ref) | random read ns | concurrent lookup Mops/s: alone / during sweep "
      "| sweep Mslots/s (no reader) |\n"
      "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const Result& r : results) {
    fmt::print(
        "| {} | {} | {:.1f} | {:.1f} | {:.1f} | {} | {:.1f} ({:.1f}) | {:.1f} | {:.1f} | {} "
        "| {:.1f} ({:.1f}) | {:.1f} | {:.2f} / {:.2f} ({}) | {:.2f} ({:.2f}) |\n",
        r.capacity, r.bytes_per_conn, r.estimate_per_conn, r.insert.ns, r.ref_insert.ns,
        ratio(r.insert.ns, r.ref_insert.ns), r.insert.last10_ns, r.ref_insert.last10_ns, r.hit_ns,
        r.ref_hit_ns, ratio(r.hit_ns, r.ref_hit_ns), r.miss_ns, r.ref_miss_ns, r.chase_ns,
        r.alone_mops, r.sweep_mops, ratio(r.sweep_mops, r.alone_mops), r.sweep.mslots(),
        r.sweep_alone.mslots());
  }
  fmt::print(
      "\n| connections | insert Mconn/s (ref) | ref inserts refused | ref bytes/conn "
      "| independent read ns | worker hits during sweep | worker on emptied table Mops/s "
      "| sweep Mconn expired/s (no reader) | sweep rounds | table create s | size total s |\n"
      "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const Result& r : results) {
    fmt::print(
        "| {} | {:.2f} ({:.2f}) | {} | {:.1f} | {:.1f} | {:.0f} % | {:.2f} | {:.2f} ({:.2f}) "
        "| {} ({}) | {:.2f} | {:.1f} |\n",
        r.capacity, 1e3 / r.insert.ns, 1e3 / r.ref_insert.ns, r.ref_insert_failed,
        r.ref_bytes_per_conn, r.independent_ns, 100 * r.sweep_hit_fraction, r.empty_mops,
        r.sweep.mdeleted(), r.sweep_alone.mdeleted(), r.sweep.rounds, r.sweep_alone.rounds,
        r.create_s, r.total_s);
  }
  fmt::print(
      "\nAll connections are NAT (two keys each); insert and ref insert are per connection "
      "(lbd: ConnTable::create, which also checks the reply key is free; ref: two "
      "rte_hash_add_key_data into a default-flags rte_hash of 2 x connections entries). Lookups: "
      "hash + lookup of a pre-generated key, random order, single thread; hit = every key of "
      "every connection, miss = absent client keys. Random read: a dependent chain of 64-byte "
      "reads over a DPDK array the size of the record pool (independent reads in the second "
      "table). Concurrent: a worker on the second lcore looks up keys of the full table "
      "(quiescent every {} lookups) while the main lcore spins (alone) or sweeps with lbd's "
      "budget, deleting every connection (during sweep; the worker's keys disappear as it goes, "
      "see 'worker hits'). Sweep Mslots/s: pool slots examined per second; (no reader) is the "
      "same sweep with no RCU reader online. Ratios are lbd / reference; sizes under {} are "
      "filled {} times, lookups are the median of the timed passes.\n",
      kBurst, kRepeatBelow, kRepeats);
}

int run(int argc, char** argv) {
  const auto start = Clock::now();
  Options o;
  try {
    o = parse_options(argc, argv);
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "conn_table_bench: {}\n", e.what());
    usage(stderr);
    return 2;
  }
  std::vector<std::string> eal = eal_arguments(argv[0], o);
  std::vector<char*> eal_argv;
  for (auto& a : eal)
    eal_argv.push_back(a.data());
  std::string eal_line;
  for (size_t i = 1; i < eal.size(); ++i)
    eal_line += (i > 1 ? " " : "") + eal[i];
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    fmt::print(stderr, "conn_table_bench: EAL initialisation failed ({}): {}\n", eal_line,
               rte_strerror(rte_errno));
    return 1;
  }
  fmt::print("# Connection table benchmark\n\nMachine: {}\n\nEAL: `{}`\n\n", machine_line(),
             eal_line);
  fmt::print("Lookups per timed pass: {}, passes: {}, concurrent windows: {} ms\n", o.lookups,
             o.passes, o.window_ms);
  std::fflush(stdout);

  int rc = 0;
  std::vector<Result> results;
  try {
    Qsbr qsbr;
    std::mt19937_64 rng(20221122);
    for (const uint32_t capacity : o.sizes) {
      const auto t0 = Clock::now();
      fmt::print(stderr, "size {}: generating keys\n", capacity);
      const Workload w = make_workload(capacity, o.lookups, rng);
      Result r;
      r.capacity = capacity;
      measure_lbd(w, qsbr.v, o, r);
      fmt::print(stderr, "  reference rte_hash\n");
      measure_ref(w, o, r);
      measure_memory(capacity, o, rng, r);
      r.total_s = seconds(t0, Clock::now());
      fmt::print(stderr, "  done in {:.1f} s\n", r.total_s);
      results.push_back(r);
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "conn_table_bench: error: {}\n", e.what());
    rc = 1;
  }
  print_tables(results);
  fmt::print("\nRun time: {:.1f} s{}\n", seconds(start, Clock::now()),
             rc != 0 ? " (stopped by an error)" : "");
  rte_eal_cleanup();
  return rc;
}

}  // namespace
}  // namespace lb::bench

int main(int argc, char** argv) {
  return lb::bench::run(argc, argv);
}
