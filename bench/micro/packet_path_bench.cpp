// Micro-benchmarks of the per-packet functions a worker runs, each beside a
// reference measured in the same run (the machine is shared and noisy: read
// the ratios, not the absolute times):
//   parse_frame           vs  copying the same header bytes (the floor)
//   NAT (RFC 1624 update) vs  NAT with both checksums recomputed from scratch
//   IPIP outer header     vs  the NAT rewrite (the other method's per-packet work)
#include <cstring>
#include <vector>

#include <benchmark/benchmark.h>

#include <lb/nat/rewrite.h>
#include <lb/packet/builder.h>
#include <lb/packet/checksum.h>
#include <lb/packet/parse.h>
#include <lb/packet/wire.h>
#include <lb/tunnel/ipip.h>

namespace {

using namespace lb;

std::vector<uint8_t> syn(size_t payload) {
  return packet::PacketBuilder()
      .eth(*packet::MacAddr::parse("02:00:00:00:00:0a"),
           *packet::MacAddr::parse("02:00:00:00:00:01"))
      .ipv4(*packet::Ipv4Addr::parse("198.18.1.10"), *packet::Ipv4Addr::parse("198.18.1.100"))
      .tcp(40000, 80, packet::kTcpAck, 1)
      .payload(std::vector<uint8_t>(payload, 0x5a))
      .build();
}

void BM_ParseTcp(benchmark::State& state) {
  const auto frame = syn(0);
  packet::PacketMeta meta;
  for (auto _ : state) {
    benchmark::DoNotOptimize(packet::parse_frame(frame, meta));
    benchmark::DoNotOptimize(meta);
  }
}
BENCHMARK(BM_ParseTcp);

void BM_Reference_CopyHeaders(benchmark::State& state) {
  const auto frame = syn(0);
  uint8_t out[54];
  for (auto _ : state) {
    std::memcpy(out, frame.data(), sizeof(out));
    benchmark::DoNotOptimize(out);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_Reference_CopyHeaders);

void BM_NatIncremental(benchmark::State& state) {
  auto frame = syn(static_cast<size_t>(state.range(0)));
  packet::PacketMeta meta;
  packet::parse_frame(frame, meta);
  const uint32_t a = packet::Ipv4Addr::parse("198.18.2.11")->be;
  const uint32_t b = packet::Ipv4Addr::parse("198.18.1.100")->be;
  bool flip = false;
  for (auto _ : state) {
    nat::rewrite_destination(frame, meta, flip ? a : b, packet::hton16(flip ? 8080 : 80));
    flip = !flip;
    benchmark::DoNotOptimize(frame.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * frame.size()));
}
BENCHMARK(BM_NatIncremental)->Arg(0)->Arg(1400);

// What a rewrite costs without RFC 1624: both checksums recomputed.
void BM_Reference_NatFullRecompute(benchmark::State& state) {
  auto frame = syn(static_cast<size_t>(state.range(0)));
  packet::PacketMeta meta;
  packet::parse_frame(frame, meta);
  auto* ip = reinterpret_cast<packet::Ipv4Hdr*>(frame.data() + meta.l3_off);
  auto* tcp = reinterpret_cast<packet::TcpHdr*>(frame.data() + meta.l4_off);
  const uint32_t a = packet::Ipv4Addr::parse("198.18.2.11")->be;
  const uint32_t b = packet::Ipv4Addr::parse("198.18.1.100")->be;
  bool flip = false;
  for (auto _ : state) {
    ip->dst = flip ? a : b;
    tcp->dport = packet::hton16(flip ? 8080 : 80);
    ip->checksum = 0;
    ip->checksum = packet::ipv4_header_checksum(std::span(frame).subspan(meta.l3_off, 20));
    tcp->checksum = 0;
    tcp->checksum =
        packet::ipv4_l4_checksum(ip->src, ip->dst, packet::kIpProtoTcp,
                                 std::span(frame).subspan(meta.l4_off, meta.ip_len - 20u));
    flip = !flip;
    benchmark::DoNotOptimize(frame.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * frame.size()));
}
BENCHMARK(BM_Reference_NatFullRecompute)->Arg(0)->Arg(1400);

// The tunnel's per-packet work: one 20-byte header with its checksum, the
// inner packet untouched (whatever its size).
void BM_IpipHeader(benchmark::State& state) {
  const auto frame = syn(static_cast<size_t>(state.range(0)));
  const auto inner = std::span(frame).subspan(sizeof(packet::EthHdr));
  uint8_t outer[tunnel::kIpipOverhead];
  const uint32_t src = packet::Ipv4Addr::parse("198.18.1.1")->be;
  const uint32_t dst = packet::Ipv4Addr::parse("198.18.3.11")->be;
  uint16_t id = 0;
  for (auto _ : state) {
    tunnel::write_ipip_header(outer, inner, src, dst, id++);
    benchmark::DoNotOptimize(outer);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_IpipHeader)->Arg(0)->Arg(1400);

}  // namespace
