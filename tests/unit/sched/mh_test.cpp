// mh (Maglev) known answers and properties, from ip_vs_mh.c (Linux 6.12).
//
// Slot counts worked out by hand (4093 slots, rounds over the kernel list,
// each dest taking `turns` slots per round, the last round cut short):
//   turns 1,1,1: 3 per round, 4093 = 3 * 1364 + 1 -> 1365 / 1364 / 1364
//   turns 2,1:   3 per round, 1364 rounds + 1 slot to the first (weight 2)
//                -> 2729 / 1364; list [w1, w2] instead -> 1365 / 2728
//   weights 6,4: gcd 2 -> turns 3,2, 5 per round, 4093 = 5 * 818 + 3
//                -> 2457 / 1636
//   weights 100,1: gcd 1, 100 needs 7 bits -> rshift 7 - 6 = 1, turns 50 and
//                (1 >> 1 = 0 -> 1), 51 per round, 4093 = 51 * 80 + 13
//                -> 4013 / 80
// The fixture adds 10.0.0.1, .2, ... in order, so the kernel list is
// reversed: make(..., {a, b}) is the list [.2 (w b), .1 (w a)].
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <random>
#include <thread>

#include <catch2/catch.hpp>

#include <lb/sched/mh.h>

#include "sched_fixture.h"

using lb::sched::kNoDest;
using lb::sched::kSchedFlag1;
using lb::sched::kSchedFlag2;
using lb::test::SchedFixture;
namespace mh = lb::sched::mh;

namespace {

constexpr uint8_t kFallback = kSchedFlag1;  // -b mh-fallback
constexpr uint8_t kPort = kSchedFlag2;      // -b mh-port

// Slots per list index.
std::vector<int> slot_counts(const lb::sched::Service& svc) {
  std::vector<int> counts(svc.dests().size(), 0);
  for (int32_t i : mh::build_table(svc.dests())) {
    if (i != kNoDest) ++counts[static_cast<size_t>(i)];
  }
  return counts;
}

// The owner of every slot by registry slot id (-1: none), comparable across
// snapshots whose lists differ.
std::vector<int64_t> owners(const lb::sched::Service& svc) {
  std::vector<int64_t> out;
  for (int32_t i : mh::build_table(svc.dests()))
    out.push_back(i == kNoDest ? int64_t{-1} : int64_t{svc.dests()[static_cast<size_t>(i)].id});
  return out;
}

int octet_of(const lb::sched::Service& svc, int32_t i) {
  return i == kNoDest ? 0
                      : static_cast<int>(svc.dests()[static_cast<size_t>(i)].addr.host() & 0xff);
}

lb::packet::FlowKeyV4 client(uint32_t addr_host, uint16_t sport = 0) {
  lb::packet::FlowKeyV4 f = SchedFixture::flow("0.0.0.0", sport);
  f.src = lb::packet::hton32(addr_host);
  return f;
}

// ip_vs_mh_get / ip_vs_mh_get_fallback written out from the spec (§3.9),
// over the table build_table computed: the octet of the expected server.
int expected(const lb::sched::Service& svc, uint32_t addr, uint16_t port, bool fallback) {
  const auto table = mh::build_table(svc.dests());
  auto usable = [&](int32_t i) {
    const auto& d = svc.dests()[static_cast<size_t>(i)];
    return d.weight > 0 && !d.overloaded();
  };
  const uint32_t ihash = mh::hashkey(addr, port, mh::kKey1, 0) % 4093;
  if (table[ihash] == kNoDest) return 0;
  if (usable(table[ihash])) return octet_of(svc, table[ihash]);
  if (!fallback) return 0;
  for (uint32_t offset = 0; offset < 4093; ++offset) {
    const uint32_t roffset = (offset + ihash) % 4093;
    const int32_t i = table[mh::hashkey(addr, port, mh::kKey1, roffset) % 4093];
    if (usable(i)) return octet_of(svc, i);
  }
  return 0;
}

}  // namespace

TEST_CASE("mh slot counts follow the rounds over the list") {
  SchedFixture f;
  CHECK(slot_counts(f.make("mh", {1, 1, 1})) == std::vector<int>{1365, 1364, 1364});
  CHECK(slot_counts(f.make("mh", {1, 2})) == std::vector<int>{2729, 1364});  // list [w2, w1]
  CHECK(slot_counts(f.make("mh", {2, 1})) == std::vector<int>{1365, 2728});  // list [w1, w2]
  CHECK(slot_counts(f.make("mh", {4, 6})) == std::vector<int>{2457, 1636});  // gcd 2
  CHECK(slot_counts(f.make("mh", {1, 100})) == std::vector<int>{4013, 80});  // rshift 1
}

