#include <vector>

#include <catch2/catch.hpp>

#include <lb/packet/builder.h>
#include <lb/packet/parse.h>
#include <lb/packet/wire.h>

using namespace lb::packet;

namespace {

const MacAddr kMacA = *MacAddr::parse("02:00:00:00:00:0a");
const MacAddr kMacB = *MacAddr::parse("02:00:00:00:00:0b");
const Ipv4Addr kClient = *Ipv4Addr::parse("198.18.0.1");
const Ipv4Addr kVip = *Ipv4Addr::parse("198.18.1.100");

ParseResult parse(const std::vector<uint8_t>& f, PacketMeta& m) {
  return parse_frame(f, m);
}

}  // namespace

TEST_CASE("a TCP segment parses into its flow key") {
  auto f =
      PacketBuilder().eth(kMacA, kMacB).ipv4(kClient, kVip, 17).tcp(40000, 80, kTcpSyn).build();
  PacketMeta m;
  REQUIRE(parse(f, m) == ParseResult::kIpv4);
  CHECK(m.key.src == kClient.be);
  CHECK(m.key.dst == kVip.be);
  CHECK(ntoh16(m.key.sport) == 40000);
  CHECK(ntoh16(m.key.dport) == 80);
  CHECK(m.key.proto == kIpProtoTcp);
  CHECK(m.tcp_flags == kTcpSyn);
  CHECK(m.ttl == 17);
  CHECK(m.l3_off == 14);
  CHECK(m.l4_off == 34);
  CHECK(m.ip_len == 40);
  CHECK_FALSE(m.dst_is_broadcast_mac);
}

TEST_CASE("IP options move the L4 offset; Ethernet padding is not payload") {
  auto f = PacketBuilder()
               .eth(kMacA, kMacB)
               .ipv4(kClient, kVip)
               .ip_options(std::vector<uint8_t>{1, 1, 1, 1})
               .udp(1000, 53)
               .pad_to(60)
               .build();
  PacketMeta m;
  REQUIRE(parse(f, m) == ParseResult::kIpv4);
  CHECK(m.l4_off == 38);
  CHECK(m.ip_len == 24 + 8);
  CHECK(f.size() == 60);
}

TEST_CASE("ARP, other EtherTypes and broken headers are classified") {
  PacketMeta m;
  auto arp = PacketBuilder()
                 .eth(kMacA, MacAddr::broadcast())
                 .arp(kArpOpRequest, kMacA, kClient, {}, kVip)
                 .build();
  CHECK(parse(arp, m) == ParseResult::kArp);
  CHECK(m.dst_is_broadcast_mac);

  auto bad_arp = arp;
  bad_arp[14 + 4] = 8;  // hardware length 8
  CHECK(parse(bad_arp, m) == ParseResult::kBadArp);
  CHECK(parse(std::vector<uint8_t>(arp.begin(), arp.begin() + 30), m) == ParseResult::kBadArp);

  auto v6 = arp;
  v6[12] = 0x86;
  v6[13] = 0xdd;
  CHECK(parse(v6, m) == ParseResult::kNotIp);
  CHECK(parse(std::vector<uint8_t>(10, 0), m) == ParseResult::kTruncatedL2);

  const auto good =
      PacketBuilder().eth(kMacA, kMacB).ipv4(kClient, kVip).tcp(1, 80, kTcpSyn).build();
  auto version6 = good;
  version6[14] = 0x65;
  CHECK(parse(version6, m) == ParseResult::kBadIpHeader);
  auto ihl4 = good;
  ihl4[14] = 0x44;
  CHECK(parse(ihl4, m) == ParseResult::kBadIpHeader);
  auto too_long = good;
  too_long[16] = 0x05;  // total length 1320 > frame
  CHECK(parse(too_long, m) == ParseResult::kBadIpLength);
  auto bad_sum = good;
  bad_sum[24] ^= 0xff;
  CHECK(parse(bad_sum, m) == ParseResult::kBadIpChecksum);
  CHECK(parse_frame(bad_sum, m, ParseOptions{.ip_checksum_verified = true}) == ParseResult::kIpv4);
  CHECK(parse(std::vector<uint8_t>(good.begin(), good.begin() + 30), m) ==
        ParseResult::kBadIpHeader);
}

