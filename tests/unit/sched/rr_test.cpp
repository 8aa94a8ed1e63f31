#include <catch2/catch.hpp>
#include <thread>

#include "sched_fixture.h"

using lb::test::SchedFixture;
using Seq = std::vector<int>;

TEST_CASE("rr follows the kernel list: newest real server first") {
  SchedFixture f;
  // Added A(1), B(2), C(3): the kernel list is [C, B, A], so rr yields C B A C ...
  const auto& svc = f.make("rr", {1, 1, 1});
  CHECK(SchedFixture::sequence(svc, 7) == Seq{3, 2, 1, 3, 2, 1, 3});
}

TEST_CASE("rr ignores weights other than zero") {
  SchedFixture f;
  const auto& svc = f.make("rr", {5, 1, 3});
  CHECK(SchedFixture::sequence(svc, 6) == Seq{3, 2, 1, 3, 2, 1});
}

TEST_CASE("rr skips quiesced and overloaded servers and resumes after the last chosen") {
  SchedFixture f;
  const auto& svc = f.make("rr", {1, 0, 1, 1});  // list [4, 3, 2(w0), 1]
  CHECK(SchedFixture::sequence(svc, 4) == Seq{4, 3, 1, 4});
  SchedFixture::counters(svc, 3).overloaded = true;
  CHECK(SchedFixture::sequence(svc, 3) == Seq{1, 4, 1});
  SchedFixture::counters(svc, 3).overloaded = false;
  CHECK(SchedFixture::sequence(svc, 3) == Seq{4, 3, 1});
}

TEST_CASE("rr finds nothing when no server is usable") {
  SchedFixture f;
  CHECK(SchedFixture::pick(f.make("rr", {0, 0})) == 0);
  CHECK(SchedFixture::pick(f.make("rr", {})) == 0);
}

TEST_CASE("rr spreads exactly evenly when several workers schedule at once") {
  SchedFixture f;
  const auto& svc = f.make("rr", {1, 1, 1});
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
  CHECK(total[1] == kThreads * kPerThread / 3);
  CHECK(total[2] == kThreads * kPerThread / 3);
  CHECK(total[3] == kThreads * kPerThread / 3);
}
