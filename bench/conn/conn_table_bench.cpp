// The connection table benchmark: memory, insert, lookup and expiry figures
// for lbd's ConnTable at several sizes, each beside a reference measured in
// the same run, because the machine is shared and noisy:
// - a plain rte_hash (default flags: no RW concurrency, no multi-writer, no
//   extendable buckets) of the same entry count, holding the same keys with
//   the same hash function, filled and looked up the same way;
// - random 64-byte reads over DPDK memory as large as the record pool, so
//   lookup times can be read against the memory latency of that footprint.
// lbd and its references are measured alternately, pass by pass.
//
// Each size gets fresh tables, freed before the next size; single-threaded
// phases run on the main lcore, the concurrent phase is sweep_phase.h.
// Nothing here asserts a speed. The exit status is non-zero only on a real
// error: an allocation failed, an insert was refused, an inserted key was
// not found (or found the wrong record), an absent key was found.
#include <unistd.h>
#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
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
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include <lb/dataplane/conn_table.h>
#include <lb/dataplane/heap_stats.h>

#include "bench_util.h"
#include "sweep_phase.h"
#include "workload.h"

namespace lb::bench {
namespace {

using dataplane::ConnTable;
using packet::FlowKeyV4;

// Sizes below this are filled several times and the median kept: one fill
// lasts milliseconds, shorter than the noise on a shared machine.
constexpr uint32_t kRepeatBelow = 1000000;
constexpr uint32_t kRepeats = 5;

struct Options {
  std::vector<uint32_t> sizes = {10000, 100000, 1000000, 4000000, 16000000};
  uint64_t lookups = 4000000;  // per timed pass
  uint32_t passes = 5;         // timed passes per lookup figure; medians are printed
  uint32_t window_ms = 1000;   // concurrent phase: the worker-alone window, the sweep minimum
  enum class Memory { kAuto, kNoHuge, kHuge } memory = Memory::kAuto;
};

void usage(FILE* out) {
  fmt::print(out,
             "usage: conn_table_bench [--smoke] [--sizes N,N,...] [--lookups N] [--passes N]\n"
             "                        [--window-ms N] [--no-huge | --huge]\n"
             "  --sizes      table sizes in connections, suffixes k and M\n"
             "               (default 10k,100k,1M,4M,16M)\n"
             "  --lookups    lookups per timed pass (default 4M)\n"
             "  --passes     timed passes per lookup figure, median printed (default 5)\n"
             "  --window-ms  concurrent phase: worker-alone window, minimum sweep time (1000)\n"
             "  --smoke      tiny sizes and short windows: a quick end-to-end check\n"
             "  --no-huge    EAL without hugepages; --huge: hugepages with --in-memory;\n"
             "               default: hugepages when enough are free\n");
}

uint64_t parse_count(std::string_view s) {
  uint64_t mult = 1;
  if (!s.empty() && (s.back() == 'k' || s.back() == 'K')) mult = 1000;
  if (!s.empty() && s.back() == 'M') mult = 1000000;
  if (mult != 1) s.remove_suffix(1);
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size())
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
    o.passes = 3;
    o.window_ms = 20;
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    const auto value = [&]() -> std::string_view {
      if (i + 1 >= args.size()) throw std::invalid_argument(fmt::format("{} needs a value", a));
      return args[++i];
    };
    const auto positive = [&] { return std::max<uint64_t>(1, parse_count(value())); };
    if (a == "--smoke") {
      continue;
    } else if (a == "--sizes") {
      o.sizes.clear();
      std::string_view list = value();
      while (!list.empty()) {
        const size_t comma = list.find(',');
        const uint64_t n = parse_count(list.substr(0, comma));
        if (n < 100 || n > ConnTable::kMaxCapacity) {
          throw std::invalid_argument(
              fmt::format("table size {} outside 100..{}", n, ConnTable::kMaxCapacity));
        }
        o.sizes.push_back(static_cast<uint32_t>(n));
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
      }
      if (o.sizes.empty()) throw std::invalid_argument("--sizes needs at least one size");
    } else if (a == "--lookups") {
      o.lookups = positive();
    } else if (a == "--passes") {
      o.passes = static_cast<uint32_t>(std::min<uint64_t>(positive(), 1000));
    } else if (a == "--window-ms") {
      o.window_ms = static_cast<uint32_t>(std::min<uint64_t>(positive(), 600000));
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

// --- EAL ---

uint64_t pow2(uint64_t n) {
  uint64_t p = 1;
  while (p < n)
    p <<= 1;
  return p;
}

// A default-flags rte_hash of `entries` (rte_cuckoo_hash.c, 22.11): key
// store of 32-byte entries, 64-byte buckets of 8, a ring of free slots.
uint64_t ref_hash_estimate(uint64_t entries) {
  return (entries + 1) * 32 + pow2(entries) / 8 * 64 + pow2(entries + 1) * 4;
}

// DPDK memory for the largest size: lbd's table, the reference hash and the
// random-read array are alive together. The margin covers rte_malloc's
// headers and DPDK's own allocations.
uint64_t dpdk_mib_needed(const std::vector<uint32_t>& sizes) {
  const uint64_t largest = *std::max_element(sizes.begin(), sizes.end());
  const uint64_t bytes = ConnTable::estimate_bytes(static_cast<uint32_t>(largest)) +
                         ref_hash_estimate(2 * largest) + largest * sizeof(conn::Connection);
  return ((bytes + bytes / 16) >> 20) + 256;
}

std::vector<std::string> eal_arguments(const char* argv0, const Options& o) {
  const uint64_t mib = dpdk_mib_needed(o.sizes);
  const long cpus = std::max(1L, sysconf(_SC_NPROCESSORS_ONLN));
  const bool huge = o.memory == Options::Memory::kHuge ||
                    (o.memory == Options::Memory::kAuto && free_hugepage_bytes() >= mib << 20);
  return {argv0, huge ? "--in-memory" : "--no-huge", "-m", std::to_string(mib), "--no-pci",
          fmt::format("--lcores=0@0,1@{}", 1 % cpus),
          fmt::format("--file-prefix=lbd-bench-conn-{}", getpid()),
          // One process: no shared config (no multi-megabyte fbarray files in
          // /var/run/dpdk) and no telemetry socket, so its runtime directory
          // is empty at exit and can go.
          "--no-shconf", "--no-telemetry", "--log-level=error"};
}

// --- the references ---

class RefHash {
 public:
  RefHash(const std::string& name, uint32_t entries) {
    rte_hash_parameters p{};
    p.name = name.c_str();
    p.entries = entries;
    p.key_len = sizeof(FlowKeyV4);
    p.hash_func = rte_hash_crc;
    p.hash_func_init_val = 0;
    p.socket_id = static_cast<int>(rte_socket_id());
    const size_t before = dataplane::heap_stats().allocated;
    h_ = rte_hash_create(&p);
    if (h_ == nullptr) {
      throw std::runtime_error(fmt::format("cannot create the reference rte_hash of {} entries: {}",
                                           entries, rte_strerror(rte_errno)));
    }
    bytes_ = dataplane::heap_stats().allocated - before;
  }
  ~RefHash() { rte_hash_free(h_); }
  RefHash(const RefHash&) = delete;
  RefHash& operator=(const RefHash&) = delete;
  rte_hash* get() const { return h_; }
  size_t bytes() const { return bytes_; }

 private:
  rte_hash* h_ = nullptr;
  size_t bytes_ = 0;
};

// The same keys in the same order as lbd's create (reply key, then client
// key), the data naming the key as Workload::hit_id does. A refused key is
// counted, not an error: a table without extendable buckets may not fit them all.
Fill timed_ref_fill(const RefHash& ref, const Workload& w, uint64_t& refused) {
  const uint32_t n90 = w.capacity / 10 * 9;
  uint64_t failed = 0;
  const auto add = [&](uint32_t n) {
    void* const reply_id = reinterpret_cast<void*>((uintptr_t{n} << 1) | 1);
    void* const client_id = reinterpret_cast<void*>(uintptr_t{n} << 1);
    failed += rte_hash_add_key_data(ref.get(), &w.reply[n], reply_id) < 0;
    failed += rte_hash_add_key_data(ref.get(), &w.client[n], client_id) < 0;
  };
  const auto t0 = Clock::now();
  for (uint32_t n = 0; n < n90; ++n)
    add(n);
  const auto t90 = Clock::now();
  for (uint32_t n = n90; n < w.capacity; ++n)
    add(n);
  const auto t1 = Clock::now();
  refused = failed;
  return {seconds(t0, t1) * 1e9 / w.capacity, seconds(t90, t1) * 1e9 / (w.capacity - n90)};
}

// Random 64-byte reads over DPDK memory as large as the record pool: a
// dependent chain (each read names the next: the latency of one miss) and
// independent reads in random order (what the CPU overlaps: the throughput).
class RandomLines {
 public:
  RandomLines(uint32_t lines, std::mt19937_64& rng) : order_(lines) {
    lines_ = static_cast<Line*>(rte_malloc("bench_lines", sizeof(Line) * lines, 64));
    if (lines_ == nullptr) {
      throw std::runtime_error(fmt::format("cannot allocate {} MiB for the random-read reference",
                                           sizeof(Line) * lines >> 20));
    }
    // Sattolo's shuffle: a single cycle through every line.
    std::iota(order_.begin(), order_.end(), 0u);
    for (uint32_t i = lines - 1; i > 0; --i)
      std::swap(order_[i], order_[std::uniform_int_distribution<uint32_t>(0, i - 1)(rng)]);
    for (uint32_t i = 0; i < lines; ++i)
      lines_[order_[i]].next = order_[(i + 1) % lines];
  }
  ~RandomLines() { rte_free(lines_); }
  RandomLines(const RandomLines&) = delete;
  RandomLines& operator=(const RandomLines&) = delete;

  double chase_ns(uint64_t reads) {
    uint64_t p = order_[0];
    const double ns = timed_cycle(order_.size(), reads, [&](size_t) { p = lines_[p].next; });
    keep(p);
    return ns;
  }
  double independent_ns(uint64_t reads) {
    uint64_t sum = 0;
    const double ns =
        timed_cycle(order_.size(), reads, [&](size_t j) { sum += lines_[order_[j]].next; });
    keep(sum);
    return ns;
  }

 private:
  struct alignas(64) Line {
    uint64_t next;
    std::array<uint64_t, 7> pad;
  };
  static_assert(sizeof(Line) == sizeof(conn::Connection));
  Line* lines_ = nullptr;
  std::vector<uint32_t> order_;
};

// --- one size ---

struct Result {
  uint32_t capacity = 0;
  size_t bytes_per_conn = 0;
  double estimate_per_conn = 0;
  double ref_bytes_per_conn = 0;
  double create_s = 0;  // ConnTable construction: allocation, record and free-ring init
  Paired insert, last10;
  uint64_t ref_refused = 0;
  Paired hit, miss;
  std::vector<double> chase, independent;
  ConcurrentResult concurrent;
  double total_s = 0;
};

Result measure_size(uint32_t capacity, rte_rcu_qsbr* qsbr, const Options& o, std::mt19937_64& rng) {
  const auto start = Clock::now();
  Result r;
  r.capacity = capacity;
  // Progress and where the time goes, on stderr.
  auto phase = Clock::now();
  const auto lap = [&phase](std::string_view what) {
    const auto now = Clock::now();
    fmt::print(stderr, "  {}: {:.1f} s\n", what, seconds(phase, now));
    phase = now;
  };
  fmt::print(stderr, "size {}\n", capacity);
  const Workload w = make_workload(capacity, std::min<uint64_t>(o.lookups, 2 * capacity), rng);
  lap("keys");
  const uint32_t reps = capacity < kRepeatBelow ? kRepeats : 1;
  std::vector<uint32_t> index(capacity);
  std::unique_ptr<Lbd> l;
  std::unique_ptr<RefHash> ref;
  for (uint32_t rep = 0; rep < reps; ++rep) {
    l.reset();
    const auto t0 = Clock::now();
    l = std::make_unique<Lbd>(fmt::format("bct{}_{}", capacity, rep), capacity, qsbr);
    r.create_s = seconds(t0, Clock::now());
    const Fill f = timed_fill(*l, w, index);
    ref.reset();
    ref = std::make_unique<RefHash>(fmt::format("bref{}_{}", capacity, rep), 2 * capacity);
    const Fill rf = timed_ref_fill(*ref, w, r.ref_refused);
    r.insert.add(f.ns, rf.ns);
    r.last10.add(f.last10_ns, rf.last10_ns);
  }
  ConnTable& t = *l->table;
  r.bytes_per_conn = t.bytes_per_connection();
  r.estimate_per_conn =
      static_cast<double>(ConnTable::estimate_bytes(capacity)) / static_cast<double>(capacity);
  r.ref_bytes_per_conn = static_cast<double>(ref->bytes()) / capacity;
  lap(fmt::format("{} fills of lbd's table and the reference", reps));
  verify_all(*l, w, index);
  lap("verifying every key");

  // Expected records in lookup order, so checking them reads memory
  // sequentially instead of through `index`.
  std::vector<uint32_t> expect(w.hit.size());
  for (size_t j = 0; j < w.hit.size(); ++j)
    expect[j] = (index[w.hit_id[j] >> 1] << 1) | (w.hit_id[j] & 1);
  const conn::Connection* base = &t.at(0);
  RandomLines lines(capacity, rng);
  uint64_t wrong = 0, found = 0, ref_wrong = 0, ref_absent = 0, ref_found = 0;
  lap("random-read array");
  for (uint32_t p = 0; p < o.passes; ++p) {
    const double hit = timed_cycle(w.hit.size(), o.lookups, [&](size_t j) {
      const auto f = t.lookup(w.hit[j], t.hash(w.hit[j]));
      wrong += (f.conn != base + (expect[j] >> 1)) | (f.reply != (expect[j] & 1));
    });
    const double ref_hit = timed_cycle(w.hit.size(), o.lookups, [&](size_t j) {
      void* data = nullptr;
      if (rte_hash_lookup_data(ref->get(), &w.hit[j], &data) < 0) {
        ++ref_absent;
      } else {
        ref_wrong += reinterpret_cast<uintptr_t>(data) != w.hit_id[j];
      }
    });
    r.hit.add(hit, ref_hit);
    const double miss = timed_cycle(w.miss.size(), o.lookups, [&](size_t j) {
      found += t.lookup(w.miss[j], t.hash(w.miss[j])).conn != nullptr;
    });
    const double ref_miss = timed_cycle(w.miss.size(), o.lookups, [&](size_t j) {
      void* data = nullptr;
      ref_found += rte_hash_lookup_data(ref->get(), &w.miss[j], &data) >= 0;
    });
    r.miss.add(miss, ref_miss);
    r.chase.push_back(lines.chase_ns(o.lookups));
    r.independent.push_back(lines.independent_ns(o.lookups));
  }
  if (wrong != 0)
    throw std::runtime_error(fmt::format("{} lookups of inserted keys missed", wrong));
  if (found != 0) throw std::runtime_error(fmt::format("{} absent keys were found", found));
  // The reference may lack only the keys it refused.
  if (ref_wrong != 0 || ref_found != 0 || (r.ref_refused == 0 && ref_absent != 0)) {
    throw std::runtime_error(
        fmt::format("reference rte_hash: {} wrong, {} missing, {} absent found", ref_wrong,
                    ref_absent, ref_found));
  }
  ref.reset();
  lap(fmt::format("{} lookup passes", o.passes));
  r.concurrent = concurrent_phase(*l, w, qsbr, o.window_ms);
  lap(fmt::format(
      "concurrent phase (sweeps {:.1f} s, refills {:.1f} s, reclaim waits {:.1f} s)",
      r.concurrent.half.seconds + r.concurrent.all_due.seconds + r.concurrent.no_reader.seconds,
      r.concurrent.refill_s, r.concurrent.drain_s));
  l.reset();
  lap("freeing lbd's table");
  r.total_s = seconds(start, Clock::now());
  fmt::print(stderr, "  total: {:.1f} s\n", r.total_s);
  return r;
}

// --- output ---

void print_tables(const std::vector<Result>& results) {
  fmt::print(
      "\n| connections | bytes/conn measured | bytes/conn estimated | insert ns | ref insert ns "
      "| insert / ref | last 10 % insert ns (ref) | lookup hit ns | ref lookup ns | hit / ref "
      "| miss ns (ref) | random read ns | concurrent lookup Mops/s: alone / during sweep "
      "| sweep Mslots/s (no reader) |\n"
      "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const Result& r : results) {
    const ConcurrentResult& c = r.concurrent;
    fmt::print(
        "| {} | {} | {:.1f} | {:.1f} | {:.1f} | {:.2f} | {:.1f} ({:.1f}) | {:.1f} | {:.1f} "
        "| {:.2f} | {:.1f} ({:.1f}) | {:.1f} | {:.2f} / {:.2f} ({:.2f}) | {:.2f} ({:.2f}) |\n",
        r.capacity, r.bytes_per_conn, r.estimate_per_conn, r.insert.lbd_median(),
        r.insert.ref_median(), r.insert.ratio(), r.last10.lbd_median(), r.last10.ref_median(),
        r.hit.lbd_median(), r.hit.ref_median(), r.hit.ratio(), r.miss.lbd_median(),
        r.miss.ref_median(), median(r.chase), c.alone_mops, c.during_mops,
        c.alone_mops > 0 ? c.during_mops / c.alone_mops : 0, c.all_due.mslots(),
        c.no_reader.mslots());
  }
  fmt::print(
      "\n| connections | insert Mconn/s (ref) | last 10 % / ref | ref keys refused "
      "| ref bytes/conn | miss / ref | independent read ns "
      "| half-due sweep Mslots/s "
      "| all-due sweep Mconn expired/s (no reader) | worker during all-due sweep Mops/s, found "
      "| longest sweep tick ms (all due) | sweep rounds: half, all, no reader | table create s "
      "| size total s |\n"
      "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const Result& r : results) {
    const ConcurrentResult& c = r.concurrent;
    fmt::print(
        "| {} | {:.2f} ({:.2f}) | {:.2f} | {} | {:.1f} | {:.2f} | {:.1f} "
        "| {:.2f} | {:.2f} ({:.2f}) | {:.2f}, {:.0f} % | {:.1f} | {}, {}, {} | {:.2f} "
        "| {:.1f} |\n",
        r.capacity, 1e3 / r.insert.lbd_median(), 1e3 / r.insert.ref_median(), r.last10.ratio(),
        r.ref_refused, r.ref_bytes_per_conn, r.miss.ratio(), median(r.independent), c.half.mslots(),
        c.all_due.mexpired(), c.no_reader.mexpired(), c.all_due_mops, 100 * c.all_due_found,
        1e3 * std::max(c.all_due.longest_tick, c.no_reader.longest_tick), c.half.rounds,
        c.all_due.rounds, c.no_reader.rounds, r.create_s, r.total_s);
  }
  fmt::print(
      "\nAll connections are NAT (two keys each). Insert: per connection, filling an empty table "
      "to 100 % (lbd: ConnTable::create, which also checks that the reply key is free; ref: two "
      "rte_hash_add_key_data into a default-flags rte_hash of 2 x connections entries, same keys, "
      "same order, rte_hash_crc). Lookups: hash + lookup of pre-generated keys in random order, "
      "single thread; hit = every key of every connection, miss = absent client keys. Random "
      "read: a dependent chain of 64-byte reads over DPDK memory the size of the record pool "
      "(independent reads in the second table). Concurrent: a worker on the second lcore "
      "(quiescent every 32 lookups) looks up the keys of the odd half of the connections while "
      "the main lcore spins (alone) or sweeps with lbd's budget a table whose even half is due "
      "(during sweep); every lookup must hit. The sweeper's ticks (lbd's budget: 1 % of the "
      "table, at least 1024 slots) alternate with idle gaps as long, and 'alone' is the worker's "
      "rate in the gaps, "
      "so both are taken at the same moments and over the same table states; the ratio is "
      "during / alone. Sweep Mslots/s: pool "
      "slots examined per second over a table whose connections are all due (two key deletes "
      "per slot), with a worker looking up every key, and (no reader) with no RCU reader "
      "online. Ratios are lbd / reference, medians of per-pass ratios; lbd and its references "
      "are measured alternately. Sizes under {} are filled {} times; sweeps repeat, refilled in "
      "between, until they add up to the window.\n",
      kRepeatBelow, kRepeats);
}

class Qsbr {
 public:
  Qsbr() {
    v_ = static_cast<rte_rcu_qsbr*>(
        rte_zmalloc("bench_qsbr", rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE));
    if (v_ == nullptr || rte_rcu_qsbr_init(v_, 1) != 0 || rte_rcu_qsbr_thread_register(v_, 0) != 0)
      throw std::runtime_error("cannot set up the RCU state");
  }
  ~Qsbr() { rte_free(v_); }
  Qsbr(const Qsbr&) = delete;
  Qsbr& operator=(const Qsbr&) = delete;
  rte_rcu_qsbr* get() const { return v_; }

 private:
  rte_rcu_qsbr* v_ = nullptr;
};

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
  std::string eal_line;
  for (size_t i = 1; i < eal.size(); ++i)
    eal_line += (i > 1 ? " " : "") + eal[i];
  std::vector<char*> eal_argv;
  for (auto& a : eal)
    eal_argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    fmt::print(stderr, "conn_table_bench: EAL initialisation failed ({}): {}\n", eal_line,
               rte_strerror(rte_errno));
    return 1;
  }
  if (rte_lcore_count() < 2) {
    fmt::print(stderr, "conn_table_bench: needs two lcores\n");
    rte_eal_cleanup();
    return 1;
  }
  fmt::print("# Connection table benchmark\n\nMachine: {}\n\nEAL: `{}`\n\n", machine_line(),
             eal_line);
  fmt::print("Sizes: {}; lookups per timed pass: {}; passes: {}; concurrent window: {} ms\n",
             fmt::join(o.sizes, ", "), o.lookups, o.passes, o.window_ms);
  std::fflush(stdout);
  prefault_dpdk_heap();

  int rc = 0;
  std::vector<Result> results;
  try {
    Qsbr qsbr;
    std::mt19937_64 rng(20221122);
    for (const uint32_t capacity : o.sizes)
      results.push_back(measure_size(capacity, qsbr.get(), o, rng));
  } catch (const std::exception& e) {
    fmt::print(stderr, "conn_table_bench: error: {}\n", e.what());
    rc = 1;
  }
  print_tables(results);
  fmt::print("\nRun time: {:.1f} s{}\n", seconds(start, Clock::now()),
             rc != 0 ? " (stopped by an error)" : "");
  // EAL leaves its runtime directory behind, empty under --no-shconf.
  const std::string runtime_dir = rte_eal_get_runtime_dir();
  rte_eal_cleanup();
  rmdir(runtime_dir.c_str());
  return rc;
}

}  // namespace
}  // namespace lb::bench

int main(int argc, char** argv) {
  return lb::bench::run(argc, argv);
}
