#include <catch2/catch.hpp>

#include <lb/nat/rewrite.h>
#include <lb/packet/builder.h>
#include <lb/packet/wire.h>

#include "reference_checksum.h"

using namespace lb::packet;
using lb::test::reference_ipv4_header_checksum;
using lb::test::reference_l4_checksum_ok;

namespace {

const Ipv4Addr kClient = *Ipv4Addr::parse("203.0.113.7");
const Ipv4Addr kVip = *Ipv4Addr::parse("198.18.1.100");
const Ipv4Addr kReal = *Ipv4Addr::parse("198.18.2.11");

PacketMeta parsed(const std::vector<uint8_t>& f) {
  PacketMeta m;
  REQUIRE(parse_frame(f, m) == ParseResult::kIpv4);
  return m;
}

// The frame the rewrite must produce, built from scratch.
void require_same(const std::vector<uint8_t>& got, const std::vector<uint8_t>& want) {
  REQUIRE(got.size() == want.size());
  CHECK(got == want);
  CHECK(reference_ipv4_header_checksum(got, 14) == 0);
  CHECK(reference_l4_checksum_ok(got, 14));
}

}  // namespace

TEST_CASE("DNAT of a TCP SYN rewrites address, port and both checksums") {
  for (uint32_t seq : {0u, 1u, 0xdeadbeefu, 0xffffffffu}) {
    auto f = PacketBuilder()
                 .eth({}, {})
                 .ipv4(kClient, kVip, 64)
                 .tcp(51000, 80, kTcpSyn, seq)
                 .payload("GET /")
                 .build();
    auto m = parsed(f);
    lb::nat::rewrite_destination(f, m, kReal.be, hton16(8080));
    REQUIRE(lb::nat::decrement_ttl(f, m));
    require_same(f, PacketBuilder()
                        .eth({}, {})
                        .ipv4(kClient, kReal, 63)
                        .tcp(51000, 8080, kTcpSyn, seq)
                        .payload("GET /")
                        .build());
  }
}

TEST_CASE("SNAT of the real server's reply restores the VIP as source") {
  auto f = PacketBuilder()
               .eth({}, {})
               .ipv4(kReal, kClient, 64)
               .tcp(8080, 51000, kTcpSyn | kTcpAck, 9, 1)
               .build();
  auto m = parsed(f);
  lb::nat::rewrite_source(f, m, kVip.be, hton16(80));
  REQUIRE(lb::nat::decrement_ttl(f, m));
  require_same(f, PacketBuilder()
                      .eth({}, {})
                      .ipv4(kVip, kClient, 63)
                      .tcp(80, 51000, kTcpSyn | kTcpAck, 9, 1)
                      .build());
}

TEST_CASE("UDP both ways, odd payload lengths, with and without checksum") {
  for (const char* payload : {"", "a", "ab", "abc", "query-with-an-odd-length"}) {
    INFO(payload);
    auto f = PacketBuilder().eth({}, {}).ipv4(kClient, kVip).udp(5353, 53).payload(payload).build();
    auto m = parsed(f);
    lb::nat::rewrite_destination(f, m, kReal.be, hton16(5300));
    require_same(
        f,
        PacketBuilder().eth({}, {}).ipv4(kClient, kReal).udp(5353, 5300).payload(payload).build());

    auto r =
        PacketBuilder().eth({}, {}).ipv4(kReal, kClient).udp(5300, 5353).payload(payload).build();
    auto rm = parsed(r);
    lb::nat::rewrite_source(r, rm, kVip.be, hton16(53));
    require_same(
        r, PacketBuilder().eth({}, {}).ipv4(kVip, kClient).udp(53, 5353).payload(payload).build());
  }
  auto f = PacketBuilder()
               .eth({}, {})
               .ipv4(kClient, kVip)
               .udp(5353, 53)
               .udp_without_checksum()
               .payload("x")
               .build();
  auto m = parsed(f);
  lb::nat::rewrite_destination(f, m, kReal.be, hton16(53));
  CHECK(f[34 + 6] == 0);
  CHECK(f[34 + 7] == 0);
  CHECK(reference_ipv4_header_checksum(f, 14) == 0);
}

TEST_CASE("rewrites stay correct across many addresses and ports") {
  // Sweep values whose one's-complement sums wrap in different ways.
  for (uint32_t i = 0; i < 2000; ++i) {
    const auto real = Ipv4Addr::from_host(0x0a000000u + i * 2654435761u % 0x00ffffffu);
    const auto port = static_cast<uint16_t>(i * 40503u);
    auto f = PacketBuilder()
                 .eth({}, {})
                 .ipv4(kClient, kVip)
                 .tcp(static_cast<uint16_t>(i), 443, kTcpAck, i)
                 .build();
    auto m = parsed(f);
    lb::nat::rewrite_destination(f, m, real.be, hton16(port));
    REQUIRE(reference_ipv4_header_checksum(f, 14) == 0);
    REQUIRE(reference_l4_checksum_ok(f, 14));
  }
}

TEST_CASE("TTL 1 and 0 are not forwarded; the packet is left alone") {
  for (uint8_t ttl : {uint8_t{0}, uint8_t{1}}) {
    auto f = PacketBuilder().eth({}, {}).ipv4(kClient, kVip, ttl).tcp(1, 80, kTcpSyn).build();
    const auto before = f;
    CHECK_FALSE(lb::nat::decrement_ttl(f, parsed(f)));
    CHECK(f == before);
  }
  auto f =
      PacketBuilder().eth({}, {}).ipv4(kClient, kVip, 2).icmp(kIcmpEchoRequest, 0, 1, 1).build();
  REQUIRE(lb::nat::decrement_ttl(f, parsed(f)));
  CHECK(f[14 + 8] == 1);
  CHECK(reference_ipv4_header_checksum(f, 14) == 0);
}

TEST_CASE("a later fragment has only its address rewritten") {
  const auto build = [](Ipv4Addr src, Ipv4Addr dst) {
    return PacketBuilder()
        .eth({}, {})
        .ipv4(src, dst, 63)
        .ip_id(77)
        .ip_fragment(false, 185)
        .payload("the rest of a datagram")
        .build();
  };
  auto f = build(kClient, kVip);
  PacketMeta m;
  REQUIRE(parse_frame(f, m) == ParseResult::kIpFragment);
  lb::nat::rewrite_destination_address(f, m, kReal.be);
  CHECK(f == build(kClient, kReal));
  CHECK(reference_ipv4_header_checksum(f, 14) == 0);

  auto reply = build(kReal, kClient);
  REQUIRE(parse_frame(reply, m) == ParseResult::kIpFragment);
  lb::nat::rewrite_source_address(reply, m, kVip.be);
  CHECK(reply == build(kVip, kClient));
}