TEST_CASE("truncated and malformed L4 headers are rejected") {
  PacketMeta m;
  // A TCP header cut short: the IP total length says 20 + 10 bytes.
  auto f = PacketBuilder()
               .eth(kMacA, kMacB)
               .ipv4(kClient, kVip)
               .payload(std::vector<uint8_t>(10, 0))
               .build();
  f[14 + 9] = kIpProtoTcp;
  // Recompute the header checksum for the changed protocol byte.
  f[14 + 10] = 0;
  f[14 + 11] = 0;
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2)
    sum += static_cast<uint32_t>(f[14 + i] << 8 | f[14 + i + 1]);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  f[24] = static_cast<uint8_t>(~sum >> 8);
  f[25] = static_cast<uint8_t>(~sum);
  CHECK(parse(f, m) == ParseResult::kTruncatedL4);

  auto tcp = PacketBuilder().eth(kMacA, kMacB).ipv4(kClient, kVip).tcp(1, 80, kTcpSyn).build();
  tcp[34 + 12] = 0x40;  // data offset 4 words
  CHECK(parse(tcp, m) == ParseResult::kBadL4Header);
  tcp[34 + 12] = 0xf0;  // 60 bytes of header in a 20-byte segment
  CHECK(parse(tcp, m) == ParseResult::kTruncatedL4);

  auto udp =
      PacketBuilder().eth(kMacA, kMacB).ipv4(kClient, kVip).udp(1, 53).payload("abc").build();
  udp[34 + 5] = 200;  // UDP length beyond the IP payload
  CHECK(parse(udp, m) == ParseResult::kBadL4Header);
}

TEST_CASE("a first fragment parses like its flow; a later one gives addresses and ID only") {
  PacketMeta m;
  auto first = PacketBuilder()
                   .eth(kMacA, kMacB)
                   .ipv4(kClient, kVip)
                   .ip_id(0x1234)
                   .ip_fragment(true, 0)
                   .udp(1, 53)
                   .build();
  REQUIRE(parse(first, m) == ParseResult::kIpv4);
  CHECK(m.key.sport == hton16(1));
  CHECK(m.key.dport == hton16(53));
  CHECK(m.ip_id == hton16(0x1234));
  CHECK((m.ip_flags & kMetaFirstFragment) != 0);
  CHECK(m.fragment());
  CHECK_FALSE(m.dont_fragment());
  // Its UDP length is the whole datagram's, beyond this fragment: still valid.
  auto big_first = first;
  big_first[14 + 20 + 5] = 200;
  CHECK(parse(big_first, m) == ParseResult::kIpv4);

  auto later = PacketBuilder()
                   .eth(kMacA, kMacB)
                   .ipv4(kClient, kVip)
                   .ip_id(0x1234)
                   .ip_fragment(false, 185)
                   .payload("x")
                   .build();
  REQUIRE(parse(later, m) == ParseResult::kIpFragment);
  CHECK(m.key.src == kClient.be);
  CHECK(m.key.dst == kVip.be);
  CHECK(m.key.sport == 0);
  CHECK(m.ip_id == hton16(0x1234));
  CHECK((m.ip_flags & kMetaLaterFragment) != 0);
  CHECK((m.ip_flags & kMetaFirstFragment) == 0);

  auto df = PacketBuilder()
                .eth(kMacA, kMacB)
                .ipv4(kClient, kVip)
                .ip_dont_fragment(true)
                .udp(1, 53)
                .build();
  REQUIRE(parse(df, m) == ParseResult::kIpv4);
  CHECK(m.dont_fragment());
  CHECK_FALSE(m.fragment());
}

