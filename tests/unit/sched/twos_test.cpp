// twos, from ip_vs_twos.c: two weighted random choices among usable servers,
// the less loaded (overhead / weight) wins, choice1 on a tie. Random like the
// kernel's, so only distributions are checked, loosely.
//
// With the list [x, y, ...] and total weight T, r is uniform in [0, T] and a
// choice lands on the first server where r - (sum of weights so far) <= 0:
// the first server gets w1 + 1 of the T + 1 outcomes.
#include <array>

#include <catch2/catch.hpp>

#include "sched_fixture.h"

using lb::test::SchedFixture;

namespace {

constexpr int kPicks = 100000;

std::array<double, 4> shares(const lb::sched::Service& svc) {
  std::array<int, 4> seen{};
  for (int i = 0; i < kPicks; ++i)
    ++seen[SchedFixture::pick(svc)];
  std::array<double, 4> out{};
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = seen[i] / double(kPicks);
  return out;
}

}  // namespace

TEST_CASE("twos with equal loads follows choice1: the weighted draw") {
  SchedFixture f;
  // List [.3, .2, .1], weights 1, T = 3: r in {0, 1} -> .3, 2 -> .2, 3 -> .1.
  // Equal overheads never prefer choice2, so shares are 1/2, 1/4, 1/4.
  const auto s = shares(f.make("twos", {1, 1, 1}));
  CHECK(s[0] == 0);
  CHECK(s[3] == Approx(0.5).margin(0.02));
  CHECK(s[2] == Approx(0.25).margin(0.02));
  CHECK(s[1] == Approx(0.25).margin(0.02));
}

TEST_CASE("twos favours the less loaded servers") {
  SchedFixture f;
  const auto& svc = f.make("twos", {1, 1, 1});
  SchedFixture::set_conns(svc, 3, 20, 5);
  // .3 is now picked only when both choices land on it: about 1/4 instead of 1/2.
  const auto s = shares(svc);
  CHECK(s[3] > 0.2);
  CHECK(s[3] < 0.3);
  CHECK(s[2] > 0.3);
  CHECK(s[1] > 0.3);
}

TEST_CASE("twos compares overhead per weight") {
  SchedFixture f;
  const auto& svc = f.make("twos", {4, 1});  // list [.2 (w1), .1 (w4)]
  SchedFixture::set_conns(svc, 1, 2, 0);     // 514 / 4 = 128.5
  SchedFixture::set_conns(svc, 2, 1, 0);     // 257 / 1
  // Whenever the choices differ .1 wins; .2 only when both land on it:
  // r in {0, 1} of {0..5} -> (1/3)^2.
  const auto s = shares(svc);
  CHECK(s[2] == Approx(1.0 / 9).margin(0.02));
  CHECK(s[1] == Approx(8.0 / 9).margin(0.02));
}

TEST_CASE("twos never picks weight 0 or overloaded servers and finds nothing without usable ones") {
  SchedFixture f;
  const auto& svc = f.make("twos", {1, 0, 1});  // list [.3, .2 (w0), .1]
  SchedFixture::counters(svc, 3).overloaded = true;
  for (int i = 0; i < 1000; ++i)
    REQUIRE(SchedFixture::pick(svc) == 1);
  SchedFixture::counters(svc, 1).overloaded = true;
  CHECK(SchedFixture::pick(svc) == 0);
  CHECK(SchedFixture::pick(f.make("twos", {})) == 0);
}
