// lblc, from ip_vs_lblc.c (Linux 6.12.105+), with a fake clock: picks carry
// now_ms, maintain(now_ms) stands for the kernel's 60 s timer.
//
// The fixture adds 10.0.0.1, .2, ... in order, so the kernel list is
// reversed: make(..., {a, b, c}) is the list [.3 (w c), .2 (w b), .1 (w a)].
#include <atomic>
#include <cstdint>
#include <random>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include <lb/sched/locality.h>

#include "sched_fixture.h"

using lb::packet::Ipv4Addr;
using lb::sched::kNoDest;
using lb::test::SchedFixture;
namespace locality = lb::sched::locality;

namespace {

constexpr uint64_t kMinute = 60 * 1000;
constexpr uint64_t kDay = 24 * 60 * kMinute;

// A client's packet to destination address `dst` (the lblc key).
lb::packet::FlowKeyV4 to(uint32_t dst_host) {
  auto f = SchedFixture::flow("203.0.113.9", 40000);
  f.dst = lb::packet::hton32(dst_host);
  return f;
}

// The cached servers for `dst` by the last octet of their address (-1: a
// server no longer in this snapshot's list); empty: no entry.
std::vector<int> cached(const lb::sched::Service& svc, uint32_t dst_host) {
  std::vector<int> out;
  if (auto e = locality::lookup(svc.scheduler(), Ipv4Addr::from_host(dst_host))) {
    for (uint32_t id : e->dest_ids) {
      int octet = -1;
      for (const auto& d : svc.dests()) {
        if (d.id == id) octet = static_cast<int>(d.addr.host() & 0xff);
      }
      out.push_back(octet);
    }
  }
  return out;
}

uint32_t entries(const lb::sched::Service& svc) {
  return *locality::entries(svc.scheduler());
}

constexpr uint32_t kA = 0xC000020A;  // 192.0.2.10
constexpr uint32_t kB = 0xC000020B;  // 192.0.2.11

}  // namespace

TEST_CASE("lblc sticks to one server per destination until it is overloaded-lblc") {
  SchedFixture f;
  const auto& svc = f.make("lblc", {1, 1, 1});     // list [3, 2, 1]
  CHECK(SchedFixture::pick(svc, to(kA), 0) == 3);  // no entry: wlc, all idle -> first
  CHECK(cached(svc, kA) == std::vector<int>{3});

  SchedFixture::set_conns(svc, 3, 1, 9);  // wlc would pick 2 now; 1 active is not > weight 1
  CHECK(SchedFixture::pick(svc, to(kA), 1) == 3);
  CHECK(SchedFixture::pick(svc, to(kB), 1) == 2);  // a new destination: wlc

  // 3 is over its weight, but nobody has active * 2 < weight: still 3.
  SchedFixture::set_conns(svc, 3, 5, 0);
  SchedFixture::set_conns(svc, 2, 1, 0);
  SchedFixture::set_conns(svc, 1, 1, 0);
  CHECK(SchedFixture::pick(svc, to(kA), 2) == 3);
  // 1 has room (0 * 2 < 1): 3 is overloaded-lblc, wlc picks 1 and the entry
  // moves to it.
  SchedFixture::set_conns(svc, 1, 0, 0);
  CHECK(SchedFixture::pick(svc, to(kA), 3) == 1);
  CHECK(cached(svc, kA) == std::vector<int>{1});
  SchedFixture::set_conns(svc, 1, 1, 0);
  CHECK(SchedFixture::pick(svc, to(kA), 4) == 1);
  CHECK(entries(svc) == 2);
}

