// The benchmark generator's pure half: its frames parse as lbd parses them,
// and its receive-side verdict accepts exactly what lbd's own rewrites
// (lib/nat, lib/tunnel) make of them and names every fault of a frame lbd
// mis-rewrote.
#include <catch2/catch.hpp>

#include <cstring>
#include <map>
#include <vector>

#include <lb/gen/latency.h>
#include <lb/gen/traffic.h>
#include <lb/gen/verify.h>
#include <lb/nat/rewrite.h>
#include <lb/packet/checksum.h>
#include <lb/packet/parse.h>
#include <lb/packet/wire.h>
#include <lb/tunnel/ipip.h>

using lb::gen::Expectation;
using lb::gen::Fault;
using lb::gen::Kind;
using lb::gen::Method;
using lb::gen::TrafficSpec;
using lb::packet::Ipv4Addr;

namespace {

const Ipv4Addr kRs1 = Ipv4Addr::from_octets(198, 18, 2, 11);
const Ipv4Addr kRs2 = Ipv4Addr::from_octets(198, 18, 2, 12);

TrafficSpec spec(Kind kind = Kind::kUdp) {
  TrafficSpec s;
  s.kind = kind;
  s.flows = 1000;
  s.clients = 16;
  return s;
}

std::vector<uint8_t> frame(const TrafficSpec& s, uint32_t flow, uint16_t wire, uint32_t seq = 7) {
  std::vector<uint8_t> out(2048);
  const size_t len = lb::gen::write_frame(out, s, flow, seq, 123456789, wire);
  REQUIRE(len > 0);
  out.resize(len);
  return out;
}

lb::packet::PacketMeta parsed(const std::vector<uint8_t>& f) {
  lb::packet::PacketMeta meta;
  REQUIRE(lb::packet::parse_frame(f, meta) == lb::packet::ParseResult::kIpv4);
  return meta;
}

// What lbd's NAT does to a client packet: DNAT to `to`:8080, TTL - 1.
std::vector<uint8_t> nat(std::vector<uint8_t> f, Ipv4Addr to, uint16_t port = 8080) {
  const auto meta = parsed(f);
  lb::nat::decrement_ttl(f, meta);
  lb::nat::rewrite_destination(f, meta, to.be, lb::packet::hton16(port));
  return f;
}

Expectation nat_expect(const TrafficSpec& s) {
  return Expectation{Method::kNat, s, {kRs1, kRs2}, 8080};
}

}  // namespace

TEST_CASE("gen: flows spread over client addresses and ports, one tuple each") {
  const TrafficSpec s = spec();
  CHECK(lb::gen::flow_tuple(s, 0) == lb::gen::FlowTuple{s.client_base, 1024});
  CHECK(lb::gen::flow_tuple(s, 17).addr == Ipv4Addr::from_host(s.client_base.host() + 1));
  CHECK(lb::gen::flow_tuple(s, 17).port == 1025);
  CHECK(lb::gen::max_flows(s) == 16u * 64512u);
}

TEST_CASE("gen: frames of every size parse as lbd parses them, checksums valid") {
  for (const Kind kind : {Kind::kUdp, Kind::kTcpSyn, Kind::kTcpAck}) {
    for (const uint16_t wire : {64, 128, 570, 1518}) {
      INFO("kind " << static_cast<int>(kind) << " wire " << wire);
      const auto f = frame(spec(kind), 42, wire);
      CHECK(f.size() == std::max<size_t>(wire - 4u, kind == Kind::kUdp ? 42u : 54u));
      const auto meta = parsed(f);
      CHECK(meta.key.dst == spec().vip.be);
      CHECK(meta.tcp_flags == (kind == Kind::kTcpSyn   ? lb::packet::kTcpSyn
                               : kind == Kind::kTcpAck ? lb::packet::kTcpAck
                                                       : 0));
      // An untouched frame is what DR would deliver, but for the TTL.
      const auto r = lb::gen::verify_frame(f, Expectation{Method::kDirectRoute, spec(kind), {}, 0});
      CHECK(r.fault == Fault::wrong_ttl);
      CHECK(lb::gen::verify_frame(f, Expectation{Method::kUnchanged, spec(kind), {}, 0}).fault ==
            Fault::none);
    }
  }
}

TEST_CASE("gen: a 64-byte UDP frame carries the stamp; a 64-byte TCP one cannot") {
  const auto udp = lb::gen::verify_frame(nat(frame(spec(), 5, 64, 99), kRs2), nat_expect(spec()));
  CHECK(udp.fault == Fault::none);
  CHECK(udp.stamped);
  CHECK(udp.flow == 5);
  CHECK(udp.seq == 99);
  CHECK(udp.tx_tsc == 123456789);
  CHECK(udp.real_server == 1);
  const TrafficSpec syn = spec(Kind::kTcpSyn);
  const auto tcp64 = lb::gen::verify_frame(nat(frame(syn, 5, 64), kRs1), nat_expect(syn));
  CHECK(tcp64.fault == Fault::none);
  CHECK_FALSE(tcp64.stamped);
  CHECK(lb::gen::verify_frame(nat(frame(syn, 5, 78), kRs1), nat_expect(syn)).stamped);
}

TEST_CASE("gen: IMIX is 7 x 64, 4 x 570, 1 x 1518") {
  auto mix = lb::gen::SizeMix::imix();
  std::map<uint16_t, int> seen;
  for (int i = 0; i < 120; ++i)
    ++seen[mix.next()];
  CHECK(seen == std::map<uint16_t, int>{{64, 70}, {570, 40}, {1518, 10}});
  CHECK(mix.mean() == Approx((7 * 64 + 4 * 570 + 1518) / 12.0));
  CHECK(lb::gen::SizeMix::fixed(20).pattern()[0] == 64);
}

