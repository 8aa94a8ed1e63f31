#include <vector>

#include <catch2/catch.hpp>

#include <lb/packet/addr.h>
#include <lb/packet/builder.h>
#include <lb/packet/checksum.h>
#include <lb/packet/wire.h>

#include "reference_checksum.h"

using namespace lb::packet;

TEST_CASE("RFC 1071 example sums") {
  // RFC 1071 section 3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2 (before complement).
  const std::vector<uint8_t> data = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  CHECK(checksum_fold(checksum_partial(data)) == static_cast<uint16_t>(~0xddf2));
  // Odd length: the tail byte is the high half of a zero-padded word.
  const std::vector<uint8_t> odd = {0x12, 0x34, 0x56};
  CHECK(checksum_partial(odd) == 0x1234 + 0x5600);
}

TEST_CASE("built frames carry checksums the reference accepts") {
  const auto c = *Ipv4Addr::parse("198.18.0.1");
  const auto v = *Ipv4Addr::parse("198.18.1.100");
  std::vector<std::vector<uint8_t>> frames = {
      PacketBuilder().eth({}, {}).ipv4(c, v).tcp(40000, 80, kTcpSyn, 1).build(),
      PacketBuilder().eth({}, {}).ipv4(c, v).udp(5353, 53).payload("odd").build(),
      PacketBuilder()
          .eth({}, {})
          .ipv4(c, v)
          .icmp(kIcmpEchoRequest, 0, 7, 1)
          .payload("ping!")
          .build(),
      PacketBuilder()
          .eth({}, {})
          .ipv4(c, v)
          .ip_options(std::vector<uint8_t>{1, 1, 1})
          .tcp(1, 2, kTcpAck)
          .build(),
  };
  for (const auto& f : frames) {
    CHECK(lb::test::reference_ipv4_header_checksum(f, 14) == 0);
    CHECK(lb::test::reference_l4_checksum_ok(f, 14));
  }
}

TEST_CASE("incremental update equals full recomputation") {
  auto f = PacketBuilder()
               .eth({}, {})
               .ipv4(*Ipv4Addr::parse("203.0.113.7"), *Ipv4Addr::parse("198.18.1.100"))
               .tcp(51000, 80, kTcpSyn, 12345)
               .payload("hello")
               .build();
  auto* ip = reinterpret_cast<Ipv4Hdr*>(f.data() + 14);
  const uint32_t old_dst = ip->dst;
  const uint32_t new_dst = Ipv4Addr::parse("198.18.2.11")->be;
  ip->dst = new_dst;
  ip->checksum = checksum_update32(ip->checksum, old_dst, new_dst);
  CHECK(lb::test::reference_ipv4_header_checksum(f, 14) == 0);

  // The same change on a zeroed checksum field recomputed from scratch.
  const uint16_t incremental = ip->checksum;
  ip->checksum = 0;
  CHECK(ipv4_header_checksum(std::span(f).subspan(14, 20)) == incremental);
}
