// ICMP errors through NAT (ip_vs_nat_icmp) and the errors lbd writes itself.
// Every expected frame is built from scratch, and checksums are verified with
// the independent reference implementation.
#include <vector>

#include <catch2/catch.hpp>

#include <lb/nat/icmp.h>
#include <lb/packet/builder.h>
#include <lb/packet/wire.h>

#include "reference_checksum.h"

using namespace lb::packet;
using lb::nat::IcmpDirection;
using lb::test::reference_ipv4_header_checksum;
using lb::test::reference_l4_checksum_ok;

namespace {

const Ipv4Addr kClient = *Ipv4Addr::parse("203.0.113.7");
const Ipv4Addr kVip = *Ipv4Addr::parse("198.18.1.100");
const Ipv4Addr kReal = *Ipv4Addr::parse("198.18.2.11");
const Ipv4Addr kRouter = *Ipv4Addr::parse("198.18.2.254");

// An IP packet (no Ethernet header) to quote.
std::vector<uint8_t> ip_packet(std::vector<uint8_t> frame) {
  frame.erase(frame.begin(), frame.begin() + 14);
  return frame;
}

std::vector<uint8_t> icmp_error(Ipv4Addr src, Ipv4Addr dst, uint8_t type, uint8_t code,
                                uint16_t mtu, std::span<const uint8_t> quote, uint8_t ttl = 64,
                                uint8_t tos = 0, uint16_t id = 0) {
  return PacketBuilder()
      .eth({}, {})
      .ipv4(src, dst, ttl)
      .ip_tos(tos)
      .ip_id(id)
      .icmp(type, code, 0, mtu)
      .payload(quote)
      .build();
}

void translate(std::vector<uint8_t>& frame, IcmpDirection dir, Ipv4Addr addr, uint16_t port) {
  PacketMeta meta;
  REQUIRE(parse_frame(frame, meta) == ParseResult::kIpv4);
  REQUIRE(is_icmp_error(meta.icmp_type));
  IcmpQuote quote;
  REQUIRE(parse_icmp_quote(frame, meta, quote));
  lb::nat::translate_icmp_error(frame, meta, quote, dir, addr.be, hton16(port));
}

void require_valid(const std::vector<uint8_t>& frame) {
  CHECK(reference_ipv4_header_checksum(frame, 14) == 0);
  CHECK(reference_l4_checksum_ok(frame, 14));                  // the ICMP message
  CHECK(reference_ipv4_header_checksum(frame, 14 + 28) == 0);  // the quoted header
}

}  // namespace

TEST_CASE("a real server's port unreachable reaches the client as the VIP's") {
  // The real server got client:40000 -> real:8080 (after DNAT) and refused it.
  const auto dnated = ip_packet(PacketBuilder()
                                    .eth({}, {})
                                    .ipv4(kClient, kReal, 63)
                                    .udp(40000, 8080)
                                    .payload("query")
                                    .build());
  auto frame = icmp_error(kReal, kClient, kIcmpDestUnreachable, 3, 0, dnated);
  translate(frame, IcmpDirection::kToClient, kVip, 53);

  // What the client sent: client:40000 -> VIP:53.
  const auto original = ip_packet(
      PacketBuilder().eth({}, {}).ipv4(kClient, kVip, 63).udp(40000, 53).payload("query").build());
  const auto want = icmp_error(kVip, kClient, kIcmpDestUnreachable, 3, 0, original);
  CHECK(frame == want);
  require_valid(frame);
  CHECK(reference_l4_checksum_ok(frame, 14 + 28));  // the quoted UDP checksum, fixed too
}

TEST_CASE("a router's fragmentation-needed on the way to a real server keeps its MTU") {
  const auto dnated = ip_packet(PacketBuilder()
                                    .eth({}, {})
                                    .ipv4(kClient, kReal, 60)
                                    .ip_dont_fragment(true)
                                    .tcp(40000, 8080, kTcpAck, 1000, 2000)
                                    .payload(std::string(1400, 'x'))
                                    .build());
  // Routers quote the header and the first 8 bytes (RFC 792): ports and sequence only.
  const auto short_quote = std::span(dnated).first(28);
  auto frame = icmp_error(kRouter, kClient, kIcmpDestUnreachable, 4, 1400, short_quote, 255);
  translate(frame, IcmpDirection::kToClient, kVip, 80);

  const auto original = ip_packet(PacketBuilder()
                                      .eth({}, {})
                                      .ipv4(kClient, kVip, 60)
                                      .ip_dont_fragment(true)
                                      .tcp(40000, 80, kTcpAck, 1000, 2000)
                                      .payload(std::string(1400, 'x'))
                                      .build());
  const auto want =
      icmp_error(kVip, kClient, kIcmpDestUnreachable, 4, 1400, std::span(original).first(28), 255);
  CHECK(frame == want);
  require_valid(frame);
}