TEST_CASE("gen: a NAT rewrite by lib/nat passes; every mis-rewrite is named") {
  const TrafficSpec s = spec();
  const Expectation expect = nat_expect(s);
  const auto good = nat(frame(s, 77, 256), kRs1);
  CHECK(lb::gen::verify_frame(good, expect).fault == Fault::none);

  // To an address that is no real server, or the wrong port.
  CHECK(lb::gen::verify_frame(nat(frame(s, 77, 256), Ipv4Addr::from_octets(198, 18, 2, 99)), expect)
            .fault == Fault::wrong_destination);
  CHECK(lb::gen::verify_frame(nat(frame(s, 77, 256), kRs1, 80), expect).fault ==
        Fault::wrong_destination);
  // The address changed without the checksum: the L4 (pseudo-header) sum fails.
  auto no_sum = frame(s, 77, 256);
  {
    const auto meta = parsed(no_sum);
    lb::nat::decrement_ttl(no_sum, meta);
    auto* ip = reinterpret_cast<lb::packet::Ipv4Hdr*>(no_sum.data() + meta.l3_off);
    ip->dst = kRs1.be;
    ip->checksum = 0;
    ip->checksum = lb::packet::ipv4_header_checksum({no_sum.data() + meta.l3_off, 20});
  }
  CHECK(lb::gen::verify_frame(no_sum, expect).fault == Fault::bad_l4_checksum);
  // A payload byte damaged.
  auto damaged = good;
  damaged.back() ^= 0x40;
  CHECK(lb::gen::verify_frame(damaged, expect).fault == Fault::bad_l4_checksum);
  // The IP header damaged.
  auto bad_ip = good;
  bad_ip[14 + 8] ^= 0x01;  // the TTL, checksum not updated
  CHECK(lb::gen::verify_frame(bad_ip, expect).fault == Fault::bad_ip_checksum);
  // No TTL decrement.
  auto no_ttl = frame(s, 77, 256);
  lb::nat::rewrite_destination(no_ttl, parsed(no_ttl), kRs1.be, lb::packet::hton16(8080));
  CHECK(lb::gen::verify_frame(no_ttl, expect).fault == Fault::wrong_ttl);
  // The client's port changed (a source NAT that should not happen).
  auto snat = good;
  lb::nat::rewrite_source(snat, parsed(snat), lb::gen::flow_tuple(s, 77).addr.be,
                          lb::packet::hton16(9));
  CHECK(lb::gen::verify_frame(snat, expect).fault == Fault::wrong_source);
  // Not an IPv4 frame at all, or not this generator's.
  CHECK(lb::gen::verify_frame(std::vector<uint8_t>(10), expect).fault == Fault::not_ipv4);
  CHECK(std::string(lb::gen::fault_name(Fault::bad_l4_checksum)) == "bad_l4_checksum");
}

TEST_CASE("gen: the tunnel's packet passes inside lib/tunnel's outer header") {
  const TrafficSpec s = spec();
  const Expectation expect{Method::kTunnel, s, {kRs1, kRs2}, 0};
  auto inner = frame(s, 3, 512);
  lb::nat::decrement_ttl(inner, parsed(inner));
  std::vector<uint8_t> outer(inner.size() + 20);
  std::memcpy(outer.data(), inner.data(), 14);
  std::memcpy(outer.data() + 34, inner.data() + 14, inner.size() - 14);
  lb::tunnel::write_ipip_header({outer.data() + 14, 20}, {outer.data() + 34, inner.size() - 14},
                                Ipv4Addr::from_octets(198, 18, 2, 1).be, kRs2.be, 1);
  const auto r = lb::gen::verify_frame(outer, expect);
  CHECK(r.fault == Fault::none);
  CHECK(r.real_server == 1);
  CHECK(r.flow == 3);
  // To a host that is no real server.
  lb::tunnel::write_ipip_header({outer.data() + 14, 20}, {outer.data() + 34, inner.size() - 14},
                                Ipv4Addr::from_octets(198, 18, 2, 1).be,
                                Ipv4Addr::from_octets(198, 18, 9, 9).be, 1);
  CHECK(lb::gen::verify_frame(outer, expect).fault == Fault::wrong_outer);
  // The inner packet sent as is, not encapsulated.
  CHECK(lb::gen::verify_frame(inner, expect).fault == Fault::wrong_outer);
}

TEST_CASE("gen: latency percentiles within 3 % of the exact ones") {
  lb::gen::LatencyHistogram h;
  CHECK(h.percentile(50) == 0);
  for (uint64_t v = 1; v <= 100000; ++v)
    h.record(v * 10);  // 10 ns .. 1 ms, uniform
  CHECK(h.count() == 100000);
  CHECK(h.min() == 10);
  CHECK(h.max() == 1000000);
  for (const auto& [p, exact] : {std::pair{50.0, 500000.0}, {99.0, 990000.0}, {99.9, 999000.0}}) {
    INFO(p);
    CHECK(static_cast<double>(h.percentile(p)) == Approx(exact).epsilon(0.03));
  }
  CHECK(h.percentile(100) == 1000000);
  lb::gen::LatencyHistogram other;
  other.record(5);
  h.merge(other);
  CHECK(h.min() == 5);
  CHECK(h.count() == 100001);
}