TEST_CASE("mh permutation: each server's first choice is offset = h(key1) % 4093") {
  SchedFixture f;
  const auto& svc = f.make("mh", {1, 1, 1});  // list [.3, .2, .1], port 80
  const auto table = mh::build_table(svc.dests());
  // Offsets and skips written out from the spec: v = 0 + port + address.
  std::vector<uint32_t> offset, skip;
  for (const auto& d : svc.dests()) {
    const uint32_t v = 80 + d.addr.host();
    offset.push_back(lb::sched::kernel::hsiphash_u32(v, {2654435761u, 2654435761u}) % 4093);
    skip.push_back(lb::sched::kernel::hsiphash_u32(v, {2654446892u, 2654446892u}) % 4092 + 1);
  }
  // The first server in the list claims its offset on an empty table; the
  // second its offset, or offset + skip if the first took it.
  CHECK(table[offset[0]] == 0);
  if (offset[1] != offset[0]) {
    CHECK(table[offset[1]] == 1);
  } else {
    CHECK(table[(offset[1] + skip[1]) % 4093] == 1);
  }
  // A client whose key lands on the first server's offset goes to it.
  uint32_t addr = 0xC6336400;  // 198.51.100.0
  while (lb::sched::kernel::hsiphash_u32(addr, {2654435761u, 2654435761u}) % 4093 != offset[0])
    ++addr;
  CHECK(SchedFixture::pick(svc, client(addr)) == 3);
}

TEST_CASE("mh lookups index the table with h(key1, client address) % 4093") {
  SchedFixture f;
  const auto& svc = f.make("mh", {1, 2, 3});
  std::mt19937 rng(7);
  for (int n = 0; n < 2000; ++n) {
    const uint32_t addr = static_cast<uint32_t>(rng());
    const uint16_t sport = static_cast<uint16_t>(rng());
    const int chosen = SchedFixture::pick(svc, client(addr, sport));
    REQUIRE(chosen == expected(svc, addr, 0, false));  // port ignored without mh-port
    REQUIRE(chosen == SchedFixture::pick(svc, client(addr, sport)));
  }
}

TEST_CASE("mh tables are deterministic: rebuilt from the same list they are equal") {
  SchedFixture a, b;
  CHECK(owners(a.make("mh", {1, 2, 3, 4})) == owners(b.make("mh", {1, 2, 3, 4})));
  SchedFixture c;
  CHECK(owners(a.make("mh", {1, 2, 3, 4})) != owners(c.make("mh", {2, 2, 3, 4})));
}

TEST_CASE("mh spreads clients by weight within 1 %") {
  SchedFixture f;
  const std::vector<uint32_t> weights = {1, 2, 3, 4};
  const auto& svc = f.make("mh", weights);
  std::map<int, int> hits;
  std::mt19937 rng(42);
  constexpr int kClients = 100000;
  for (int n = 0; n < kClients; ++n)
    ++hits[SchedFixture::pick(svc, client(static_cast<uint32_t>(rng())))];
  CHECK(hits[0] == 0);
  for (int octet = 1; octet <= 4; ++octet) {
    const double share = static_cast<double>(hits[octet]) / kClients;
    const double want = weights[static_cast<size_t>(octet - 1)] / 10.0;
    INFO("server " << octet << " share " << share);
    CHECK(std::abs(share - want) < 0.01);
  }
}

TEST_CASE("mh disruption: removing one of N servers moves about 1/N of the table") {
  constexpr int kServers = 10;
  SchedFixture f;
  auto spec = SchedFixture::spec("mh", std::vector<uint32_t>(kServers, 1));
  const auto before = owners(f.make(spec));
  const uint32_t removed_id = f.table.services()[0]->dests()[3].id;  // 10.0.0.7
  spec.real_servers.erase(spec.real_servers.begin() + 6);
  const auto after = owners(f.reload(spec));

  int owned_by_removed = 0, moved_others = 0;
  for (size_t s = 0; s < before.size(); ++s) {
    if (before[s] == removed_id) {
      ++owned_by_removed;
      CHECK(after[s] != removed_id);
      CHECK(after[s] >= 0);
    } else if (after[s] != before[s]) {
      ++moved_others;
    }
  }
  INFO("removed server owned " << owned_by_removed << ", others moved " << moved_others);
  CHECK(std::abs(owned_by_removed - 4093 / kServers) < 4093 / 100);
  CHECK(moved_others < 4093 * 5 / 100);
}

TEST_CASE("mh disruption: adding one server to N moves about 1/(N+1) of the table") {
  constexpr int kServers = 10;
  SchedFixture f;
  auto spec = SchedFixture::spec("mh", std::vector<uint32_t>(kServers, 1));
  const auto before = owners(f.make(spec));
  spec.real_servers.push_back(
      {lb::packet::Ipv4Addr::from_octets(10, 0, 0, 99), 80, 1, lb::sched::ForwardMethod::kNat});
  const auto& svc = f.reload(spec);
  const uint32_t added_id = svc.dests()[0].id;  // the newest is first
  const auto after = owners(svc);

  int taken_by_added = 0, moved_others = 0;
  for (size_t s = 0; s < before.size(); ++s) {
    if (after[s] == added_id) {
      ++taken_by_added;
    } else if (after[s] != before[s]) {
      ++moved_others;
    }
  }
  INFO("added server took " << taken_by_added << ", others moved " << moved_others);
  CHECK(std::abs(taken_by_added - 4093 / (kServers + 1)) < 4093 / 100);
  CHECK(moved_others < 4093 * 5 / 100);
}

