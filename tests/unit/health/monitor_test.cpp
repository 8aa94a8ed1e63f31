// The Monitor's thread against real local servers: events through the
// eventfd, the all-or-nothing target set and its diff, the in-flight limit,
// and keeping 1,000 targets on a one-second schedule.
#include <catch2/catch.hpp>

#include <poll.h>

#include <chrono>
#include <functional>
#include <map>
#include <thread>

#include <lb/health/monitor.h>

#include "probe_support.h"
#include "servers.h"

using namespace lb::health;
using namespace lb::health::test;
using Clock = std::chrono::steady_clock;

namespace {

Target target(uint64_t id, uint16_t port, CheckSpec spec) {
  Target t;
  t.id = id;
  t.addr = kLoopback;
  t.port = port;
  t.spec = std::move(spec);
  return t;
}

CheckSpec fast(CheckType type = CheckType::kTcp) {
  CheckSpec s = spec_of(type, 5000);
  s.interval_ms = 100;
  s.rise = 1;
  s.fall = 1;
  return s;
}

// Collects events (waiting on event_fd) until `done` says so or 30 s pass.
std::vector<Event> wait_events(Monitor& m,
                               const std::function<bool(const std::vector<Event>&)>& done) {
  std::vector<Event> all;
  const auto give_up = Clock::now() + std::chrono::seconds(30);
  while (!done(all) && Clock::now() < give_up) {
    pollfd pfd{m.event_fd(), POLLIN, 0};
    if (poll(&pfd, 1, 200) > 0) {
      for (auto& e : m.drain())
        all.push_back(std::move(e));
    }
  }
  return all;
}

// Polls status() until `ok` holds or 30 s pass.
StatusSnapshot wait_status(Monitor& m, const std::function<bool(const StatusSnapshot&)>& ok) {
  const auto give_up = Clock::now() + std::chrono::seconds(30);
  StatusSnapshot s = m.status();
  while (!ok(s) && Clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    s = m.status();
  }
  return s;
}

}  // namespace

TEST_CASE("monitor: transitions arrive through the eventfd with their reason") {
  TcpServer server([](int) { return false; });
  Monitor m;
  REQUIRE(
      m.set_targets({target(1, server.port(), fast()), target(2, closed_port(SOCK_STREAM), fast())})
          .empty());
  const auto events = wait_events(m, [](const auto& ev) { return ev.size() >= 2; });
  REQUIRE(events.size() == 2);
  std::map<uint64_t, Event> by_id;
  for (const auto& e : events)
    by_id[e.target_id] = e;
  CHECK(by_id[1].transition == Transition{State::kUnknown, State::kUp, "connected", 1});
  CHECK(by_id[2].transition ==
        Transition{State::kUnknown, State::kDown, "connect: Connection refused", 1});
  CHECK(by_id[2].result.reason == "connect: Connection refused");
  CHECK(by_id[2].at_ms > 0);
  // Drained: nothing pending, the eventfd is quiet until the next transition.
  CHECK(m.drain().empty());
  pollfd pfd{m.event_fd(), POLLIN, 0};
  CHECK(poll(&pfd, 1, 0) == 0);

  const auto snap = wait_status(m, [](const StatusSnapshot& s) {
    return s.targets.size() == 2 && s.targets[0].checks >= 2 && s.targets[1].checks >= 2;
  });
  REQUIRE(snap.targets.size() == 2);
  CHECK(snap.targets[0].id == 1);
  CHECK(snap.targets[0].state == State::kUp);
  CHECK(snap.targets[0].successes >= 2);
  REQUIRE(snap.targets[0].last);
  CHECK(snap.targets[0].last->reason == "connected");
  CHECK(snap.targets[0].last_check_ms <= snap.now_ms);
  CHECK(snap.targets[1].state == State::kDown);
  CHECK(snap.targets[1].failures >= 2);
  CHECK(snap.targets[1].port != 0);
}

TEST_CASE("monitor: a server that goes away goes down after `fall` failures") {
  auto server = std::make_unique<TcpServer>([](int) { return false; });
  const uint16_t port = server->port();
  CheckSpec s = fast();
  s.fall = 2;
  Monitor m;
  REQUIRE(m.set_targets({target(7, port, s)}).empty());
  wait_events(m, [](const auto& ev) { return !ev.empty(); });
  server.reset();  // the port now refuses
  const auto events = wait_events(m, [](const auto& ev) { return !ev.empty(); });
  REQUIRE(events.size() == 1);
  CHECK(events[0].transition ==
        Transition{State::kUp, State::kDown, "connect: Connection refused", 2});
}

TEST_CASE("monitor: a bad target set changes nothing and names every error") {
  TcpServer server([](int) { return false; });
  Monitor m;
  REQUIRE(m.set_targets({target(1, server.port(), fast())}).empty());
  CheckSpec bad = fast(CheckType::kSendExpect);
  bad.expect = {"(", true};
  Target no_port = target(3, 0, fast());
  const auto errors = m.set_targets(
      {target(1, server.port(), fast()), target(2, 80, bad), no_port, target(2, 81, fast())});
  REQUIRE(errors.size() == 3);
  CHECK(errors[0].rfind("target 2 (127.0.0.1:80): expect: invalid regex /(/", 0) == 0);
  CHECK(errors[1] ==
        "target 3 (127.0.0.1:0): no port to check: the real server's port is 0 and the check "
        "sets none");
  CHECK(errors[2] == "target 2 (127.0.0.1:81): the id is used twice");
  const auto snap = m.status();
  REQUIRE(snap.targets.size() == 1);
  CHECK(snap.targets[0].id == 1);
}

