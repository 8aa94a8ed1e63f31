// dh and sh known answers, from ip_vs_dh.c and ip_vs_sh.c (Linux 6.12).
//
// Bucket of a key, written out (include/linux/hash.h):
//   hash_32(v, 8) = (v * 0x61C88647 mod 2^32) >> 24
//   192.168.1.1 = 0xC0A80101: * 0x61C88647 = 0x88E6CD47 -> 0x88 = 136
//   192.168.1.2 = 0xC0A80102: 0xEAAF538E -> 0xEA = 234
//   192.168.1.6 = 0xC0A80106: 0x71D16CAA -> 0x71 = 113
//   192.168.1.7 = 0xC0A80107: 0xD399F2F1 -> 0xD3 = 211
//   0xC0A80203 (192.168.1.1 + port 258): 0x14FE20D5 -> 0x14 = 20
//   0xC0A80302 (192.168.1.1 + 513, port 258 byte-swapped): 0x7BBBE18E -> 123
//
// The fixture adds 10.0.0.1, .2, ... in order, so the kernel list is
// reversed: make(..., {a, b}) is the list [.2 (w b), .1 (w a)].
#include <array>
#include <cstdint>
#include <random>

#include <catch2/catch.hpp>

#include "sched_fixture.h"

using lb::sched::kSchedFlag1;
using lb::sched::kSchedFlag2;
using lb::test::SchedFixture;

namespace {

constexpr uint8_t kFallback = kSchedFlag1;  // -b sh-fallback
constexpr uint8_t kPort = kSchedFlag2;      // -b sh-port

// A flow to the VIP from `client`, or from the VIP's client to `dst`.
lb::packet::FlowKeyV4 from(const char* client, uint16_t sport = 0) {
  return SchedFixture::flow(client, sport);
}
lb::packet::FlowKeyV4 to(const char* dst) {
  return SchedFixture::flow("203.0.113.9", 40000, dst);
}

lb::packet::FlowKeyV4 random_flow(std::mt19937& rng) {
  lb::packet::FlowKeyV4 f;
  f.src = static_cast<uint32_t>(rng());
  f.dst = static_cast<uint32_t>(rng());
  f.sport = static_cast<uint16_t>(rng());
  f.dport = lb::packet::hton16(80);
  f.proto = 6;
  return f;
}

}  // namespace

TEST_CASE("hash_32 matches the worked-out products") {
  using lb::sched::kernel::hash_32;
  CHECK(0xC0A80101u * 0x61C88647u == 0x88E6CD47u);
  CHECK(hash_32(0xC0A80101u, 8) == 136);
  CHECK(hash_32(0xC0A80102u, 8) == 234);
  CHECK(hash_32(0xC0A80106u, 8) == 113);
  CHECK(hash_32(0xC0A80107u, 8) == 211);
  CHECK(hash_32(0xC0A80203u, 8) == 20);
  CHECK(hash_32(0xC0A80302u, 8) == 123);
}

TEST_CASE("dh: bucket i is list element i mod n, keyed by the destination address") {
  SchedFixture f;
  // List [.3, .2, .1]; buckets 0, 3, 6 ... -> .3; 1, 4 ... -> .2; 2, 5 ... -> .1.
  const auto& svc = f.make("dh", {5, 1, 1});               // weights play no part
  CHECK(SchedFixture::pick(svc, to("192.168.1.1")) == 2);  // 136 mod 3 = 1
  CHECK(SchedFixture::pick(svc, to("192.168.1.6")) == 1);  // 113 mod 3 = 2
  CHECK(SchedFixture::pick(svc, to("192.168.1.2")) == 3);  // 234 mod 3 = 0
  // The client does not matter.
  auto other = to("192.168.1.1");
  other.src = lb::packet::Ipv4Addr::parse("198.51.100.77")->be;
  other.sport = lb::packet::hton16(1234);
  CHECK(SchedFixture::pick(svc, other) == 2);
}

TEST_CASE("dh has no fallback: a quiesced or overloaded bucket server gives nothing") {
  SchedFixture f;
  const auto& svc = f.make("dh", {1, 0, 1});               // list [.3, .2 (w0), .1]
  CHECK(SchedFixture::pick(svc, to("192.168.1.1")) == 0);  // bucket 136 -> .2 (w0)
  CHECK(SchedFixture::pick(svc, to("192.168.1.6")) == 1);
  SchedFixture::counters(svc, 1).overloaded = true;
  CHECK(SchedFixture::pick(svc, to("192.168.1.6")) == 0);
  CHECK(SchedFixture::pick(svc, to("192.168.1.2")) == 3);
}

TEST_CASE("dh shares follow the bucket table, not the weights") {
  SchedFixture f;
  const auto& svc = f.make("dh", {5, 1, 1});
  // 256 buckets over 3 servers: .3 has 86 (0, 3, ..., 255), .2 and .1 85.
  constexpr int kFlows = 100000;
  std::mt19937 rng(12345);
  std::array<int, 4> seen{};
  for (int i = 0; i < kFlows; ++i)
    ++seen[SchedFixture::pick(svc, random_flow(rng))];
  CHECK(seen[0] == 0);
  CHECK(seen[3] / double(kFlows) == Approx(86.0 / 256).margin(0.01));
  CHECK(seen[2] / double(kFlows) == Approx(85.0 / 256).margin(0.01));
  CHECK(seen[1] / double(kFlows) == Approx(85.0 / 256).margin(0.01));
}

