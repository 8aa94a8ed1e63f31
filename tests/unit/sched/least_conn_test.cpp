// lc, sed and nq known answers, from ip_vs_lc.c, ip_vs_sed.c and ip_vs_nq.c.
// The fixture adds 10.0.0.1, .2, ... in order, so the kernel list is
// reversed: make(..., {a, b}) is the list [.2 (w b), .1 (w a)].
#include <catch2/catch.hpp>

#include "sched_fixture.h"

using lb::test::SchedFixture;

TEST_CASE("lc takes the least overhead; ties go to the first in the list") {
  SchedFixture f;
  const auto& svc = f.make("lc", {1, 1, 1});  // list [.3, .2, .1]
  CHECK(SchedFixture::pick(svc) == 3);        // all 0
  SchedFixture::set_conns(svc, 3, 1, 0);      // 257
  SchedFixture::set_conns(svc, 2, 0, 257);    // 257
  SchedFixture::set_conns(svc, 1, 0, 258);    // 258
  CHECK(SchedFixture::pick(svc) == 3);        // 257 == 257 < 258: first of the tie
  SchedFixture::set_conns(svc, 2, 0, 256);
  CHECK(SchedFixture::pick(svc) == 2);
}

TEST_CASE("lc overhead is 256 * active + total: 257 loses to 256 (Linux 6.12.105+)") {
  SchedFixture f;
  const auto& svc = f.make("lc", {1, 1});  // list [.2, .1]
  // .2: one active -> 257; .1: 256 inactive -> 256. Classic kernels compute
  // 256 for both and keep .2.
  SchedFixture::set_conns(svc, 2, 1, 0);
  SchedFixture::set_conns(svc, 1, 0, 256);
  CHECK(SchedFixture::pick(svc) == 1);
}

TEST_CASE("lc ignores weights other than 0") {
  SchedFixture f;
  const auto& svc = f.make("lc", {5, 1});  // list [.2 (w1), .1 (w5)]
  SchedFixture::set_conns(svc, 2, 0, 10);
  SchedFixture::set_conns(svc, 1, 0, 11);
  CHECK(SchedFixture::pick(svc) == 2);
}

TEST_CASE("lc skips weight 0 and overloaded servers") {
  SchedFixture f;
  const auto& svc = f.make("lc", {1, 0, 1});  // list [.3, .2 (w0), .1]
  SchedFixture::set_conns(svc, 3, 2, 0);
  SchedFixture::set_conns(svc, 1, 3, 0);
  CHECK(SchedFixture::pick(svc) == 3);  // .2 is idle but quiesced
  SchedFixture::counters(svc, 3).overloaded = true;
  CHECK(SchedFixture::pick(svc) == 1);
  SchedFixture::counters(svc, 1).overloaded = true;
  CHECK(SchedFixture::pick(svc) == 0);
}

TEST_CASE("sed compares (active + 1) / weight and ignores inactive connections") {
  SchedFixture f;
  const auto& svc = f.make("sed", {3, 1});  // list [.2 (w1), .1 (w3)]
  // Idle: .2 1/1, .1 1/3: 1 * 3 > 1 * 1, .1 wins (wlc would tie at 0 and
  // keep .2).
  CHECK(SchedFixture::pick(svc) == 1);
  SchedFixture::set_conns(svc, 1, 2, 0);  // 3/3 == 1/1: tie, the first stays
  CHECK(SchedFixture::pick(svc) == 2);
  SchedFixture::set_conns(svc, 1, 1, 1000);  // 2/3 < 1/1
  CHECK(SchedFixture::pick(svc) == 1);
  SchedFixture::set_conns(svc, 2, 0, 5000);  // inactive only: still 1/1
  CHECK(SchedFixture::pick(svc) == 1);
}

TEST_CASE(
    "sed: the first usable server is the start, later ones only replace it if strictly better") {
  SchedFixture f;
  const auto& svc = f.make("sed", {2, 0, 1});  // list [.3 (w1), .2 (w0), .1 (w2)]
  SchedFixture::set_conns(svc, 3, 1, 0);       // 2/1
  SchedFixture::set_conns(svc, 1, 3, 0);       // 4/2: tie with .3
  CHECK(SchedFixture::pick(svc) == 3);         // .2 (w0, idle) can never win
  SchedFixture::counters(svc, 3).overloaded = true;
  CHECK(SchedFixture::pick(svc) == 1);
  SchedFixture::counters(svc, 1).overloaded = true;
  CHECK(SchedFixture::pick(svc) == 0);
}

TEST_CASE("nq returns the first idle server at once, whatever its weight") {
  SchedFixture f;
  const auto& svc = f.make("nq", {5, 1});  // list [.2 (w1), .1 (w5)]
  CHECK(SchedFixture::pick(svc) == 2);     // sed would take .1 (1/5 < 1/1)
  SchedFixture::set_conns(svc, 2, 1, 0);   // .2 busy, .1 idle
  CHECK(SchedFixture::pick(svc) == 1);
  SchedFixture::set_conns(svc, 1, 4, 0);  // 2/1 vs 5/5: .1
  CHECK(SchedFixture::pick(svc) == 1);
  SchedFixture::set_conns(svc, 1, 9, 0);  // 2/1 vs 10/5: tie, the first
  CHECK(SchedFixture::pick(svc) == 2);
  SchedFixture::set_conns(svc, 1, 0, 700);  // inactive only: idle
  CHECK(SchedFixture::pick(svc) == 1);
}

TEST_CASE("nq skips idle servers that are quiesced or overloaded") {
  SchedFixture f;
  const auto& svc = f.make("nq", {1, 0, 1});  // list [.3, .2 (w0), .1]
  SchedFixture::set_conns(svc, 3, 2, 0);
  SchedFixture::set_conns(svc, 1, 1, 0);
  CHECK(SchedFixture::pick(svc) == 1);  // .2 is idle but has weight 0
  SchedFixture::counters(svc, 1).overloaded = true;
  CHECK(SchedFixture::pick(svc) == 3);
  SchedFixture::set_conns(svc, 3, 0, 0);
  SchedFixture::counters(svc, 3).overloaded = true;
  CHECK(SchedFixture::pick(svc) == 0);
}
