// wrr known answers, worked out by hand from ip_vs_wrr.c: di = gcd of the
// positive weights, mw = max - (di - 1), ip_vs_wrr_dest_changed on every
// add/del/edit (cl = head; cw = mw if cw > mw or cw == 0, else rounded to
// di when di > 1), then passes at cw = mw, mw - di, ..., 1.
//
// The fixture adds 10.0.0.1, .2, ... in that order, so the kernel list is
// reversed: make("wrr", {4, 3, 2}) is the list [.3 (w2), .2 (w3), .1 (w4)].
#include <array>
#include <cstdlib>
#include <thread>

#include <catch2/catch.hpp>

#include "sched_fixture.h"

using lb::sched::ForwardMethod;
using lb::test::SchedFixture;
using Seq = std::vector<int>;

TEST_CASE("wrr built from scratch starts with one weight >= 1 pass") {
  SchedFixture f;
  // A = .1 (w4), B = .2 (w3), C = .3 (w2), added A, B, C: list [C, B, A].
  // Adding A: di 4, mw 1, cw 0 -> 1. Adding B: di 1, mw 4, cw 1 kept. Adding
  // C: cw 1 kept. So: C B A (cw 1), then the 9-cycle
  // cw 4: A; cw 3: B A; cw 2: C B A; cw 1: C B A.
  const auto& svc = f.make("wrr", {4, 3, 2});
  CHECK(SchedFixture::sequence(svc, 21) ==
        Seq{3, 2, 1, 1, 2, 1, 3, 2, 1, 3, 2, 1, 1, 2, 1, 3, 2, 1, 3, 2, 1});
}

TEST_CASE("wrr bound to a populated service starts at cw = mw") {
  SchedFixture f;
  // ipvsadm -E -s wrr on a service holding [A = .3 (w4), B = .2 (w3),
  // C = .1 (w2)]: ip_vs_wrr_init_svc sets cw = mw = 4.
  // cw 4: A; cw 3: A B; cw 2: A B C; cw 1: A B C.
  f.make("rr", {2, 3, 4});
  const auto& svc = f.reload(SchedFixture::spec("wrr", {2, 3, 4}));
  CHECK(SchedFixture::sequence(svc, 18) ==
        Seq{3, 3, 2, 3, 2, 1, 3, 2, 1, 3, 3, 2, 3, 2, 1, 3, 2, 1});
}

TEST_CASE("wrr keeps cw across an edit and restarts from the head") {
  SchedFixture f;
  // [A = .3 (w4), B = .2 (w3), C = .1 (w2)] from scratch: adding .1 gives
  // di 2, mw 1, cw 1; the later adds keep cw 1. Picks: A B C at cw 1; the
  // fourth wraps to cw = mw = 4 and takes A, leaving cl = A, cw = 4.
  auto spec = SchedFixture::spec("wrr", {2, 3, 4});
  const auto& first = f.make(spec);
  CHECK(SchedFixture::sequence(first, 4) == Seq{3, 2, 1, 3});

  SECTION("an edit of a real server runs dest_changed: cl = head, cw 4 kept") {
    spec.real_servers[0].forward = ForwardMethod::kDirectRoute;
    const auto& svc = f.reload(spec);
    CHECK(SchedFixture::sequence(svc, 9) == Seq{3, 3, 2, 3, 2, 1, 3, 2, 1});
  }
  SECTION("an unchanged service carries on where it was") {
    // From cl = A, cw 4: B, C fail; cw 3: A B; cw 2: A B C; cw 1: A B C; cw 4: A.
    const auto& svc = f.reload(spec);
    CHECK(SchedFixture::sequence(svc, 11) == Seq{3, 2, 3, 2, 1, 3, 2, 1, 3, 3, 2});
  }
  SECTION("a lower maximum weight clamps cw to the new mw") {
    // Weights A 3, B 3, C 2: di 1, mw 3; cw 4 > 3 -> 3.
    // cw 3: A B; cw 2: A B C; cw 1: A B C; cw 3: A B ...
    const auto& svc = f.reload(SchedFixture::spec("wrr", {2, 3, 3}));
    CHECK(SchedFixture::sequence(svc, 10) == Seq{3, 2, 3, 2, 1, 3, 2, 1, 3, 2});
  }
  SECTION("a common divisor rounds cw down to a multiple of di, plus one") {
    // One more pick (A at cw 3) leaves cw 3. Weights A 6, B 4, C 2: di 2,
    // mw 6 - 1 = 5; cw 3 <= 5 -> (3 / 2) * 2 + 1 = 3.
    // cw 3: A B; cw 1: A B C; then cw 5: A; cw 3: A B; cw 1: A B C.
    CHECK(SchedFixture::pick(first) == 3);
    const auto& svc = f.reload(SchedFixture::spec("wrr", {2, 4, 6}));
    CHECK(SchedFixture::sequence(svc, 11) == Seq{3, 2, 3, 2, 1, 3, 3, 2, 3, 2, 1});
  }
}