TEST_CASE("sh: each server takes weight consecutive buckets") {
  SchedFixture f;
  // List [.2 (w2), .1 (w1)]: buckets 0, 1 -> .2; 2 -> .1; 3, 4 -> .2; 5 -> .1 ...
  // bucket b -> .1 when b mod 3 = 2.
  const auto& svc = f.make("sh", {1, 2});
  CHECK(SchedFixture::pick(svc, from("192.168.1.1")) == 2);  // 136 mod 3 = 1
  CHECK(SchedFixture::pick(svc, from("192.168.1.2")) == 2);  // 234 mod 3 = 0
  CHECK(SchedFixture::pick(svc, from("192.168.1.6")) == 1);  // 113 mod 3 = 2
  // Without sh-port the client port and the destination do not matter.
  CHECK(SchedFixture::pick(svc, SchedFixture::flow("192.168.1.6", 999, "198.18.9.9")) == 1);
}

TEST_CASE("sh: a weight-0 server still takes one bucket") {
  SchedFixture f;
  // List [.2 (w0), .1 (w1)]: ++count >= 0 moves on after one bucket, so the
  // buckets alternate: even -> .2, odd -> .1.
  const auto& svc = f.make("sh", {1, 0});
  CHECK(SchedFixture::pick(svc, from("192.168.1.2")) == 0);  // 234: .2, quiesced
  CHECK(SchedFixture::pick(svc, from("192.168.1.6")) == 1);  // 113
}

TEST_CASE("sh: weights summing past 256 starve the tail of the list") {
  SchedFixture f;
  const auto& svc = f.make("sh", {1, 300});  // list [.2 (w300), .1 (w1)]
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i)
    REQUIRE(SchedFixture::pick(svc, random_flow(rng)) == 2);
}

TEST_CASE("sh-port adds the client port, in host order, to the address") {
  SchedFixture f;
  const auto& plain = f.make("sh", {1, 2});
  CHECK(SchedFixture::pick(plain, from("192.168.1.1", 258)) == 2);  // bucket 136
  CHECK(SchedFixture::pick(plain, from("192.168.1.1", 5)) == 2);
  const auto& svc = f.make("sh", {1, 2}, kPort);
  // 0xC0A80101 + 258 = 0xC0A80203 -> 20, 20 mod 3 = 2 -> .1 (with the port
  // byte-swapped it would be 0xC0A80302 -> 123 -> .2).
  CHECK(SchedFixture::pick(svc, from("192.168.1.1", 258)) == 1);
  // + 5 = 0xC0A80106, the key of 192.168.1.6 -> 113 -> .1
  CHECK(SchedFixture::pick(svc, from("192.168.1.1", 5)) == 1);
  CHECK(SchedFixture::pick(svc, from("192.168.1.1", 0)) == 2);
}

TEST_CASE("sh-fallback probes from twice the hash: the kernel adds it twice") {
  SchedFixture f;
  // List [.4, .3, .2, .1], weights 1: bucket b -> list[b mod 4].
  // Client 192.168.1.7: ihash 211, 211 mod 4 = 3 -> .1.
  const auto client = from("192.168.1.7");
  SECTION("without the flag an unavailable server gives nothing") {
    const auto& svc = f.make("sh", {1, 1, 1, 1});
    CHECK(SchedFixture::pick(svc, client) == 1);
    SchedFixture::counters(svc, 1).overloaded = true;
    CHECK(SchedFixture::pick(svc, client) == 0);
  }
  SECTION("with sh-fallback") {
    const auto& svc = f.make("sh", {1, 1, 1, 1}, kFallback);
    CHECK(SchedFixture::pick(svc, client) == 1);
    SchedFixture::counters(svc, 1).overloaded = true;
    // offset 0: roffset 211, bucket (211 + 211) & 255 = 166 -> list[2] = .2
    // (probing from 212 would have given list[0] = .4).
    CHECK(SchedFixture::pick(svc, client) == 2);
    SchedFixture::counters(svc, 2).overloaded = true;
    // offset 1: bucket 167 -> .1 (overloaded); offset 2: 168 -> .4.
    CHECK(SchedFixture::pick(svc, client) == 4);
    SchedFixture::counters(svc, 4).overloaded = true;
    CHECK(SchedFixture::pick(svc, client) == 3);  // offset 3: 169 -> list[1]
    SchedFixture::counters(svc, 3).overloaded = true;
    CHECK(SchedFixture::pick(svc, client) == 0);
  }
  SECTION("with sh-fallback and sh-port together") {
    const auto& svc = f.make("sh", {1, 1, 1, 1}, kFallback | kPort);
    // 192.168.1.1 port 6 is the key of 192.168.1.7.
    SchedFixture::counters(svc, 1).overloaded = true;
    CHECK(SchedFixture::pick(svc, from("192.168.1.1", 6)) == 2);
  }
  SECTION("a weight-0 server is skipped like an overloaded one") {
    const auto& svc = f.make("sh", {0, 1, 1, 1}, kFallback);  // .1 has weight 0
    CHECK(SchedFixture::pick(svc, client) == 2);
  }
}

TEST_CASE("sh shares follow the bucket table") {
  SchedFixture f;
  // List [.3 (w3), .2 (w2), .1 (w1)]: a 6-bucket cycle, 42 full cycles
  // (252 buckets) then .3 .3 .3 .2: .3 129, .2 85, .1 42 buckets.
  const auto& svc = f.make("sh", {1, 2, 3});
  constexpr int kFlows = 100000;
  std::mt19937 rng(4242);
  std::array<int, 4> seen{};
  for (int i = 0; i < kFlows; ++i)
    ++seen[SchedFixture::pick(svc, random_flow(rng))];
  CHECK(seen[0] == 0);
  CHECK(seen[3] / double(kFlows) == Approx(129.0 / 256).margin(0.01));
  CHECK(seen[2] / double(kFlows) == Approx(85.0 / 256).margin(0.01));
  CHECK(seen[1] / double(kFlows) == Approx(42.0 / 256).margin(0.01));
}
