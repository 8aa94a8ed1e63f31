#include <catch2/catch.hpp>

#include <lb/sched/service.h>

using namespace lb::sched;
using lb::packet::hton16;
using lb::packet::Ipv4Addr;

namespace {

ServiceSpec spec(Protocol p, const char* vip, uint16_t port, const char* sched = "rr") {
  ServiceSpec s;
  s.protocol = p;
  s.vip = *Ipv4Addr::parse(vip);
  s.port = port;
  s.scheduler = sched;
  s.real_servers.push_back({*Ipv4Addr::parse("10.0.0.1"), 8080, 1, ForwardMethod::kNat});
  return s;
}

}  // namespace

TEST_CASE("services are found by protocol, VIP and port") {
  DestRegistry reg(16);
  std::vector<ServiceSpec> specs = {spec(Protocol::kTcp, "198.18.1.100", 80),
                                    spec(Protocol::kUdp, "198.18.1.100", 53),
                                    spec(Protocol::kTcp, "198.18.1.101", 80, "wlc")};
  ServiceTable t(specs, reg);
  const auto vip = Ipv4Addr::parse("198.18.1.100")->be;
  const Service* s = t.find(6, vip, hton16(80));
  REQUIRE(s != nullptr);
  CHECK(s->spec().port == 80);
  CHECK(s->dests()[0].port_be == hton16(8080));
  CHECK(t.find(17, vip, hton16(53)) != nullptr);
  CHECK(t.find(17, vip, hton16(80)) == nullptr);
  CHECK(t.find(6, vip, hton16(81)) == nullptr);
  CHECK(t.is_vip(vip));
  CHECK(t.is_vip(Ipv4Addr::parse("198.18.1.101")->be));
  CHECK_FALSE(t.is_vip(Ipv4Addr::parse("198.18.1.102")->be));
  CHECK(t.vips().size() == 2);
}

TEST_CASE("real servers keep their counters when the table is rebuilt") {
  DestRegistry reg(16);
  std::vector<ServiceSpec> specs = {spec(Protocol::kTcp, "198.18.1.100", 80)};
  ServiceTable first(specs, reg);
  first.services()[0]->dests()[0].counters->total = 7;
  ServiceTable second(specs, reg);
  CHECK(second.services()[0]->dests()[0].counters->total == 7);
  CHECK(reg.used() == 1);
}

TEST_CASE("bad service sets are refused with a message naming the service") {
  DestRegistry reg(16);
  std::vector<ServiceSpec> dup = {spec(Protocol::kTcp, "198.18.1.100", 80),
                                  spec(Protocol::kTcp, "198.18.1.100", 80)};
  CHECK_THROWS_WITH(ServiceTable(dup, reg), "duplicate service tcp 198.18.1.100:80");
  std::vector<ServiceSpec> unknown = {spec(Protocol::kTcp, "198.18.1.100", 80, "fastest")};
  CHECK_THROWS_WITH(ServiceTable(unknown, reg), "unknown scheduler 'fastest'");
  DestRegistry tiny(0);
  std::vector<ServiceSpec> one = {spec(Protocol::kTcp, "198.18.1.100", 80)};
  CHECK_THROWS_WITH(ServiceTable(one, tiny), "too many real servers (limit 0)");
}
