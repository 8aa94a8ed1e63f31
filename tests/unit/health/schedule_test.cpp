#include <catch2/catch.hpp>

#include <set>

#include <lb/health/schedule.h>

using lb::health::Schedule;

TEST_CASE("a batch of new targets is spread evenly over the interval") {
  std::set<uint64_t> starts;
  for (size_t i = 0; i < 1000; ++i)
    starts.insert(Schedule::first_due(5000, i, 1000, 1000));
  CHECK(starts.size() == 1000);  // 1 ms apart: never two in the same millisecond
  CHECK(*starts.begin() == 5000);
  CHECK(*starts.rbegin() == 5999);
  CHECK(Schedule::first_due(5000, 0, 1, 1000) == 5000);  // one new target: checked at once
}

TEST_CASE("the next check keeps the phase of the last start, never overlaps") {
  CHECK(Schedule::next_after(1000, 1000, 1020) == 2000);
  CHECK(Schedule::next_after(1000, 1000, 4000) == 4000);  // the check took 3 s: the next at once
}

TEST_CASE("targets come due in time order, each once until rescheduled") {
  Schedule s;
  s.set(1, 300);
  s.set(2, 100);
  s.set(3, 200);
  s.set(1, 50);  // moved earlier
  CHECK(s.next_due() == 50u);
  CHECK_FALSE(s.pop_due(49));
  CHECK(s.pop_due(250) == 1u);
  CHECK(s.pop_due(250) == 2u);
  CHECK(s.pop_due(250) == 3u);
  CHECK_FALSE(s.pop_due(250));
  CHECK(s.size() == 0);
  s.set(4, 10);
  s.remove(4);
  CHECK_FALSE(s.next_due());
}
