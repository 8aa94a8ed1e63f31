// fo and ovf known answers, from ip_vs_fo.c and ip_vs_ovf.c. The fixture's
// kernel list is the reverse of the weights given to make().
#include <catch2/catch.hpp>

#include "sched_fixture.h"

using lb::test::SchedFixture;

TEST_CASE("fo takes the highest weight; ties go to the first in the list") {
  SchedFixture f;
  const auto& svc = f.make("fo", {2, 5, 5, 1});  // list [.4 (w1), .3 (w5), .2 (w5), .1 (w2)]
  CHECK(SchedFixture::pick(svc) == 3);
  SchedFixture::set_conns(svc, 3, 1000, 1000);  // connection counts do not matter
  CHECK(SchedFixture::pick(svc) == 3);
  SchedFixture::counters(svc, 3).overloaded = true;
  CHECK(SchedFixture::pick(svc) == 2);
  SchedFixture::counters(svc, 2).overloaded = true;
  CHECK(SchedFixture::pick(svc) == 1);
}

TEST_CASE("fo never takes weight 0") {
  SchedFixture f;
  CHECK(SchedFixture::pick(f.make("fo", {0, 1})) == 2);
  CHECK(SchedFixture::pick(f.make("fo", {0, 0})) == 0);
}

TEST_CASE("ovf takes weight + 1 active connections before overflowing") {
  SchedFixture f;
  const auto& svc = f.make("ovf", {1, 3});  // list [.2 (w3), .1 (w1)]
  for (uint32_t active = 0; active <= 3; ++active) {
    SchedFixture::set_conns(svc, 2, active, 0);
    CHECK(SchedFixture::pick(svc) == 2);
  }
  SchedFixture::set_conns(svc, 2, 4, 0);
  CHECK(SchedFixture::pick(svc) == 1);
  SchedFixture::set_conns(svc, 1, 1, 0);
  CHECK(SchedFixture::pick(svc) == 1);
  SchedFixture::set_conns(svc, 1, 2, 0);
  CHECK(SchedFixture::pick(svc) == 0);
  SchedFixture::set_conns(svc, 2, 3, 0);  // back at its weight
  CHECK(SchedFixture::pick(svc) == 2);
}

TEST_CASE("ovf ignores inactive connections and breaks ties by list order") {
  SchedFixture f;
  const auto& svc = f.make("ovf", {3, 3});  // list [.2, .1]
  SchedFixture::set_conns(svc, 2, 0, 500);
  CHECK(SchedFixture::pick(svc) == 2);
  SchedFixture::set_conns(svc, 2, 4, 0);
  CHECK(SchedFixture::pick(svc) == 1);
}

TEST_CASE("ovf skips weight 0 and overloaded servers") {
  SchedFixture f;
  const auto& svc = f.make("ovf", {1, 0, 2});  // list [.3 (w2), .2 (w0), .1 (w1)]
  CHECK(SchedFixture::pick(svc) == 3);
  SchedFixture::counters(svc, 3).overloaded = true;
  CHECK(SchedFixture::pick(svc) == 1);  // .2 has 0 active <= 0, but weight 0
}