TEST_CASE("wrr with weights 5 and 1") {
  SchedFixture f;
  SECTION("built from scratch: B A, then A A A A B A") {
    // A = .1 (w5) added first, B = .2 (w1): list [B, A]. Adding A: di 5,
    // mw 1, cw 1; adding B: di 1, mw 5, cw 1 kept. cw 1: B A; then cw 5, 4,
    // 3, 2: A each; cw 1: B A.
    const auto& svc = f.make("wrr", {5, 1});
    CHECK(SchedFixture::sequence(svc, 14) == Seq{2, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1, 1, 2, 1});
  }
  SECTION("bound with cw = mw: A A A A A B") {
    f.make("rr", {1, 5});  // list [A = .2 (w5), B = .1 (w1)]
    const auto& svc = f.reload(SchedFixture::spec("wrr", {1, 5}));
    CHECK(SchedFixture::sequence(svc, 12) == Seq{2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 1});
  }
}

TEST_CASE("wrr steps cw by the gcd of the weights") {
  SchedFixture f;
  // [A = .2 (w4), B = .1 (w2)]: di 2, mw 4 - 1 = 3.
  SECTION("bound with cw = mw: cw 3: A; cw 1: A B") {
    f.make("rr", {2, 4});
    const auto& svc = f.reload(SchedFixture::spec("wrr", {2, 4}));
    CHECK(SchedFixture::sequence(svc, 9) == Seq{2, 2, 1, 2, 2, 1, 2, 2, 1});
  }
  SECTION("built from scratch") {
    // Adding B (w2): di 2, mw 1, cw 0 -> 1. Adding A: di 2, mw 3,
    // cw (1 / 2) * 2 + 1 = 1. cw 1: A B; then cw 3: A; cw 1: A B.
    const auto& svc = f.make("wrr", {2, 4});
    CHECK(SchedFixture::sequence(svc, 8) == Seq{2, 1, 2, 2, 1, 2, 2, 1});
  }
}

TEST_CASE("wrr skips overloaded servers and goes on with the pass") {
  SchedFixture f;
  const auto& svc = f.make("wrr", {4, 3, 2});  // list [.3 (w2), .2 (w3), .1 (w4)]
  SchedFixture::counters(svc, 2).overloaded = true;
  // cw 1: .3 .1; cw 4: .1; cw 3: .1; cw 2: .3 .1; cw 1: .3 .1.
  CHECK(SchedFixture::sequence(svc, 14) == Seq{3, 1, 1, 1, 3, 1, 3, 1, 1, 1, 3, 1, 3, 1});
}