TEST_CASE("monitor: set_targets keeps unchanged targets, restarts changed ones, drops removed") {
  TcpServer server([](int) { return false; });
  Monitor m;
  REQUIRE(m.set_targets({target(1, server.port(), fast()), target(2, server.port(), fast()),
                         target(3, server.port(), fast())})
              .empty());
  auto before = wait_status(m, [](const StatusSnapshot& s) {
    for (const auto& t : s.targets) {
      if (t.checks < 3) return false;
    }
    return true;
  });
  REQUIRE(before.targets.size() == 3);

  CheckSpec slower = fast();
  slower.interval_ms = 200;  // target 2: a changed check on the same server
  TcpServer other([](int) { return false; });
  REQUIRE(m.set_targets({target(1, server.port(), fast()), target(2, server.port(), slower),
                         target(4, other.port(), fast())})
              .empty());
  const auto after = m.status();
  REQUIRE(after.targets.size() == 3);
  CHECK(after.targets[0].id == 1);
  CHECK(after.targets[0].checks >= before.targets[0].checks);  // kept: its count goes on
  CHECK(after.targets[0].state == State::kUp);
  CHECK(after.targets[1].id == 2);
  CHECK(after.targets[1].state == State::kUp);  // the server's state survives a new check
  CHECK(after.targets[2].id == 4);
  CHECK(after.targets[2].state == State::kUnknown);
  CHECK(after.targets[2].checks == 0);

  // Target 2 under its new address is a new server.
  Target moved = target(2, other.port(), slower);
  REQUIRE(m.set_targets({moved}).empty());
  const auto last = m.status();
  REQUIRE(last.targets.size() == 1);
  CHECK(last.targets[0].checks <= 1);
  CHECK(last.targets[0].port == other.port());
}

TEST_CASE("monitor: a program that outlives its timeout is killed; so is one running at removal") {
  Monitor m;
  CheckSpec s = fast(CheckType::kProgram);
  s.command = "sleep 10";
  s.timeout_ms = 200;
  s.interval_ms = 60000;
  REQUIRE(m.set_targets({target(1, 0, s)}).empty());
  const auto events = wait_events(m, [](const auto& ev) { return !ev.empty(); });
  REQUIRE(events.size() == 1);
  CHECK(events[0].transition.reason == "timeout after 200 ms (program killed)");
  CHECK(events[0].result.latency_ms < 5000);

  s.timeout_ms = 60000;
  REQUIRE(m.set_targets({target(2, 0, s)}).empty());
  wait_status(
      m, [](const StatusSnapshot& st) { return !st.targets.empty() && st.targets[0].in_flight; });
  REQUIRE(m.set_targets({}).empty());  // its sleep is killed and reaped
  CHECK(m.status().targets.empty());
}

TEST_CASE("monitor: no more probes run at once than allowed") {
  TcpServer silent([](int) { return true; });
  Monitor m(MonitorOptions{3});
  CHECK(m.max_in_flight() == 3);
  CheckSpec s = fast(CheckType::kSendExpect);
  s.expect = {"never", false};
  s.timeout_ms = 300;
  std::vector<Target> targets;
  for (uint64_t id = 1; id <= 10; ++id)
    targets.push_back(target(id, silent.port(), s));
  REQUIRE(m.set_targets(targets).empty());
  size_t most = 0;
  const auto give_up = Clock::now() + std::chrono::seconds(30);
  StatusSnapshot snap;
  do {
    snap = m.status();
    size_t running = 0;
    bool all_checked = true;
    for (const auto& t : snap.targets) {
      running += t.in_flight ? 1 : 0;
      all_checked = all_checked && t.checks >= 1;
    }
    most = std::max(most, running);
    if (all_checked) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  } while (Clock::now() < give_up);
  CHECK(most <= 3);
  CHECK(most >= 1);
  for (const auto& t : snap.targets) {
    CHECK(t.checks >= 1);  // the waiting ones got their turn
    CHECK(t.state == State::kDown);
  }
}

TEST_CASE("monitor: 1,000 targets at a 1 s interval are each checked about every second") {
  TcpServer server([](int) { return false; }, 4096);
  Monitor m;
  CheckSpec s = spec_of(CheckType::kTcp, 3000);
  s.interval_ms = 1000;
  std::vector<Target> targets;
  for (uint64_t id = 1; id <= 1000; ++id)
    targets.push_back(target(id, server.port(), s));
  const auto t0 = Clock::now();
  REQUIRE(m.set_targets(targets).empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  const auto snap = m.status();
  const auto elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  REQUIRE(snap.targets.size() == 1000);
  uint64_t fewest = UINT64_MAX, most = 0, up = 0;
  for (const auto& t : snap.targets) {
    fewest = std::min(fewest, t.checks);
    most = std::max(most, t.checks);
    up += t.state == State::kUp ? 1 : 0;
  }
  INFO("after " << elapsed << " ms: fewest checks " << fewest << ", most " << most);
  CHECK(fewest >= 2);  // schedule, not speed: every target had its turn each second
  CHECK(most <= 5);    // and none more often than its interval allows
  CHECK(up == 1000);
  const auto events = m.drain();
  CHECK(events.size() == 1000);  // one unknown -> up each
}