TEST_CASE("lblc: the room test counts every server, and the cached one's OVERLOAD is ignored") {
  SchedFixture f;
  const auto& svc = f.make("lblc", {0, 2, 1});  // list [3 (w1), 2 (w2), 1 (w0)]
  CHECK(SchedFixture::pick(svc, to(kA)) == 3);
  SchedFixture::set_conns(svc, 3, 2, 0);
  SchedFixture::set_conns(svc, 2, 1, 0);  // 1 * 2 < 2 is false; weight-0 1 never has room
  CHECK(SchedFixture::pick(svc, to(kA)) == 3);
  // An OVERLOAD server with room (0 * 2 < 2) makes 3 overloaded-lblc; wlc
  // skips the OVERLOAD one and weight-0 1 cannot win: 3 again, entry kept.
  SchedFixture::counters(svc, 2).overloaded = true;
  SchedFixture::set_conns(svc, 2, 0, 0);
  CHECK(SchedFixture::pick(svc, to(kA)) == 3);
  CHECK(cached(svc, kA) == std::vector<int>{3});
  // The cached server's own threshold flag is not consulted on a hit
  // (ip_vs_lblc.c:495-511 tests AVAILABLE, weight and is_overloaded only).
  SchedFixture::counters(svc, 2).overloaded = false;
  SchedFixture::set_conns(svc, 2, 1, 0);
  SchedFixture::counters(svc, 3).overloaded = true;
  CHECK(SchedFixture::pick(svc, to(kA)) == 3);
  CHECK(SchedFixture::pick(svc, to(kB)) == 2);  // but wlc skips it for a new key
}

TEST_CASE("lblc reschedules entries of a removed or quiesced server") {
  SchedFixture f;
  auto spec = SchedFixture::spec("lblc", {1, 1, 1});
  const auto& svc = f.make(spec);
  CHECK(SchedFixture::pick(svc, to(kA)) == 3);
  CHECK(SchedFixture::pick(svc, to(kB)) == 3);

  auto without3 = spec;
  without3.real_servers.pop_back();  // 10.0.0.3 deleted
  const auto& after = f.reload(without3);
  CHECK(SchedFixture::pick(after, to(kA)) == 2);  // not AVAILABLE: wlc over [2, 1]
  CHECK(cached(after, kA) == std::vector<int>{2});

  const auto& back = f.reload(spec);  // 10.0.0.3 added back: entries stay
  CHECK(SchedFixture::pick(back, to(kA)) == 2);
  CHECK(SchedFixture::pick(back, to(kB)) == 3);  // never rescheduled, 3 is back

  spec.real_servers[2].weight = 0;
  const auto& quiesced = f.reload(spec);
  CHECK(SchedFixture::pick(quiesced, to(kB)) == 2);
  CHECK(cached(quiesced, kB) == std::vector<int>{2});
}

TEST_CASE("lblc finds nothing when no server is usable, and keeps no entry") {
  SchedFixture f;
  const auto& svc = f.make("lblc", {0, 0});
  CHECK(SchedFixture::pick(svc, to(kA)) == 0);
  CHECK(entries(svc) == 0);
  CHECK(SchedFixture::pick(f.make("lblc", {}), to(kA)) == 0);
}

TEST_CASE("lblc entries expire after lblc_expiration at the 30th timer run") {
  SchedFixture f;
  const auto& svc = f.make("lblc", {1, 1, 1});
  svc.scheduler().maintain(0);  // the timer starts with the service
  CHECK(SchedFixture::pick(svc, to(kA), 0) == 3);
  CHECK(SchedFixture::pick(svc, to(kB), 0) == 3);
  // A later use of B pushes its expiry to 1000 s + 24 h.
  CHECK(SchedFixture::pick(svc, to(kB), 1000 * 1000) == 3);

  // Runs every 60 s; the counter starts at 1 and a full sweep happens when it
  // reaches 30: at runs 30, 60, 90, ... (every 30 minutes). 24 h is run 1440.
  uint64_t now = 0;
  auto run_until = [&](uint64_t until) {
    for (; now + kMinute <= until;) {
      now += kMinute;
      svc.scheduler().maintain(now);
    }
  };
  run_until(kDay - kMinute);  // the sweep at 23 h 30 keeps both
  CHECK(entries(svc) == 2);
  run_until(kDay);  // run 1440: A idle exactly 24 h, removed; B not
  CHECK(entries(svc) == 1);
  CHECK(cached(svc, kA).empty());
  CHECK(cached(svc, kB) == std::vector<int>{3});
  run_until(kDay + 29 * kMinute);
  CHECK(entries(svc) == 1);
  run_until(kDay + 30 * kMinute);  // the next full sweep (B idle 24 h 13 min)
  CHECK(entries(svc) == 0);

  // Gone means rescheduled by wlc.
  SchedFixture::set_conns(svc, 3, 0, 5);
  CHECK(SchedFixture::pick(svc, to(kA), now) == 2);
}