TEST_CASE("wrr fails only after testing every server at the last pass") {
  SchedFixture f;
  const auto& svc = f.make("wrr", {4, 3, 2});  // list [C = .3, B = .2, A = .1], cw 1
  SECTION("from the middle of the list: cl and cw come back unchanged") {
    CHECK(SchedFixture::sequence(svc, 2) == Seq{3, 2});  // cl = B, cw 1
    for (int octet = 1; octet <= 3; ++octet)
      SchedFixture::counters(svc, octet).overloaded = true;
    // A fails at cw 1, wrap to cw 4 (restarted), passes at 4, 3, 2 fail, the
    // cw 1 pass stops at B: cl = B, cw 1.
    CHECK(SchedFixture::pick(svc) == 0);
    for (int octet = 1; octet <= 3; ++octet)
      SchedFixture::counters(svc, octet).overloaded = false;
    CHECK(SchedFixture::sequence(svc, 10) == Seq{1, 1, 2, 1, 3, 2, 1, 3, 2, 1});
  }
  SECTION("from the head: cl = head, cw = mw") {
    for (int octet = 1; octet <= 3; ++octet)
      SchedFixture::counters(svc, octet).overloaded = true;
    CHECK(SchedFixture::pick(svc) == 0);
    for (int octet = 1; octet <= 3; ++octet)
      SchedFixture::counters(svc, octet).overloaded = false;
    CHECK(SchedFixture::sequence(svc, 9) == Seq{1, 2, 1, 3, 2, 1, 3, 2, 1});
  }
}

TEST_CASE("wrr never picks weight 0 and finds nothing without a positive weight") {
  SchedFixture f;
  // [.3 (w2), .2 (w0), .1 (w4)]: di 2, mw 3. From scratch: adding .1: di 4,
  // mw 1, cw 1; adding .2 (w0): unchanged; adding .3: di 2, mw 3, cw 1.
  // cw 1: .3 .1; cw 3: .1; cw 1: .3 .1.
  CHECK(SchedFixture::sequence(f.make("wrr", {4, 0, 2}), 8) == Seq{3, 1, 1, 3, 1, 1, 3, 1});
  CHECK(SchedFixture::pick(f.make("wrr", {0, 0})) == 0);
  CHECK(SchedFixture::pick(f.make("wrr", {})) == 0);
}

TEST_CASE("wrr shares follow the weights") {
  SchedFixture f;
  const auto& svc = f.make("wrr", {5, 3, 2});
  constexpr int kPicks = 100000;
  std::array<int, 4> seen{};
  for (int i = 0; i < kPicks; ++i)
    ++seen[SchedFixture::pick(svc)];
  CHECK(seen[0] == 0);
  CHECK(std::abs(seen[1] - 50000) <= 500);
  CHECK(std::abs(seen[2] - 30000) <= 300);
  CHECK(std::abs(seen[3] - 20000) <= 200);
}

TEST_CASE("wrr gives the exact kernel totals when several workers schedule at once") {
  SchedFixture f;
  // List [.3 (w1), .2 (w2), .1 (w3)], cw 1 from scratch: .3 .2 .1, then the
  // 6-cycle .1 | .2 .1 | .3 .2 .1. 120000 picks = 3 + 19999 cycles + ".1 .2 .1".
  const auto& svc = f.make("wrr", {3, 2, 1});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 30000;
  std::array<std::array<int, 4>, kThreads> seen{};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i)
        ++seen[t][SchedFixture::pick(svc)];
    });
  }
  for (auto& t : threads)
    t.join();
  std::array<int, 4> total{};
  for (const auto& s : seen) {
    for (int i = 0; i < 4; ++i)
      total[i] += s[i];
  }
  CHECK(total[0] == 0);
  CHECK(total[1] == 1 + 3 * 19999 + 2);
  CHECK(total[2] == 1 + 2 * 19999 + 1);
  CHECK(total[3] == 1 + 19999);
  // The sequence goes on exactly where 120000 kernel calls leave it: the
  // cycle's fourth pick.
  CHECK(SchedFixture::sequence(svc, 3) == Seq{3, 2, 1});
}