TEST_CASE("mh-port hashes the client's source port too") {
  SchedFixture f;
  const uint32_t addr = 0xCB00710A;  // 203.0.113.10
  const auto& plain = f.make("mh", {1, 1, 1, 1});
  std::map<int, int> seen;
  for (uint16_t port = 1024; port < 1124; ++port)
    ++seen[SchedFixture::pick(plain, client(addr, port))];
  CHECK(seen.size() == 1);  // one client, one server

  const auto& with_port = f.make("mh", {1, 1, 1, 1}, kPort);
  seen.clear();
  for (uint16_t port = 1024; port < 1124; ++port) {
    const int chosen = SchedFixture::pick(with_port, client(addr, port));
    REQUIRE(chosen == expected(with_port, addr, port, false));
    ++seen[chosen];
  }
  CHECK(seen.size() == 4);
  // Only TCP, UDP and SCTP have ports (ip_vs_mh_get_port); ICMP hashes port 0.
  auto icmp = client(addr, 1500);
  icmp.proto = 1;
  CHECK(SchedFixture::pick(with_port, icmp) == expected(with_port, addr, 0, false));
}

TEST_CASE("mh keeps a weight-0 server's slots: no server, or a fallback with mh-fallback") {
  SchedFixture f;
  auto spec = SchedFixture::spec("mh", {1, 1, 1});
  const auto& full = f.make(spec);
  const auto table_before = owners(full);
  spec.real_servers[1].weight = 0;  // 10.0.0.2 quiesced: last_weight stays 1
  const auto& quiesced = f.reload(spec);
  CHECK(owners(quiesced) == table_before);

  std::mt19937 rng(3);
  int lost = 0;
  for (int n = 0; n < 3000; ++n) {
    const uint32_t addr = static_cast<uint32_t>(rng());
    const uint32_t slot = mh::hashkey(addr, 0, mh::kKey1, 0) % 4093;
    const int chosen = SchedFixture::pick(quiesced, client(addr));
    if (table_before[slot] == quiesced.dests()[1].id) {
      CHECK(chosen == 0);
      ++lost;
    } else {
      CHECK(chosen == expected(quiesced, addr, 0, false));
      CHECK(chosen != 0);
    }
  }
  CHECK(lost > 500);  // about a third

  spec.sched_flags = kFallback;
  const auto& fallback = f.reload(spec);
  for (int n = 0; n < 3000; ++n) {
    const uint32_t addr = static_cast<uint32_t>(rng());
    const int chosen = SchedFixture::pick(fallback, client(addr));
    REQUIRE(chosen == expected(fallback, addr, 0, true));
    CHECK((chosen == 1 || chosen == 3));
  }
}

TEST_CASE("mh treats an overloaded server as unavailable") {
  SchedFixture f;
  const auto& svc = f.make("mh", {1, 1}, kFallback);
  SchedFixture::counters(svc, 2).overloaded = true;
  std::mt19937 rng(5);
  for (int n = 0; n < 500; ++n)
    CHECK(SchedFixture::pick(svc, client(static_cast<uint32_t>(rng()))) == 1);
  SchedFixture::counters(svc, 1).overloaded = true;
  CHECK(SchedFixture::pick(svc, client(1234)) == 0);  // the probe finds nobody
}

TEST_CASE("mh: a server added with weight 0 takes no slot; no weights, no table") {
  SchedFixture f;
  CHECK(slot_counts(f.make("mh", {1, 0, 1})) == std::vector<int>{2047, 0, 2046});
  SchedFixture g;  // fresh registry: no server has had a weight yet
  const auto& none = g.make("mh", {0, 0}, kFallback);
  CHECK(owners(none) == std::vector<int64_t>(4093, -1));
  CHECK(SchedFixture::pick(none, client(99)) == 0);
  CHECK(SchedFixture::pick(g.make("mh", {}), client(99)) == 0);
}

TEST_CASE("mh is safe for concurrent workers") {
  SchedFixture f;
  const auto& svc = f.make("mh", {1, 2, 3}, kFallback | kPort);
  std::atomic<bool> bad{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      for (int n = 0; n < 20000; ++n) {
        const auto flow = client(static_cast<uint32_t>(rng()), static_cast<uint16_t>(rng()));
        const int32_t i = svc.scheduler().pick({flow, 0, 0});
        if (i == kNoDest || i >= 3) bad = true;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  CHECK_FALSE(bad);
}