TEST_CASE("an ICMP error's quote gives the offending packet's addresses and ports") {
  const auto offending = PacketBuilder()
                             .eth(kMacA, kMacB)
                             .ipv4(kVip, kClient)
                             .ip_options(std::array<uint8_t, 4>{1, 1, 1, 0})
                             .tcp(80, 40000, kTcpSyn | kTcpAck)
                             .build();
  const std::span<const uint8_t> quoted_ip = std::span(offending).subspan(14);
  PacketMeta m;
  IcmpQuote q;

  SECTION("a full quote") {
    auto err = PacketBuilder()
                   .eth(kMacA, kMacB)
                   .ipv4(kClient, kVip)
                   .icmp(kIcmpDestUnreachable, 3, 0, 0)
                   .payload(quoted_ip)
                   .build();
    REQUIRE(parse(err, m) == ParseResult::kIpv4);
    REQUIRE(is_icmp_error(m.icmp_type));
    REQUIRE(parse_icmp_quote(err, m, q));
    CHECK(q.key.src == kVip.be);
    CHECK(q.key.dst == kClient.be);
    CHECK(q.key.proto == kIpProtoTcp);
    CHECK(q.has_ports);
    CHECK(q.key.sport == hton16(80));
    CHECK(q.key.dport == hton16(40000));
    CHECK(q.l3_off == 14 + 20 + 8);
    CHECK(q.l4_off == q.l3_off + 24);  // the quoted header's options are skipped
  }
  SECTION("a quote of the IP header and 4 bytes still has the ports") {
    auto err = PacketBuilder()
                   .eth(kMacA, kMacB)
                   .ipv4(kClient, kVip)
                   .icmp(kIcmpDestUnreachable, 3, 0, 0)
                   .payload(quoted_ip.first(24 + 4))
                   .build();
    REQUIRE(parse(err, m) == ParseResult::kIpv4);
    REQUIRE(parse_icmp_quote(err, m, q));
    CHECK(q.has_ports);
  }
  SECTION("a quote cut inside the ports has none") {
    auto err = PacketBuilder()
                   .eth(kMacA, kMacB)
                   .ipv4(kClient, kVip)
                   .icmp(kIcmpDestUnreachable, 3, 0, 0)
                   .payload(quoted_ip.first(24 + 2))
                   .build();
    REQUIRE(parse(err, m) == ParseResult::kIpv4);
    REQUIRE(parse_icmp_quote(err, m, q));
    CHECK_FALSE(q.has_ports);
  }
  SECTION("a quote cut inside the IP header is refused") {
    auto err = PacketBuilder()
                   .eth(kMacA, kMacB)
                   .ipv4(kClient, kVip)
                   .icmp(kIcmpDestUnreachable, 3, 0, 0)
                   .payload(quoted_ip.first(22))
                   .build();
    REQUIRE(parse(err, m) == ParseResult::kIpv4);
    CHECK_FALSE(parse_icmp_quote(err, m, q));
  }
  SECTION("a quote that is not IPv4 is refused") {
    std::vector<uint8_t> bad(quoted_ip.begin(), quoted_ip.end());
    bad[0] = 0x65;
    auto err = PacketBuilder()
                   .eth(kMacA, kMacB)
                   .ipv4(kClient, kVip)
                   .icmp(kIcmpDestUnreachable, 3, 0, 0)
                   .payload(bad)
                   .build();
    REQUIRE(parse(err, m) == ParseResult::kIpv4);
    CHECK_FALSE(parse_icmp_quote(err, m, q));
  }
}

TEST_CASE("ICMP records its type; other protocols parse with no ports") {
  PacketMeta m;
  auto echo =
      PacketBuilder().eth(kMacA, kMacB).ipv4(kClient, kVip).icmp(kIcmpEchoRequest, 0, 1, 2).build();
  REQUIRE(parse(echo, m) == ParseResult::kIpv4);
  CHECK(m.icmp_type == kIcmpEchoRequest);
  CHECK(m.key.sport == 0);
  CHECK(m.key.dport == 0);
}
