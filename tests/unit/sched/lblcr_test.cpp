// lblcr, from ip_vs_lblcr.c (Linux 6.12.105+), with a fake clock: picks carry
// now_ms, maintain(now_ms) stands for the kernel's 60 s timer.
//
// The fixture adds 10.0.0.1, .2, ... in order, so the kernel list is
// reversed: make(..., {a, b, c}) is the list [.3 (w c), .2 (w b), .1 (w a)].
// Sets are shown newest member first, as the kernel's list.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <random>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include <lb/sched/locality.h>

#include "sched_fixture.h"

using lb::packet::Ipv4Addr;
using lb::test::SchedFixture;
using Octets = std::vector<int>;
namespace locality = lb::sched::locality;

namespace {

constexpr uint64_t kMinute = 60 * 1000;
constexpr uint64_t kDay = 24 * 60 * kMinute;

lb::packet::FlowKeyV4 to(uint32_t dst_host) {
  auto f = SchedFixture::flow("203.0.113.9", 40000);
  f.dst = lb::packet::hton32(dst_host);
  return f;
}

// The set for `dst` by last octet (-1: a server no longer in this snapshot's
// list), newest first; empty: no entry.
Octets cached(const lb::sched::Service& svc, uint32_t dst_host) {
  Octets out;
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

uint64_t lastmod(const lb::sched::Service& svc, uint32_t dst_host) {
  return locality::lookup(svc.scheduler(), Ipv4Addr::from_host(dst_host))->lastmod_ms;
}

uint32_t entries(const lb::sched::Service& svc) {
  return *locality::entries(svc.scheduler());
}

constexpr uint32_t kA = 0xC000020A;  // 192.0.2.10

}  // namespace

TEST_CASE("lblcr grows the set when its least loaded member is overloaded-lblc") {
  SchedFixture f;
  const auto& svc = f.make("lblcr", {1, 1, 1});  // list [3, 2, 1]
  CHECK(SchedFixture::pick(svc, to(kA), 0) == 3);
  CHECK(cached(svc, kA) == Octets{3});
  CHECK(lastmod(svc, kA) == 0);

  SchedFixture::set_conns(svc, 3, 2, 0);  // over its weight while 2 and 1 have room
  CHECK(SchedFixture::pick(svc, to(kA), 10) == 2);
  CHECK(cached(svc, kA) == (Octets{2, 3}));
  CHECK(lastmod(svc, kA) == 10);

  // Equal load: set_min's tie goes to the newest member (2), not to the
  // first in the service's list (3).
  SchedFixture::set_conns(svc, 2, 1, 0);
  SchedFixture::set_conns(svc, 3, 1, 0);
  CHECK(SchedFixture::pick(svc, to(kA), 20) == 2);
  // A member already in the set is not added again, lastmod untouched.
  SchedFixture::set_conns(svc, 2, 2, 0);
  SchedFixture::set_conns(svc, 3, 2, 0);
  SchedFixture::set_conns(svc, 1, 3, 0);  // room nowhere: 2 stays in use
  CHECK(SchedFixture::pick(svc, to(kA), 30) == 2);
  // Room at 1 (active 0): 2 is overloaded-lblc; wlc takes 3 (first of its tie
  // with 2; 1 has 1000 inactive), already a member.
  SchedFixture::set_conns(svc, 1, 0, 1000);
  CHECK(SchedFixture::pick(svc, to(kA), 40) == 3);
  CHECK(cached(svc, kA) == (Octets{2, 3}));
  CHECK(lastmod(svc, kA) == 10);
}

TEST_CASE("lblcr shrinks after lastmod + expiration, erasing the most loaded (ties: newest)") {
  SchedFixture f;
  const auto& svc = f.make("lblcr", {1, 1, 1});
  CHECK(SchedFixture::pick(svc, to(kA), 0) == 3);
  SchedFixture::set_conns(svc, 3, 2, 0);
  CHECK(SchedFixture::pick(svc, to(kA), 10) == 2);  // set [2, 3], lastmod 10
  SchedFixture::set_conns(svc, 3, 1, 0);
  SchedFixture::set_conns(svc, 2, 1, 0);

  CHECK(SchedFixture::pick(svc, to(kA), 10 + kDay) == 2);  // not after lastmod + 24 h yet
  CHECK(cached(svc, kA) == (Octets{2, 3}));
  // Just after: set_max ties between 2 and 3 and takes the newest, 2. The
  // chosen dest (2, computed before) is still returned.
  CHECK(SchedFixture::pick(svc, to(kA), 10 + kDay + 1) == 2);
  CHECK(cached(svc, kA) == Octets{3});
  CHECK(lastmod(svc, kA) == 10 + kDay + 1);
  CHECK(SchedFixture::pick(svc, to(kA), 10 + kDay + 2) == 3);
  // One member left: never shrunk.
  CHECK(SchedFixture::pick(svc, to(kA), 10 + 3 * kDay) == 3);
  CHECK(cached(svc, kA) == Octets{3});
}

TEST_CASE("lblcr's set_max weighs overhead by weight") {
  SchedFixture f;
  const auto& svc = f.make("lblcr", {1, 4, 1});  // list [3 (w1), 2 (w4), 1 (w1)]
  CHECK(SchedFixture::pick(svc, to(kA), 0) == 3);
  SchedFixture::set_conns(svc, 3, 2, 0);
  CHECK(SchedFixture::pick(svc, to(kA), 1) == 2);  // set [2, 3]
  SchedFixture::set_conns(svc, 2, 3, 0);  // 771 / 4 = 192.75 < 514 / 1: 3 is the most loaded
  CHECK(SchedFixture::pick(svc, to(kA), 2 + kDay) == 2);
  CHECK(cached(svc, kA) == Octets{2});
}

TEST_CASE("lblcr skips members whose server left the service or is quiesced") {
  SchedFixture f;
  auto spec = SchedFixture::spec("lblcr", {1, 1, 1});
  const auto& svc = f.make(spec);
  CHECK(SchedFixture::pick(svc, to(kA), 0) == 3);
  SchedFixture::set_conns(svc, 3, 2, 0);
  CHECK(SchedFixture::pick(svc, to(kA), 1) == 2);  // set [2, 3]
  SchedFixture::set_conns(svc, 3, 0, 0);

  auto without2 = spec;
  without2.real_servers.erase(without2.real_servers.begin() + 1);
  const auto& after = f.reload(without2);
  CHECK(cached(after, kA) == (Octets{-1, 3}));  // kept, but not AVAILABLE
  CHECK(SchedFixture::pick(after, to(kA), 2) == 3);

  spec.real_servers[1].weight = 0;
  spec.real_servers[2].weight = 0;
  const auto& quiesced = f.reload(spec);
  CHECK(SchedFixture::pick(quiesced, to(kA), 3) == 1);  // no usable member: wlc, joins
  CHECK(cached(quiesced, kA) == (Octets{1, 2, 3}));
  spec.real_servers[0].weight = 0;
  CHECK(SchedFixture::pick(f.reload(spec), to(kA), 4) == 0);  // nothing usable at all
}

TEST_CASE("lblcr sets hold at most 8 members; a full set only replaces departed servers") {
  SchedFixture f;
  auto spec = SchedFixture::spec("lblcr", std::vector<uint32_t>(10, 1));  // list [10 .. 1]
  const auto* svc = &f.make(spec);
  CHECK(SchedFixture::pick(*svc, to(kA), 0) == 10);
  uint64_t now = 0;
  // Every member busy (active 2 > weight 1) while others have room: each pick
  // adds the first idle server of the list.
  for (int next = 9; next >= 3; --next) {
    SchedFixture::set_conns(*svc, next + 1, 2, 0);
    CHECK(SchedFixture::pick(*svc, to(kA), ++now) == next);
  }
  SchedFixture::set_conns(*svc, 3, 2, 0);
  const Octets full = {3, 4, 5, 6, 7, 8, 9, 10};
  CHECK(cached(*svc, kA) == full);
  CHECK(lastmod(*svc, kA) == 7);

  // The ninth server is used but not added; lastmod stays.
  CHECK(SchedFixture::pick(*svc, to(kA), ++now) == 2);
  CHECK(cached(*svc, kA) == full);
  CHECK(lastmod(*svc, kA) == 7);

  // 7 leaves the service: the next newcomer takes its place, as the newest.
  spec.real_servers.erase(spec.real_servers.begin() + 6);
  svc = &f.reload(spec);
  CHECK(cached(*svc, kA) == (Octets{3, 4, 5, 6, -1, 8, 9, 10}));
  CHECK(SchedFixture::pick(*svc, to(kA), ++now) == 2);
  CHECK(cached(*svc, kA) == (Octets{2, 3, 4, 5, 6, 8, 9, 10}));
  CHECK(lastmod(*svc, kA) == now);
}

TEST_CASE("lblcr entries expire by the timer and come back with a fresh set") {
  SchedFixture f;
  const auto& svc = f.make("lblcr", {1, 1, 1});
  svc.scheduler().maintain(0);
  CHECK(SchedFixture::pick(svc, to(kA), 0) == 3);
  SchedFixture::set_conns(svc, 3, 2, 0);
  CHECK(SchedFixture::pick(svc, to(kA), 0) == 2);  // set [2, 3]
  for (uint64_t now = kMinute; now <= kDay; now += kMinute)
    svc.scheduler().maintain(now);  // the full sweep at run 1440 (24 h)
  CHECK(entries(svc) == 0);
  CHECK(cached(svc, kA).empty());
  // The same key lands in the same slot: none of the old members come back.
  SchedFixture::set_conns(svc, 3, 0, 0);
  CHECK(SchedFixture::pick(svc, to(kA), kDay) == 3);
  CHECK(cached(svc, kA) == Octets{3});
}

TEST_CASE("lblcr keeps its table across a configuration change; 24576 entries at most") {
  SchedFixture f;
  auto spec = SchedFixture::spec("lblcr", {1, 1});
  const auto& first = f.make(spec);
  constexpr uint32_t kBase = 0x0A800000;
  for (uint32_t k = 0; k < 24576 + 10; ++k)
    REQUIRE(SchedFixture::pick(first, to(kBase + k), 0) == 2);
  CHECK(entries(first) == 24576);
  CHECK(cached(first, kBase + 24576 + 5).empty());

  spec.real_servers[0].weight = 3;
  const auto& second = f.reload(spec);
  CHECK(entries(second) == 24576);
  CHECK(cached(second, kBase) == Octets{2});
  CHECK(SchedFixture::pick(second, to(kBase), 1) == 2);

  SchedFixture g;
  g.make(SchedFixture::spec("lblc", {1, 1}));
  CHECK(entries(g.reload(SchedFixture::spec("lblcr", {1, 1}))) == 0);
}

TEST_CASE("lblcr: workers pick while the control thread expires entries") {
  SchedFixture f;
  const auto& svc = f.make("lblcr", std::vector<uint32_t>{0, 1, 1, 2, 2, 3, 3, 1, 1, 2, 2});
  auto& sched = svc.scheduler();
  constexpr uint32_t kBase = 0x0AC00000;
  constexpr uint32_t kKeys = 2000;  // few keys: sets grow and shrink under contention
  const auto n = static_cast<int32_t>(svc.dests().size());
  std::atomic<uint64_t> clock{0};
  std::atomic<bool> stop{false};
  std::atomic<bool> bad{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t) + 11);
      for (int i = 0; i < 100000; ++i) {
        const auto flow = to(kBase + rng() % kKeys);
        const int32_t d = sched.pick({flow, 0, clock.load(std::memory_order_relaxed)});
        if (d < 0 || d >= n - 1) {  // the last (10.0.0.1) has weight 0
          bad = true;
          continue;
        }
        auto& c = *svc.dests()[static_cast<size_t>(d)].counters;
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
      now += 20 * kMinute;  // sets expire (24 h) every few dozen steps
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

  uint32_t found = 0;
  for (uint32_t k = 0; k < kKeys; ++k) {
    const Octets set = cached(svc, kBase + k);
    if (set.empty()) continue;
    ++found;
    CHECK(set.size() <= 8);
    CHECK(std::set<int>(set.begin(), set.end()).size() == set.size());  // no duplicate member
    CHECK(std::find(set.begin(), set.end(), 1) == set.end());
  }
  CHECK(found == entries(svc));
}
