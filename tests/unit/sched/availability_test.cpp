// Which servers each batch-A scheduler passes over, and where: one table
// across wrr, lc, sed, nq, fo, ovf, twos, dh and sh, from the kernel files.
// Also: nothing usable -> no dest, and the same input gives the same output
// (all but twos, which is random like the kernel's).
#include <array>
#include <random>
#include <string>

#include <catch2/catch.hpp>

#include "sched_fixture.h"

using lb::sched::kSchedFlag1;
using lb::sched::kSchedFlag2;
using lb::test::SchedFixture;

namespace {

struct Row {
  const char* scheduler;
  uint8_t flags;
  int usual;       // with both servers usable (-1: either, random)
  int quiesced;    // when that server has weight 0
  int overloaded;  // when that server is overloaded
};

// Two servers, weights 1: the list is [.2, .1]. The flow's source and
// destination (192.168.1.2) both hash to bucket 234, even, so dh and sh map
// it to list[0] = .2 (with .2 at weight 0, sh's buckets still alternate).
constexpr std::array kRows = {
    // rr-like: weight 0 never passes cw >= 1; overloaded skipped, pass goes on.
    Row{"wrr", 0, 2, 1, 1},
    // lc, nq, ovf, twos skip both at every step; sed and fo skip overloaded
    // ones and let weight 0 lose every comparison.
    Row{"lc", 0, 2, 1, 1},
    Row{"sed", 0, 2, 1, 1},
    Row{"nq", 0, 2, 1, 1},
    Row{"fo", 0, 2, 1, 1},
    Row{"ovf", 0, 2, 1, 1},
    Row{"twos", 0, -1, 1, 1},
    // The hashing schedulers return the bucket's server or nothing...
    Row{"dh", 0, 2, 0, 0},
    Row{"sh", 0, 2, 0, 0},
    Row{"sh", kSchedFlag2, 2, 0, 0},  // port 0: same bucket
    // ... unless sh-fallback probes on.
    Row{"sh", kSchedFlag1, 2, 1, 1},
};

lb::packet::FlowKeyV4 the_flow() {
  return SchedFixture::flow("192.168.1.2", 0, "192.168.1.2");
}

}  // namespace

TEST_CASE("each scheduler skips weight-0 and overloaded servers where the kernel does") {
  for (const Row& row : kRows) {
    INFO(row.scheduler << " flags " << int(row.flags));
    const auto flow = the_flow();
    SchedFixture f;
    const int usual = SchedFixture::pick(f.make(row.scheduler, {1, 1}, row.flags), flow);
    if (row.usual == -1) {
      CHECK((usual == 1 || usual == 2));
    } else {
      CHECK(usual == row.usual);
    }

    SchedFixture q;
    CHECK(SchedFixture::pick(q.make(row.scheduler, {1, 0}, row.flags), flow) == row.quiesced);

    SchedFixture o;
    const auto& svc = o.make(row.scheduler, {1, 1}, row.flags);
    SchedFixture::counters(svc, 2).overloaded = true;
    CHECK(SchedFixture::pick(svc, flow) == row.overloaded);
  }
}

TEST_CASE("every scheduler finds nothing when no server qualifies") {
  for (const Row& row : kRows) {
    INFO(row.scheduler << " flags " << int(row.flags));
    const auto flow = the_flow();
    SchedFixture f;
    CHECK(SchedFixture::pick(f.make(row.scheduler, {0, 0}, row.flags), flow) == 0);
    CHECK(SchedFixture::pick(f.make(row.scheduler, {}, row.flags), flow) == 0);
    const auto& svc = f.make(row.scheduler, {3, 1, 2}, row.flags);
    for (int octet = 1; octet <= 3; ++octet)
      SchedFixture::counters(svc, octet).overloaded = true;
    CHECK(SchedFixture::pick(svc, flow) == 0);
    CHECK(SchedFixture::pick(svc, flow) == 0);
  }
}

TEST_CASE("the same input gives the same output") {
  for (const std::string name : {"wrr", "lc", "sed", "nq", "fo", "ovf", "dh", "sh"}) {
    INFO(name);
    SchedFixture a;
    SchedFixture b;
    const auto& sa = a.make(name, {3, 1, 2, 5}, kSchedFlag1 | kSchedFlag2);
    const auto& sb = b.make(name, {3, 1, 2, 5}, kSchedFlag1 | kSchedFlag2);
    std::mt19937 rng(99);
    for (int i = 0; i < 2000; ++i) {
      if (i % 100 == 0) {
        const int octet = 1 + static_cast<int>(rng() % 4);
        const uint32_t active = rng() % 8;
        const uint32_t inactive = rng() % 600;
        SchedFixture::set_conns(sa, octet, active, inactive);
        SchedFixture::set_conns(sb, octet, active, inactive);
      }
      lb::packet::FlowKeyV4 flow;
      flow.src = static_cast<uint32_t>(rng());
      flow.dst = static_cast<uint32_t>(rng());
      flow.sport = static_cast<uint16_t>(rng());
      const int pa = SchedFixture::pick(sa, flow);
      REQUIRE(pa == SchedFixture::pick(sb, flow));
      if (name != "wrr") REQUIRE(pa == SchedFixture::pick(sa, flow));  // stateless
    }
  }
}
