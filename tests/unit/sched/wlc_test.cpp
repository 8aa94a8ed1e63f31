#include <catch2/catch.hpp>

#include "sched_fixture.h"

using lb::test::SchedFixture;

TEST_CASE("wlc picks the least overhead per weight; ties go to the first in the list") {
  SchedFixture f;
  const auto& svc = f.make("wlc", {1, 1, 1});  // list [3, 2, 1]
  CHECK(SchedFixture::pick(svc) == 3);         // all idle: first in list
  SchedFixture::set_conns(svc, 3, 1, 0);
  CHECK(SchedFixture::pick(svc) == 2);
  SchedFixture::set_conns(svc, 2, 1, 0);
  SchedFixture::set_conns(svc, 1, 0, 300);  // 300 < 257
  CHECK(SchedFixture::pick(svc) == 3);      // 257 (3) == 257 (2) < 300 (1): first of the tie
}

TEST_CASE("wlc overhead is 256 * active + total (Linux 6.12.105+)") {
  SchedFixture f;
  const auto& svc = f.make("wlc", {1, 1});  // list [2, 1]
  // 2: one active, no inactive -> 257; 1: 256 inactive -> 256. Classic kernels
  // tie (256 vs 256) and take 2; the newest kernels take 1.
  SchedFixture::set_conns(svc, 2, 1, 0);
  SchedFixture::set_conns(svc, 1, 0, 256);
  CHECK(SchedFixture::pick(svc) == 1);
}

TEST_CASE("wlc weighs overhead by weight") {
  SchedFixture f;
  const auto& svc = f.make("wlc", {3, 1});  // list [2 (w1), 1 (w3)]
  SchedFixture::set_conns(svc, 1, 2, 0);    // 514 / 3 = 171.3
  SchedFixture::set_conns(svc, 2, 1, 0);    // 257 / 1
  CHECK(SchedFixture::pick(svc) == 1);
  SchedFixture::set_conns(svc, 1, 4, 0);  // 1028 / 3 = 342.7
  CHECK(SchedFixture::pick(svc) == 2);
}

TEST_CASE("wlc skips overloaded and never picks weight 0") {
  SchedFixture f;
  const auto& svc = f.make("wlc", {1, 0, 1});  // list [3, 2 (w0), 1]
  SchedFixture::set_conns(svc, 3, 5, 0);
  SchedFixture::set_conns(svc, 1, 9, 0);
  CHECK(SchedFixture::pick(svc) == 3);  // 2 is idle but has weight 0
  SchedFixture::counters(svc, 3).overloaded = true;
  CHECK(SchedFixture::pick(svc) == 1);
  SchedFixture::counters(svc, 1).overloaded = true;
  CHECK(SchedFixture::pick(svc) == 0);
}

TEST_CASE("InActConn is total minus active, never negative") {
  lb::sched::DestCounters c;
  c.total = 5;
  c.active = 2;
  CHECK(c.inactive_conns() == 3);
  c.active = 7;  // a transient state under concurrent updates
  CHECK(c.inactive_conns() == 0);
}