TEST_CASE("a client's error about a reply reaches the real server as its own") {
  // The client got VIP:80 -> client:40000 (after SNAT) and answers with an error.
  const auto reply = ip_packet(PacketBuilder()
                                   .eth({}, {})
                                   .ipv4(kVip, kClient, 61)
                                   .tcp(80, 40000, kTcpSyn | kTcpAck, 7, 1)
                                   .build());
  auto frame = icmp_error(kClient, kVip, kIcmpTimeExceeded, 0, 0, reply);
  translate(frame, IcmpDirection::kToRealServer, kReal, 8080);

  const auto sent = ip_packet(PacketBuilder()
                                  .eth({}, {})
                                  .ipv4(kReal, kClient, 61)
                                  .tcp(8080, 40000, kTcpSyn | kTcpAck, 7, 1)
                                  .build());
  const auto want = icmp_error(kClient, kReal, kIcmpTimeExceeded, 0, 0, sent);
  CHECK(frame == want);
  require_valid(frame);
  CHECK(reference_l4_checksum_ok(frame, 14 + 28));
}

TEST_CASE("a quoted UDP datagram without a checksum keeps none") {
  const auto dnated = ip_packet(PacketBuilder()
                                    .eth({}, {})
                                    .ipv4(kClient, kReal)
                                    .udp(40000, 8080)
                                    .udp_without_checksum()
                                    .payload("q")
                                    .build());
  auto frame = icmp_error(kReal, kClient, kIcmpDestUnreachable, 3, 0, dnated);
  translate(frame, IcmpDirection::kToClient, kVip, 53);
  const auto original = ip_packet(PacketBuilder()
                                      .eth({}, {})
                                      .ipv4(kClient, kVip)
                                      .udp(40000, 53)
                                      .udp_without_checksum()
                                      .payload("q")
                                      .build());
  CHECK(frame == icmp_error(kVip, kClient, kIcmpDestUnreachable, 3, 0, original));
}

TEST_CASE("lbd's own errors quote the offending packet up to 576 bytes") {
  const auto big = ip_packet(PacketBuilder()
                                 .eth({}, {})
                                 .ipv4(kClient, kVip, 63)
                                 .ip_dont_fragment(true)
                                 .tcp(40000, 80, kTcpAck)
                                 .payload(std::string(1460, 'y'))
                                 .build());
  std::vector<uint8_t> out(lb::nat::kIcmpErrorMaxLength);
  const size_t len =
      lb::nat::write_icmp_error(out, big, kIcmpDestUnreachable, lb::nat::kIcmpCodeFragNeeded, 1480,
                                kVip.be, kClient.be, 0x1234);
  REQUIRE(len == 576);
  out.resize(len);
  // lbd's own errors: TOS 0xc0 (RFC 1812 4.3.2.5), the caller's ID.
  const auto want = icmp_error(kVip, kClient, kIcmpDestUnreachable, 4, 1480,
                               std::span(big).first(576 - 28), 64, 0xc0, 0x1234);
  CHECK(std::vector<uint8_t>(want.begin() + 14, want.end()) == out);

  SECTION("a short packet is quoted whole") {
    const auto small = ip_packet(
        PacketBuilder().eth({}, {}).ipv4(kClient, kVip, 1).udp(1, 53).payload("z").build());
    std::vector<uint8_t> buf(lb::nat::kIcmpErrorMaxLength);
    const size_t n =
        lb::nat::write_icmp_error(buf, small, kIcmpTimeExceeded, lb::nat::kIcmpCodeTtlExceeded, 0,
                                  kVip.be, kClient.be, 0x1235);
    buf.resize(n);
    const auto expect = icmp_error(kVip, kClient, kIcmpTimeExceeded, 0, 0, small, 64, 0xc0, 0x1235);
    CHECK(std::vector<uint8_t>(expect.begin() + 14, expect.end()) == buf);
  }
}
