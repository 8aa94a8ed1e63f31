// Scheduler::peek (lbctl lookup): what the next pick would choose, without
// changing it.
#include <catch2/catch.hpp>

#include "sched_fixture.h"

using lb::test::SchedFixture;

namespace {

// The last octet peek() names, 0 for none, -1 when unpredictable.
int peeked(const lb::sched::Service& svc, const lb::packet::FlowKeyV4& flow = {}) {
  const int32_t i = svc.peek(lb::sched::PickInput{flow, 0, 0});
  if (i == lb::sched::kUnpredictable) return -1;
  if (i == lb::sched::kNoDest) return 0;
  return static_cast<int>(svc.dests()[static_cast<size_t>(i)].addr.host() & 0xff);
}

}  // namespace

TEST_CASE("peek names the next pick and leaves it in place") {
  SchedFixture f;
  // rr: the rotation's next server, twice, then pick takes it.
  const auto& rr = f.make("rr", {1, 1, 1});
  CHECK(peeked(rr) == 3);
  CHECK(peeked(rr) == 3);
  CHECK(SchedFixture::pick(rr) == 3);
  CHECK(peeked(rr) == 2);
  CHECK(SchedFixture::pick(rr) == 2);
  // Counting and hashing schedulers: peek is pick, which only reads.
  for (const char* name : {"lc", "wlc", "sed", "nq", "fo", "ovf", "sh", "dh", "mh"}) {
    INFO(name);
    const auto& svc = f.make(name, {1, 3, 2});
    const auto flow = SchedFixture::flow("203.0.113.7", 40000);
    const int before = peeked(svc, flow);
    CHECK(before > 0);
    CHECK(SchedFixture::pick(svc, flow) == before);
  }
  CHECK(peeked(f.make("wlc", {0, 0})) == 0);
  // State a pick would also change (a random draw, a rotation with
  // weights, a locality table): said, not guessed.
  for (const char* name : {"twos", "wrr", "lblc", "lblcr"}) {
    INFO(name);
    CHECK(peeked(f.make(name, {1, 1})) == -1);
  }
}