TEST_CASE("lblc: above 16384 entries the timer removes 6-minute idle ones from the rover") {
  SchedFixture f;
  const auto& svc = f.make("lblc", {1, 1});
  svc.scheduler().maintain(0);
  constexpr uint32_t kBase = 0x0A400000;  // 10.64.0.0
  constexpr int kKeys = 20000;
  for (uint32_t k = 0; k < kKeys; ++k)
    REQUIRE(SchedFixture::pick(svc, to(kBase + k), 0) != 0);
  REQUIRE(entries(svc) == kKeys);

  // Runs 1..5 (idle < 6 min) walk every bucket and remove nothing.
  for (uint64_t now = kMinute; now <= 5 * kMinute; now += kMinute)
    svc.scheduler().maintain(now);
  CHECK(entries(svc) == kKeys);

  // Run 6: goal = (20000 - 16384) * 4 / 3 = 4821; whole buckets from bucket 1
  // (rover 0 + 1) are emptied until the goal is met.
  std::vector<int> per_bucket(1024, 0);
  for (uint32_t k = 0; k < kKeys; ++k)
    ++per_bucket[lb::sched::kernel::hash_32(kBase + k, 10)];
  int removed = 0;
  uint32_t last = 0;
  while (removed < 4821) {
    ++last;
    removed += per_bucket[last];
  }
  svc.scheduler().maintain(6 * kMinute);
  CHECK(entries(svc) == static_cast<uint32_t>(kKeys - removed));
  for (uint32_t k = 0; k < kKeys; k += 7) {
    const uint32_t b = lb::sched::kernel::hash_32(kBase + k, 10);
    INFO("key " << k << " bucket " << b);
    CHECK(cached(svc, kBase + k).empty() == (b >= 1 && b <= last));
  }
  // Below max_size again: the next run only counts.
  svc.scheduler().maintain(7 * kMinute);
  CHECK(entries(svc) == static_cast<uint32_t>(kKeys - removed));
}

TEST_CASE("lblc makes no new entry at 24576 but still returns the server") {
  SchedFixture f;
  const auto& svc = f.make("lblc", {1, 1});
  constexpr uint32_t kBase = 0x0A800000;  // 10.128.0.0
  for (uint32_t k = 0; k < 24576 + 100; ++k)
    REQUIRE(SchedFixture::pick(svc, to(kBase + k), 0) == 2);
  CHECK(entries(svc) == 24576);
  CHECK(cached(svc, kBase + 24575) == std::vector<int>{2});
  CHECK(cached(svc, kBase + 24576).empty());
  // Repointing an existing entry still works at the limit.
  SchedFixture::set_conns(svc, 2, 3, 0);
  CHECK(SchedFixture::pick(svc, to(kBase), 1) == 1);
  CHECK(cached(svc, kBase) == std::vector<int>{1});
  CHECK(entries(svc) == 24576);
}

TEST_CASE("lblc keeps its table across a configuration change") {
  SchedFixture f;
  auto spec = SchedFixture::spec("lblc", {1, 1, 1});
  const auto& first = f.make(spec);
  CHECK(SchedFixture::pick(first, to(kA), 0) == 3);
  spec.real_servers.push_back({Ipv4Addr::from_octets(10, 0, 0, 4), 80, 1,
                               lb::sched::ForwardMethod::kNat});  // 4 joins, first in list
  const auto& second = f.reload(spec);
  SchedFixture::set_conns(second, 3, 1, 0);  // wlc would pick 4 now
  CHECK(SchedFixture::pick(second, to(kA), 1) == 3);
  CHECK(entries(second) == 1);

  // Another scheduler before: nothing to take over.
  SchedFixture g;
  g.make(SchedFixture::spec("wlc", {1, 1, 1}));
  const auto& fresh = g.reload(SchedFixture::spec("lblc", {1, 1, 1}));
  CHECK(entries(fresh) == 0);
}

