// The state machine with a fake clock: the test passes the time.
#include <catch2/catch.hpp>

#include <lb/health/tracker.h>

using lb::health::Policy;
using lb::health::Result;
using lb::health::State;
using lb::health::Tracker;
using lb::health::Transition;

namespace {

const Result kOk = Result::success("HTTP 200");
const Result kFail = Result::failure("connect: Connection refused");

}  // namespace

TEST_CASE("an unknown target is decided by its first result") {
  Tracker up(Policy{2, 3, 0, 0});
  CHECK(up.state() == State::kUnknown);
  CHECK(up.record(kOk, 0) == Transition{State::kUnknown, State::kUp, "HTTP 200", 1});
  CHECK(up.state() == State::kUp);

  Tracker down(Policy{2, 3, 10000, 10000});  // times and counts do not delay the first verdict
  CHECK(down.record(kFail, 0) ==
        Transition{State::kUnknown, State::kDown, "connect: Connection refused", 1});
}

TEST_CASE("an up target goes down after `fall` consecutive failures") {
  Tracker t(Policy{2, 3, 0, 0});
  t.record(kOk, 0);
  CHECK_FALSE(t.record(kFail, 1000));
  CHECK_FALSE(t.record(kFail, 2000));
  CHECK(t.failures() == 2);
  // A success in between restarts the count.
  CHECK_FALSE(t.record(kOk, 3000));
  CHECK(t.failures() == 0);
  CHECK(t.successes() == 1);
  CHECK_FALSE(t.record(kFail, 4000));
  CHECK_FALSE(t.record(kFail, 5000));
  const auto tr = t.record(Result::failure("timeout after 3000 ms while connecting"), 6000);
  REQUIRE(tr);
  CHECK(*tr == Transition{State::kUp, State::kDown, "timeout after 3000 ms while connecting", 3});
  CHECK_FALSE(t.record(kFail, 7000));  // no repeated transition
}

TEST_CASE("a down target comes back after `rise` consecutive successes") {
  Tracker t(Policy{2, 1, 0, 0});
  t.record(kFail, 0);
  CHECK_FALSE(t.record(kOk, 1000));
  CHECK_FALSE(t.record(kFail, 2000));
  CHECK_FALSE(t.record(kOk, 3000));
  CHECK(t.record(kOk, 4000) == Transition{State::kDown, State::kUp, "HTTP 200", 2});
  // fall 1: one failure is enough.
  CHECK(t.record(kFail, 5000) ==
        Transition{State::kUp, State::kDown, "connect: Connection refused", 1});
}

TEST_CASE("service_timeout: down only once failing for that long, as well as `fall` times") {
  Tracker t(Policy{1, 1, 6000, 0});
  t.record(kOk, 0);
  CHECK_FALSE(t.record(kFail, 10000));  // the streak starts here
  CHECK_FALSE(t.record(kFail, 12000));
  CHECK_FALSE(t.record(kFail, 15999));
  const auto tr = t.record(kFail, 16000);
  REQUIRE(tr);
  CHECK(tr->to == State::kDown);
  CHECK(tr->consecutive == 4);

  // A success resets the clock.
  Tracker u(Policy{1, 1, 6000, 0});
  u.record(kOk, 0);
  u.record(kFail, 1000);
  u.record(kOk, 5000);
  CHECK_FALSE(u.record(kFail, 7000));
  CHECK_FALSE(u.record(kFail, 12000));
  CHECK(u.record(kFail, 13000));

  // Both conditions: 6 s of failures are not enough with fall 5 at one check in 3 s.
  Tracker v(Policy{1, 5, 6000, 0});
  v.record(kOk, 0);
  for (uint64_t at : {3000, 6000, 9000, 12000})
    CHECK_FALSE(v.record(kFail, at));
  CHECK(v.record(kFail, 15000));
}

TEST_CASE("reentry: a recovered target comes back only once passing for that long") {
  Tracker t(Policy{2, 1, 0, 15000});
  t.record(kFail, 0);
  CHECK_FALSE(t.record(kOk, 1000));
  CHECK_FALSE(t.record(kOk, 2000));  // rise met, reentry not
  CHECK_FALSE(t.record(kOk, 15999));
  CHECK(t.record(kOk, 16000) == Transition{State::kDown, State::kUp, "HTTP 200", 4});

  // A failure during re-entry starts it over.
  Tracker u(Policy{1, 1, 0, 5000});
  u.record(kFail, 0);
  u.record(kOk, 1000);
  u.record(kFail, 4000);
  CHECK_FALSE(u.record(kOk, 5000));
  CHECK_FALSE(u.record(kOk, 9000));
  CHECK(u.record(kOk, 10000));
}

TEST_CASE("a changed policy keeps the state and the streak") {
  Tracker t(Policy{2, 3, 0, 0});
  t.record(kOk, 0);
  t.record(kFail, 1000);
  t.set_policy(Policy{2, 2, 0, 0});
  CHECK(t.state() == State::kUp);
  CHECK(t.record(kFail, 2000));
}
