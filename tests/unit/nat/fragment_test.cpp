// IPv4 fragmentation (RFC 791): sizes, headers, options, and that the pieces
// put back together are the datagram.
#include <vector>

#include <catch2/catch.hpp>

#include <lb/nat/fragment.h>
#include <lb/packet/builder.h>
#include <lb/packet/wire.h>

#include "reference_checksum.h"

using namespace lb::packet;
using lb::test::reference_ipv4_header_checksum;

namespace {

const Ipv4Addr kA = *Ipv4Addr::parse("198.18.0.10");
const Ipv4Addr kB = *Ipv4Addr::parse("198.18.2.11");

struct Piece {
  std::vector<uint8_t> header;
  size_t offset;  // payload bytes
  std::span<const uint8_t> payload;
};

// Splits `datagram` (from its IP header) for `mtu` the way a worker does.
std::vector<Piece> split(std::span<const uint8_t> datagram, uint16_t mtu) {
  const uint16_t ihl = static_cast<uint16_t>((datagram[0] & 0x0f) * 4);
  const auto payload = datagram.subspan(ihl);
  const uint16_t step = lb::nat::fragment_payload(mtu, ihl);
  std::vector<Piece> out;
  for (size_t off = 0; off < payload.size(); off += step) {
    const size_t len = std::min<size_t>(step, payload.size() - off);
    std::vector<uint8_t> h(60);
    const uint16_t hl =
        lb::nat::write_fragment_header(h, datagram.first(ihl), static_cast<uint16_t>(off),
                                       static_cast<uint16_t>(len), off + len == payload.size());
    h.resize(hl);
    out.push_back({h, off, payload.subspan(off, len)});
  }
  return out;
}

uint16_t field16(const std::vector<uint8_t>& h, size_t at) {
  return static_cast<uint16_t>(h[at] << 8 | h[at + 1]);
}

}  // namespace

TEST_CASE("fragment payloads are multiples of 8 that fit the MTU") {
  CHECK(lb::nat::fragment_payload(1500, 20) == 1480);
  CHECK(lb::nat::fragment_payload(1500, 24) == 1472);
  CHECK(lb::nat::fragment_payload(576, 60) == 512);
  CHECK(lb::nat::fragment_payload(1280, 20) == 1256);
}

TEST_CASE("a datagram split for an MTU reassembles to itself") {
  const auto frame = PacketBuilder()
                         .eth({}, {})
                         .ipv4(kA, kB, 63)
                         .ip_id(0xbeef)
                         .ip_tos(0x10)
                         .udp(5000, 53)
                         .payload(std::string(3000, 'q'))
                         .build();
  const auto datagram = std::span(frame).subspan(14);
  const auto pieces = split(datagram, 1500);
  REQUIRE(pieces.size() == 3);
  std::vector<uint8_t> joined;
  for (size_t i = 0; i < pieces.size(); ++i) {
    const auto& h = pieces[i].header;
    INFO("piece " << i);
    CHECK(h.size() == 20);
    CHECK(h.size() + pieces[i].payload.size() <= 1500);
    CHECK(field16(h, 2) == h.size() + pieces[i].payload.size());  // total length
    CHECK(field16(h, 4) == 0xbeef);                               // the datagram's ID
    CHECK(h[1] == 0x10);                                          // TOS
    CHECK(h[8] == 63);                                            // TTL
    const uint16_t frag = field16(h, 6);
    CHECK((frag & 0x1fff) * 8u == pieces[i].offset);
    CHECK(((frag & kIpv4FlagMf) != 0) == (i + 1 < pieces.size()));
    CHECK(reference_ipv4_header_checksum(h, 0) == 0);
    joined.insert(joined.end(), pieces[i].payload.begin(), pieces[i].payload.end());
  }
  CHECK(std::equal(joined.begin(), joined.end(), datagram.begin() + 20, datagram.end()));
}

TEST_CASE("only copied options go into later fragments") {
  // Router alert (type 148: copied) and record route (type 7: not copied).
  const std::vector<uint8_t> options = {148, 4, 0, 0, 7, 7, 4, 0, 0, 0, 0, 1};
  const auto frame = PacketBuilder()
                         .eth({}, {})
                         .ipv4(kA, kB)
                         .ip_options(options)
                         .udp(5000, 53)
                         .payload(std::string(2000, 'r'))
                         .build();
  const auto pieces = split(std::span(frame).subspan(14), 1500);
  REQUIRE(pieces.size() == 2);
  CHECK(pieces[0].header.size() == 32);
  CHECK(std::equal(options.begin(), options.end(), pieces[0].header.begin() + 20));
  // Router alert, padded with end-of-options to a 4-byte boundary.
  REQUIRE(pieces[1].header.size() == 24);
  CHECK(std::vector<uint8_t>(pieces[1].header.begin() + 20, pieces[1].header.end()) ==
        std::vector<uint8_t>{148, 4, 0, 0});
  CHECK((pieces[1].header[0] & 0x0f) == 6);
  CHECK(reference_ipv4_header_checksum(pieces[1].header, 0) == 0);
}

TEST_CASE("a fragment split again keeps its offset and its MF") {
  // The middle piece of a larger datagram: offset 1480, more to come.
  const auto frame = PacketBuilder()
                         .eth({}, {})
                         .ipv4(kA, kB)
                         .ip_fragment(true, 185)
                         .payload(std::string(1480, 's'))
                         .build();
  const auto pieces = split(std::span(frame).subspan(14), 1000);
  REQUIRE(pieces.size() == 2);
  CHECK((field16(pieces[0].header, 6) & 0x1fff) == 185);
  CHECK((field16(pieces[1].header, 6) & 0x1fff) == 185 + 976 / 8);
  CHECK((field16(pieces[0].header, 6) & kIpv4FlagMf) != 0);
  CHECK((field16(pieces[1].header, 6) & kIpv4FlagMf) != 0);  // the original had more after it
}
