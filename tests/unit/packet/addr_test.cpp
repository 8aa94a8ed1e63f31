#include <catch2/catch.hpp>

#include <lb/packet/addr.h>

using lb::packet::Ipv4Addr;
using lb::packet::Ipv4Prefix;
using lb::packet::MacAddr;

TEST_CASE("IPv4 addresses parse as dotted quads only") {
  auto a = Ipv4Addr::parse("198.18.1.100");
  REQUIRE(a);
  CHECK(a->host() == 0xC6120164u);
  CHECK(a->to_string() == "198.18.1.100");
  CHECK(Ipv4Addr::from_octets(10, 0, 0, 1) == *Ipv4Addr::parse("10.0.0.1"));

  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.x", "01.2.3.4", "1..2.3",
                          " 1.2.3.4", "1.2.3.4 ", "-1.2.3.4", "12345"}) {
    INFO(bad);
    CHECK_FALSE(Ipv4Addr::parse(bad));
  }
}

TEST_CASE("IPv4 addresses order numerically") {
  CHECK(*Ipv4Addr::parse("10.0.0.2") < *Ipv4Addr::parse("10.0.0.10"));
  CHECK(*Ipv4Addr::parse("9.255.255.255") < *Ipv4Addr::parse("10.0.0.0"));
}

TEST_CASE("prefixes keep the host part and test membership") {
  auto p = Ipv4Prefix::parse("198.18.1.1/24");
  REQUIRE(p);
  CHECK(p->to_string() == "198.18.1.1/24");
  CHECK(p->contains(*Ipv4Addr::parse("198.18.1.200")));
  CHECK_FALSE(p->contains(*Ipv4Addr::parse("198.18.2.1")));
  CHECK(Ipv4Prefix::parse("0.0.0.0/0")->contains(*Ipv4Addr::parse("203.0.113.9")));
  CHECK(Ipv4Prefix::parse("198.18.1.1/32")->contains(*Ipv4Addr::parse("198.18.1.1")));
  CHECK_FALSE(Ipv4Prefix::parse("198.18.1.1/33"));
  CHECK_FALSE(Ipv4Prefix::parse("198.18.1.1"));
  CHECK_FALSE(Ipv4Prefix::parse("198.18.1.1/"));
}

TEST_CASE("MAC addresses parse and print in colon form") {
  auto m = MacAddr::parse("02:00:5E:10:00:0a");
  REQUIRE(m);
  CHECK(m->to_string() == "02:00:5e:10:00:0a");
  CHECK_FALSE(m->is_multicast());
  CHECK(MacAddr::broadcast().is_broadcast());
  CHECK_FALSE(MacAddr::parse("02:00:5e:10:00"));
  CHECK_FALSE(MacAddr::parse("02-00-5e-10-00-0a"));
  CHECK_FALSE(MacAddr::parse("02:00:5e:10:00:0g"));
}
