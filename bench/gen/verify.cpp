#include <lb/gen/verify.h>

#include <algorithm>
#include <cstring>

#include <lb/packet/checksum.h>
#include <lb/packet/wire.h>

namespace lb::gen {

namespace {

using packet::ntoh16;

constexpr const char* kNames[] = {
#define LB_GEN_FAULT_NAME(name, text) #name,
    LB_GEN_FAULTS(LB_GEN_FAULT_NAME)
#undef LB_GEN_FAULT_NAME
};
constexpr const char* kDescriptions[] = {
#define LB_GEN_FAULT_TEXT(name, text) text,
    LB_GEN_FAULTS(LB_GEN_FAULT_TEXT)
#undef LB_GEN_FAULT_TEXT
};

const packet::Ipv4Hdr* ipv4_at(std::span<const uint8_t> bytes, size_t& ihl) noexcept {
  if (bytes.size() < sizeof(packet::Ipv4Hdr)) return nullptr;
  const auto* ip = reinterpret_cast<const packet::Ipv4Hdr*>(bytes.data());
  ihl = ip->ihl_bytes();
  if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(packet::Ipv4Hdr) ||
      ntoh16(ip->total_length) < ihl || ntoh16(ip->total_length) > bytes.size()) {
    return nullptr;
  }
  return ip;
}

// The index of `addr` among the allowed real servers, or -1.
int real_index(const Expectation& expect, uint32_t addr_be) noexcept {
  for (size_t i = 0; i < expect.real_servers.size(); ++i) {
    if (expect.real_servers[i].be == addr_be) return static_cast<int>(i);
  }
  return -1;
}

// The client-side IPv4 packet (NAT/DR: the frame's; TUN: the inner one).
Received check_inner(std::span<const uint8_t> packet_bytes, const Expectation& expect,
                     Received r) noexcept {
  size_t ihl = 0;
  const packet::Ipv4Hdr* ip = ipv4_at(packet_bytes, ihl);
  if (ip == nullptr) return r.fault = Fault::not_ipv4, r;
  if (packet::ipv4_header_checksum({packet_bytes.data(), ihl}) != 0) {
    return r.fault = Fault::bad_ip_checksum, r;
  }
  const bool tcp = expect.sent.kind != Kind::kUdp;
  if (ip->protocol != (tcp ? packet::kIpProtoTcp : packet::kIpProtoUdp)) {
    return r.fault = Fault::wrong_protocol, r;
  }
  const size_t l4_bytes = tcp ? sizeof(packet::TcpHdr) : sizeof(packet::UdpHdr);
  const size_t ip_len = ntoh16(ip->total_length);
  if (ip_len < ihl + l4_bytes) return r.fault = Fault::not_ipv4, r;
  const std::span<const uint8_t> l4 = packet_bytes.subspan(ihl, ip_len - ihl);
  if (packet::ipv4_l4_checksum(ip->src, ip->dst, ip->protocol, l4) != 0) {
    return r.fault = Fault::bad_l4_checksum, r;
  }
  uint16_t sport = 0, dport = 0;
  std::memcpy(&sport, l4.data(), 2);
  std::memcpy(&dport, l4.data() + 2, 2);

  // The stamp names the flow, so the source can be checked exactly.
  const std::span<const uint8_t> payload = l4.subspan(l4_bytes);
  if (payload.size() >= sizeof(Stamp)) {
    Stamp stamp;
    std::memcpy(&stamp, payload.data(), sizeof stamp);
    if (ntoh16(stamp.magic) != kStampMagic) return r.fault = Fault::not_generated, r;
    r.stamped = true;
    r.flow = stamp.flow;
    r.seq = stamp.seq;
    r.tx_tsc = stamp.tx_tsc;
    const FlowTuple client = flow_tuple(expect.sent, stamp.flow);
    if (ip->src != client.addr.be || ntoh16(sport) != client.port) {
      return r.fault = Fault::wrong_source, r;
    }
  }

  const bool nat = expect.method == Method::kNat;
  if (nat) {
    const int index = real_index(expect, ip->dst);
    const uint16_t want_port = expect.real_port != 0 ? expect.real_port : expect.sent.vport;
    if (index < 0 || ntoh16(dport) != want_port) return r.fault = Fault::wrong_destination, r;
    r.real_server = static_cast<uint32_t>(index);
  } else if (ip->dst != expect.sent.vip.be || ntoh16(dport) != expect.sent.vport) {
    return r.fault = Fault::wrong_destination, r;
  }
  // lbd forwards as a router does: one hop, whatever the method.
  const uint8_t want_ttl = expect.method == Method::kUnchanged ? kSentTtl : kSentTtl - 1;
  if (ip->ttl != want_ttl) return r.fault = Fault::wrong_ttl, r;
  return r;
}

}  // namespace

const char* fault_name(Fault fault) noexcept {
  const auto i = static_cast<size_t>(fault);
  return i < std::size(kNames) ? kNames[i] : "?";
}

const char* fault_description(Fault fault) noexcept {
  const auto i = static_cast<size_t>(fault);
  return i < std::size(kDescriptions) ? kDescriptions[i] : "?";
}

Received verify_frame(std::span<const uint8_t> frame, const Expectation& expect) noexcept {
  Received r;
  if (frame.size() < sizeof(packet::EthHdr)) return r.fault = Fault::not_ipv4, r;
  const auto* eth = reinterpret_cast<const packet::EthHdr*>(frame.data());
  if (ntoh16(eth->ether_type) != packet::kEtherTypeIpv4) return r.fault = Fault::not_ipv4, r;
  const std::span<const uint8_t> l3 = frame.subspan(sizeof(packet::EthHdr));
  if (expect.method != Method::kTunnel) return check_inner(l3, expect, r);

  size_t ihl = 0;
  const packet::Ipv4Hdr* outer = ipv4_at(l3, ihl);
  if (outer == nullptr) return r.fault = Fault::not_ipv4, r;
  if (packet::ipv4_header_checksum({l3.data(), ihl}) != 0) {
    return r.fault = Fault::bad_ip_checksum, r;
  }
  const int index = real_index(expect, outer->dst);
  if (outer->protocol != packet::kIpProtoIpip || index < 0) {
    return r.fault = Fault::wrong_outer, r;
  }
  r.real_server = static_cast<uint32_t>(index);
  const size_t outer_len = ntoh16(outer->total_length);
  r = check_inner(l3.subspan(ihl, outer_len - ihl), expect, r);
  if (r.fault == Fault::none) r.real_server = static_cast<uint32_t>(index);
  return r;
}

}  // namespace lb::gen