TEST_CASE("lblc: the old snapshot keeps serving from the same table until retired") {
  lb::sched::DestRegistry reg(16);
  std::vector<lb::sched::ServiceSpec> specs{SchedFixture::spec("lblc", {1, 1, 1})};
  lb::sched::ServiceTable old_table(specs, reg);
  specs[0].real_servers[0].weight = 2;
  lb::sched::ServiceTable new_table(specs, reg, &old_table);
  const auto& old_svc = *old_table.services()[0];
  const auto& new_svc = *new_table.services()[0];
  CHECK(SchedFixture::pick(old_svc, to(kA)) == 3);
  CHECK(cached(new_svc, kA) == std::vector<int>{3});
  CHECK(SchedFixture::pick(new_svc, to(kA)) == 3);
}

TEST_CASE("lblc: workers pick while the control thread expires entries") {
  SchedFixture f;
  const auto& svc = f.make("lblc", {0, 1, 2, 3});  // list [4, 3, 2, 1 (w0)]
  auto& sched = svc.scheduler();
  constexpr uint32_t kBase = 0x0AC00000;  // 10.192.0.0
  constexpr uint32_t kKeys = 30000;       // above the 24576 limit
  std::atomic<uint64_t> clock{0};
  std::atomic<bool> stop{false};
  std::atomic<bool> bad{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t) + 1);
      for (int n = 0; n < 100000; ++n) {
        const auto flow = to(kBase + rng() % kKeys);
        const int32_t i = sched.pick({flow, 0, clock.load(std::memory_order_relaxed)});
        if (i < 0 || i >= 3) {
          bad = true;  // weight-0 .1 (index 3) must never be chosen
          continue;
        }
        // Shift the load around so entries get repointed.
        auto& c = *svc.dests()[static_cast<size_t>(i)].counters;
        if (rng() % 2) {
          c.sched_active.fetch_add(1, std::memory_order_relaxed);
        } else if (c.sched_active.load(std::memory_order_relaxed) > 0) {
          c.sched_active.fetch_sub(1, std::memory_order_relaxed);
        }
      }
    });
  }
  std::thread control([&] {
    uint64_t now = 0;
    while (!stop.load()) {
      now += 10 * 1000;  // 10 s of fake time per step: sweeps of every kind
      clock.store(now, std::memory_order_relaxed);
      sched.maintain(now);
      std::this_thread::yield();
    }
  });
  for (auto& w : workers)
    w.join();
  stop = true;
  control.join();
  CHECK_FALSE(bad);

  // The count matches the entries reachable by key: no duplicate, no leak.
  uint32_t found = 0;
  for (uint32_t k = 0; k < kKeys; ++k) {
    const auto c = cached(svc, kBase + k);
    if (!c.empty()) {
      ++found;
      CHECK((c[0] >= 2 && c[0] <= 4));
    }
  }
  CHECK(found == entries(svc));
  CHECK(found <= 24576);
}

TEST_CASE("lblc: workers creating the same keys at once leave one entry per key") {
  SchedFixture f;
  const auto& svc = f.make("lblc", {1, 1, 1});
  auto& sched = svc.scheduler();
  constexpr uint32_t kKeys = 16;
  std::atomic<uint64_t> clock{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t) + 100);
      for (int n = 0; n < 100000; ++n) {
        const auto flow = to(kA + rng() % kKeys);
        sched.pick({flow, 0, clock.load(std::memory_order_relaxed)});
      }
    });
  }
  // 25 h per run: every 30th run sweeps away every entry, so the keys are
  // created again and again by several workers at once.
  std::thread control([&] {
    uint64_t now = 0;
    while (!stop.load()) {
      now += kDay + 60 * kMinute;
      clock.store(now, std::memory_order_relaxed);
      sched.maintain(now);
      std::this_thread::yield();
    }
  });
  for (auto& w : workers)
    w.join();
  stop = true;
  control.join();
  uint32_t found = 0;
  for (uint32_t k = 0; k < kKeys; ++k)
    found += cached(svc, kA + k).empty() ? 0 : 1;
  CHECK(found == entries(svc));
}
