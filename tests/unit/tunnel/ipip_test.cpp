// IPIP encapsulation (ip_vs_tunnel_xmit's outer header) and the choice of
// outer source address.
#include <set>
#include <vector>

#include <catch2/catch.hpp>

#include <lb/packet/builder.h>
#include <lb/packet/wire.h>
#include <lb/tunnel/ipip.h>

#include "reference_checksum.h"

using namespace lb::packet;
using lb::test::reference_ipv4_header_checksum;

namespace {

const Ipv4Addr kClient = *Ipv4Addr::parse("203.0.113.7");
const Ipv4Addr kVip = *Ipv4Addr::parse("198.18.1.100");
const Ipv4Addr kLb = *Ipv4Addr::parse("198.18.1.1");
const Ipv4Addr kReal = *Ipv4Addr::parse("198.18.3.11");

std::vector<uint8_t> outer_for(const std::vector<uint8_t>& frame, uint16_t id) {
  const auto inner = std::span(frame).subspan(14);
  std::vector<uint8_t> outer(lb::tunnel::kIpipOverhead);
  lb::tunnel::write_ipip_header(outer, inner, kLb.be, kReal.be, id);
  return outer;
}

}  // namespace

TEST_CASE("the outer header copies TOS, TTL and DF from the inner packet") {
  const auto inner = PacketBuilder()
                         .eth({}, {})
                         .ipv4(kClient, kVip, 57)
                         .ip_tos(0xb8)
                         .ip_dont_fragment(true)
                         .tcp(40000, 80, kTcpSyn)
                         .build();
  const auto outer = outer_for(inner, 0x1234);
  // Built from scratch: the header IPVS writes.
  const auto want = PacketBuilder()
                        .eth({}, {})
                        .ipv4(kLb, kReal, 57)
                        .ip_tos(0xb8)
                        .ip_dont_fragment(true)
                        .ip_id(0x1234)
                        .payload(std::span(inner).subspan(14))
                        .build();
  std::vector<uint8_t> want_header(want.begin() + 14, want.begin() + 34);
  want_header[9] = kIpProtoIpip;  // the builder's raw payload has protocol 0
  want_header[10] = want_header[11] = 0;
  const uint16_t sum = lb::test::reference_checksum(want_header.data(), 20);
  want_header[10] = static_cast<uint8_t>(sum >> 8);
  want_header[11] = static_cast<uint8_t>(sum);
  CHECK(outer == want_header);
  CHECK(reference_ipv4_header_checksum(outer, 0) == 0);
}

TEST_CASE("an inner packet without DF gives an outer packet without DF") {
  const auto inner =
      PacketBuilder().eth({}, {}).ipv4(kClient, kVip).udp(1, 53).payload("x").build();
  const auto outer = outer_for(inner, 7);
  CHECK((outer[6] & 0x40) == 0);
  CHECK(outer[9] == kIpProtoIpip);
  CHECK(static_cast<size_t>(outer[2] << 8 | outer[3]) == inner.size() - 14 + 20);
  CHECK((outer[4] << 8 | outer[5]) == 7);
}

TEST_CASE("the tunnel's inner MTU is 20 bytes less") {
  CHECK(lb::tunnel::ipip_inner_mtu(1500) == 1480);
  CHECK(lb::tunnel::ipip_inner_mtu(9000) == 8980);
}

TEST_CASE("outer sources: the port's address, or a pool spread by flow hash") {
  CHECK(lb::tunnel::outer_source(kLb, std::nullopt, 12345) == kLb);
  const auto single = Ipv4Prefix::parse("198.18.4.9/32");
  CHECK(lb::tunnel::outer_source(kLb, single, 1) == single->addr);
  CHECK(lb::tunnel::outer_source(kLb, single, 2) == single->addr);

  const auto pool = Ipv4Prefix::parse("198.18.4.16/28");
  const auto usable = lb::tunnel::pool_addresses(*pool);
  REQUIRE(usable.size() == 14);  // without the network and broadcast addresses
  CHECK(usable.front() == *Ipv4Addr::parse("198.18.4.17"));
  CHECK(usable.back() == *Ipv4Addr::parse("198.18.4.30"));
  std::set<uint32_t> seen;
  for (uint32_t h = 0; h < 1000; ++h) {
    const Ipv4Addr a = lb::tunnel::outer_source(kLb, pool, h * 2654435761u);
    CHECK(std::find(usable.begin(), usable.end(), a) != usable.end());
    CHECK(lb::tunnel::outer_source(kLb, pool, h * 2654435761u) == a);  // one flow, one source
    seen.insert(a.be);
  }
  CHECK(seen.size() == usable.size());

  CHECK(lb::tunnel::pool_addresses(*Ipv4Prefix::parse("198.18.4.0/31")).size() == 2);
  CHECK(lb::tunnel::pool_addresses(*Ipv4Prefix::parse("198.18.4.0/32")).size() == 1);
}
