#include <catch2/catch.hpp>

#include <lb/sched/classifier.h>

using namespace lb::sched;
using lb::packet::FlowKeyV4;
using lb::packet::hton16;
using lb::packet::Ipv4Addr;
using lb::packet::Ipv4Prefix;

namespace {

FlowKeyV4 flow(uint8_t proto, const char* src, const char* dst, uint16_t dport) {
  FlowKeyV4 k;
  k.proto = proto;
  k.src = Ipv4Addr::parse(src)->be;
  k.dst = Ipv4Addr::parse(dst)->be;
  k.sport = hton16(40000);
  k.dport = hton16(dport);
  return k;
}

MarkRule rule(uint32_t mark, std::optional<Protocol> proto, const char* dst, uint16_t lo,
              uint16_t hi, const char* src = nullptr) {
  MarkRule r;
  r.mark = mark;
  r.protocol = proto;
  r.destination = *Ipv4Prefix::parse(dst);
  r.port_min = lo;
  r.port_max = hi;
  if (src != nullptr) r.source = *Ipv4Prefix::parse(src);
  return r;
}

}  // namespace

TEST_CASE("the seeds' mark rules: HTTP and HTTPS under 80, FTP and its passive ports under 21") {
  const std::vector<MarkRule> rules = {
      rule(80, Protocol::kTcp, "198.18.1.100/32", 80, 80),
      rule(80, Protocol::kTcp, "198.18.1.100/32", 443, 443),
      rule(21, Protocol::kTcp, "198.18.1.100/32", 21, 21),
      rule(21, Protocol::kTcp, "198.18.1.100/32", 10000, 20000),
  };
  const Classifier c(rules);
  const char* client = "203.0.113.7";
  CHECK(c.classify(flow(6, client, "198.18.1.100", 80)) == 80);
  CHECK(c.classify(flow(6, client, "198.18.1.100", 443)) == 80);
  CHECK(c.classify(flow(6, client, "198.18.1.100", 21)) == 21);
  CHECK(c.classify(flow(6, client, "198.18.1.100", 10000)) == 21);
  CHECK(c.classify(flow(6, client, "198.18.1.100", 20000)) == 21);
  CHECK(c.classify(flow(6, client, "198.18.1.100", 20001)) == 0);
  CHECK(c.classify(flow(6, client, "198.18.1.100", 8080)) == 0);
  CHECK(c.classify(flow(17, client, "198.18.1.100", 80)) == 0);  // TCP rules only
  CHECK(c.classify(flow(6, client, "198.18.1.101", 80)) == 0);
  CHECK(c.covers(Ipv4Addr::parse("198.18.1.100")->be));
  CHECK_FALSE(c.covers(Ipv4Addr::parse("198.18.1.101")->be));
  REQUIRE(c.addresses().size() == 1);
  CHECK(c.addresses()[0] == *Ipv4Addr::parse("198.18.1.100"));
}

TEST_CASE("the first matching rule wins; protocol, prefixes and source narrow a rule") {
  const std::vector<MarkRule> rules = {
      rule(7, std::nullopt, "198.18.4.0/24", 53, 53, "203.0.113.0/25"),
      rule(8, Protocol::kUdp, "198.18.4.0/24", 0, 65535),
      rule(9, std::nullopt, "198.18.0.0/15", 0, 65535),
  };
  const Classifier c(rules);
  CHECK(c.classify(flow(17, "203.0.113.5", "198.18.4.9", 53)) == 7);
  CHECK(c.classify(flow(6, "203.0.113.5", "198.18.4.9", 53)) == 7);     // no protocol: TCP and UDP
  CHECK(c.classify(flow(17, "203.0.113.200", "198.18.4.9", 53)) == 8);  // source outside /25
  CHECK(c.classify(flow(6, "203.0.113.200", "198.18.4.9", 53)) == 9);
  CHECK(c.classify(flow(1, "203.0.113.5", "198.18.4.9", 0)) == 0);  // ICMP never marked
  CHECK(c.covers(Ipv4Addr::parse("198.19.255.1")->be));
  CHECK(c.addresses().empty());
  CHECK(Classifier{}.empty());
  CHECK(Classifier{}.classify(flow(6, "203.0.113.5", "198.18.4.9", 53)) == 0);
}
