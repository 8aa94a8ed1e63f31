#include <catch2/catch.hpp>

#include <lb/sched/service.h>

using namespace lb::sched;
using lb::packet::Ipv4Addr;

namespace {

// Binds `n` inactive connections; returns their generation.
uint32_t bind_n(DestCounters& c, int n) {
  uint32_t gen = 0;
  for (int i = 0; i < n; ++i)
    gen = c.bind(false);
  return gen;
}

}  // namespace

TEST_CASE("the upper threshold sets overload; 3/4 of it clears it (6.12.105+ hysteresis)") {
  DestCounters c;
  c.set_thresholds(10, 0);
  const uint32_t gen = bind_n(c, 9);
  CHECK_FALSE(c.overloaded);
  c.bind(false);  // the 10th connection
  CHECK(c.overloaded);
  c.bind(false);  // 11: stays
  CHECK(c.overloaded);
  // Between the lower limit (10 - 10/4 = 8) and the upper threshold the flag
  // keeps its value; it clears when the count falls below 8.
  c.unbind(false, gen);  // 10
  c.unbind(false, gen);  // 9
  c.unbind(false, gen);  // 8
  CHECK(c.overloaded);
  c.unbind(false, gen);  // 7
  CHECK_FALSE(c.overloaded);
  c.bind(false);  // back to 8, 9: below the upper threshold, stays clear
  c.bind(false);
  CHECK_FALSE(c.overloaded);
}

TEST_CASE("an explicit lower threshold is where the server becomes available again") {
  DestCounters c;
  c.set_thresholds(10, 5);
  const uint32_t gen = bind_n(c, 10);
  REQUIRE(c.overloaded);
  for (int i = 0; i < 5; ++i)
    c.unbind(false, gen);  // down to 5
  CHECK(c.overloaded);
  c.unbind(false, gen);  // 4
  CHECK_FALSE(c.overloaded);
}

TEST_CASE("editing thresholds judges the current count at once") {
  DestCounters c;
  bind_n(c, 12);
  CHECK_FALSE(c.overloaded);
  c.set_thresholds(10, 0);
  CHECK(c.overloaded);
  c.set_thresholds(20, 0);  // 12 is below the new lower limit (20 - 5 = 15): clear
  CHECK_FALSE(c.overloaded);
  c.set_thresholds(0, 0);
  CHECK_FALSE(c.overloaded);
}

TEST_CASE("active connections count in the thresholds like inactive ones") {
  DestCounters c;
  c.set_thresholds(2, 0);
  c.bind(true);
  c.bind(true);
  CHECK(c.overloaded);
  CHECK(c.active_conns() == 2);
  CHECK(c.overhead() == 2 * 256 + 2);
}

TEST_CASE("last_weight is the weight at add, then the latest non-zero weight") {
  DestRegistry reg(4);
  CHECK(reg.record_weight(0, 3) == 3);
  CHECK(reg.record_weight(0, 0) == 3);
  CHECK(reg.record_weight(0, 5) == 5);
  CHECK(reg.record_weight(1, 0) == 0);  // added at weight 0
  CHECK(reg.record_weight(1, 2) == 2);
}

namespace {

ServiceSpec quiesce_service(int servers) {
  ServiceSpec s;
  s.vip = *Ipv4Addr::parse("198.18.1.100");
  s.port = 80;
  s.scheduler = "wlc";
  s.quiesce_server = true;
  for (int i = 1; i <= servers; ++i) {
    s.real_servers.push_back(
        {.addr = Ipv4Addr::from_octets(198, 18, 2, static_cast<uint8_t>(10 + i)), .port = 80});
  }
  return s;
}

DestCounters& counters_of(const ServiceTable& t, uint8_t last_octet) {
  for (const auto& d : t.services()[0]->dests()) {
    if ((d.addr.host() & 0xff) == last_octet) return *d.counters;
  }
  throw std::out_of_range("no such server");
}

}  // namespace

TEST_CASE("quiesce server: a joining real server restarts least-connection accounting") {
  DestRegistry reg(16);
  std::vector<ServiceSpec> two = {quiesce_service(2)};
  ServiceTable first(two, reg);
  first.commit(reg);
  DestCounters& a = counters_of(first, 11);
  const uint32_t old_gen = a.bind(true);
  bind_n(a, 4);
  REQUIRE(a.overhead() == 256 + 5);

  std::vector<ServiceSpec> three = {quiesce_service(3)};
  ServiceTable second(three, reg, &first);
  second.commit(reg);
  // The scheduling view starts again; what ipvsadm shows does not change.
  CHECK(a.overhead() == 0);
  CHECK(a.active_conns() == 1);
  CHECK(a.inactive_conns() == 4);
  // Old connections leave without touching the new accounting...
  a.unbind(true, old_gen);
  CHECK(a.overhead() == 0);
  CHECK(a.active_conns() == 0);
  // ...new ones count in both.
  a.bind(false);
  CHECK(a.overhead() == 1);
  CHECK(a.inactive_conns() == 5);

  // Rebuilding with the same servers is not a join: nothing is reset.
  ServiceTable third(three, reg, &second);
  third.commit(reg);
  CHECK(a.overhead() == 1);
}

TEST_CASE("without quiesce server a joining real server resets nothing") {
  DestRegistry reg(16);
  auto spec = quiesce_service(2);
  spec.quiesce_server = false;
  std::vector<ServiceSpec> two = {spec};
  ServiceTable first(two, reg);
  first.commit(reg);
  bind_n(counters_of(first, 11), 3);
  spec.real_servers.push_back({.addr = *Ipv4Addr::parse("198.18.2.13"), .port = 80});
  std::vector<ServiceSpec> three = {spec};
  ServiceTable second(three, reg, &first);
  second.commit(reg);
  CHECK(counters_of(second, 11).overhead() == 3);
}

TEST_CASE("building a service table changes nothing shared until it is committed") {
  DestRegistry reg(16);
  auto spec = quiesce_service(2);
  spec.real_servers[0].upper_threshold = 1;
  std::vector<ServiceSpec> specs = {spec};
  ServiceTable built(specs, reg);
  DestCounters& a = counters_of(built, 11);
  a.bind(false);
  CHECK_FALSE(
      a.overloaded);  // the threshold is not applied yet: a rejected change must leave no trace
  CHECK(a.upper_threshold == 0);
  built.commit(reg);
  CHECK(a.upper_threshold == 1);
  CHECK(a.overloaded);
}
