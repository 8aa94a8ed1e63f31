// Delivering packets: to a real server by its forwarding method (NAT, direct
// routing, IPIP tunnel), and to any destination within the egress MTU - by
// ICMP fragmentation-needed when the sender forbade fragments (path-MTU
// discovery), by fragmenting otherwise. Also the ICMP errors lbd sends, under
// a rate limit as the kernel's icmp_ratelimit.
#include <cstring>

#include <rte_mbuf.h>

#include <lb/conn/connection.h>
#include <lb/dataplane/worker.h>
#include <lb/nat/fragment.h>
#include <lb/nat/icmp.h>
#include <lb/nat/rewrite.h>
#include <lb/packet/wire.h>
#include <lb/tunnel/ipip.h>

namespace lb::dataplane {

namespace {

// ICMP errors per worker: a burst of 100, then 1000 per second.
constexpr uint64_t kIcmpBurst = 100;
constexpr uint64_t kIcmpPerSecond = 1000;

constexpr size_t kEthLen = sizeof(packet::EthHdr);

std::span<uint8_t> frame_of(rte_mbuf* m) noexcept {
  return {rte_pktmbuf_mtod(m, uint8_t*), m->data_len};
}

const packet::Ipv4Hdr& ip_of(const rte_mbuf* m) noexcept {
  return *rte_pktmbuf_mtod_offset(m, const packet::Ipv4Hdr*, kEthLen);
}

// The IP packet of a frame, without Ethernet padding.
std::span<const uint8_t> ip_packet(const rte_mbuf* m) noexcept {
  return {rte_pktmbuf_mtod_offset(m, const uint8_t*, kEthLen),
          packet::ntoh16(ip_of(m).total_length)};
}

// RFC 1122 3.2.2 / RFC 1812 4.3.2.7: no ICMP error about an ICMP error,
// about a later fragment, or to a source that is not one host.
bool may_answer_with_error(std::span<const uint8_t> offending) noexcept {
  packet::Ipv4Hdr ip;
  if (offending.size() < sizeof(ip)) return false;
  std::memcpy(&ip, offending.data(), sizeof(ip));
  if ((packet::ntoh16(ip.frag_off) & packet::kIpv4FragOffsetMask) != 0) return false;
  const packet::Ipv4Addr src{ip.src};
  if (src.is_zero() || src.is_multicast() || src.is_limited_broadcast()) return false;
  if (ip.protocol == packet::kIpProtoIcmp) {
    const size_t type_at = ip.ihl_bytes();
    return type_at < offending.size() && !packet::is_icmp_error(offending[type_at]);
  }
  return true;
}

}  // namespace

void Worker::deliver(rte_mbuf* m, const packet::PacketMeta& meta, sched::ForwardMethod method,
                     uint32_t rs_addr_be, uint16_t rs_port_be, uint32_t flow_hash) noexcept {
  // Errors about this packet come from the address the client sent it to.
  const uint32_t icmp_src = meta.key.dst;
  if (meta.ip_flags & packet::kMetaFirstFragment) record_fragment(meta, rs_addr_be, method, false);
  // Every method decrements the TTL first, as IPVS's decrement_ttl() does
  // for every forwarded packet (a tunnel's outer TTL copies the inner one).
  const auto frame = frame_of(m);
  nat::decrement_ttl(frame, meta);
  if (method == sched::ForwardMethod::kTunnel) {
    return tunnel_out(m, meta, rs_addr_be, flow_hash, icmp_src);
  }
  // The MTU is checked before NAT's rewrite: the client must hear of a
  // too-small MTU about the packet it sent (to the VIP), or its TCP cannot
  // match the error to its socket (IPVS checks in __ip_vs_get_out_rt). So
  // nat_in and dr_out count only what leaves.
  const Route r = route_checked(m, packet::Ipv4Addr{rs_addr_be}, icmp_src);
  if (r.port == kNoPort) return;
  if (method == sched::ForwardMethod::kNat) {
    nat::rewrite_destination(frame, meta, rs_addr_be, rs_port_be);
    stats_.event(Event::nat_in);
  } else {
    // Direct routing: the IP packet otherwise untouched, only the frame is
    // addressed to the server.
    stats_.event(Event::dr_out);
  }
  send_routed(m, r);
}

void Worker::tunnel_out(rte_mbuf* m, const packet::PacketMeta& meta, uint32_t rs_addr_be,
                        uint32_t flow_hash, uint32_t icmp_src_be) noexcept {
  const Route r = route(shared_.ports, packet::Ipv4Addr{rs_addr_be});
  if (r.port == kNoPort) return drop(m, Drop::no_route);
  const PortRuntime& egress = shared_.ports[r.port];
  const uint16_t inner_len = packet::ntoh16(ip_of(m).total_length);
  const bool too_big = inner_len + tunnel::kIpipOverhead > egress.mtu;
  if (too_big && meta.dont_fragment()) {
    // ip_vs_tunnel_xmit: the client learns the tunnel's smaller MTU.
    if (send_icmp_error(ip_packet(m), packet::kIcmpDestUnreachable, nat::kIcmpCodeFragNeeded,
                        tunnel::ipip_inner_mtu(egress.mtu), icmp_src_be, meta.key.src)) {
      stats_.event(Event::icmp_frag_needed_sent);
    }
    return drop(m, Drop::too_big);
  }
  // Drop Ethernet padding, then make room for the outer header in front:
  // [eth][outer ip][inner ip ...]. The new Ethernet header is written over
  // the old one's first bytes; transmit() fills in its addresses.
  rte_pktmbuf_trim(m, static_cast<uint16_t>(m->data_len - kEthLen - inner_len));
  auto* data = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, tunnel::kIpipOverhead));
  if (data == nullptr) return drop(m, Drop::no_headroom);
  const uint16_t ether_type = packet::hton16(packet::kEtherTypeIpv4);
  std::memcpy(data + offsetof(packet::EthHdr, ether_type), &ether_type, 2);
  const packet::Ipv4Addr src =
      tunnel::outer_source(egress.address.addr, egress.tunnel_sources, flow_hash);
  tunnel::write_ipip_header({data + kEthLen, tunnel::kIpipOverhead},
                            {data + kEthLen + tunnel::kIpipOverhead, inner_len}, src.be, rs_addr_be,
                            tunnel_id_++);
  stats_.event(Event::tunnel_out);
  if (too_big) return send_fragmented(m, r, egress.mtu);
  send_to_next_hop(m, r);
}

void Worker::forward(rte_mbuf* m, packet::Ipv4Addr dst, uint32_t icmp_src_be) noexcept {
  const Route r = route_checked(m, dst, icmp_src_be);
  if (r.port != kNoPort) send_routed(m, r);
}

Route Worker::route_checked(rte_mbuf* m, packet::Ipv4Addr dst, uint32_t icmp_src_be) noexcept {
  const Route r = route(shared_.ports, dst);
  if (r.port == kNoPort) {
    drop(m, Drop::no_route);
    return r;
  }
  const uint16_t mtu = shared_.ports[r.port].mtu;
  const packet::Ipv4Hdr& ip = ip_of(m);
  if (packet::ntoh16(ip.total_length) <= mtu ||
      (ip.frag_off & packet::hton16(packet::kIpv4FlagDf)) == 0) {
    return r;
  }
  if (send_icmp_error(ip_packet(m), packet::kIcmpDestUnreachable, nat::kIcmpCodeFragNeeded, mtu,
                      icmp_src_be, ip.src)) {
    stats_.event(Event::icmp_frag_needed_sent);
  }
  drop(m, Drop::too_big);
  return Route{};
}

void Worker::send_routed(rte_mbuf* m, const Route& r) noexcept {
  const uint16_t mtu = shared_.ports[r.port].mtu;
  if (packet::ntoh16(ip_of(m).total_length) > mtu) return send_fragmented(m, r, mtu);
  send_to_next_hop(m, r);
}

void Worker::send_fragmented(rte_mbuf* m, const Route& r, uint16_t mtu) noexcept {
  const auto packet_bytes = ip_packet(m);
  const uint16_t ihl = ip_of(m).ihl_bytes();
  const auto header = packet_bytes.first(ihl);
  const auto payload = packet_bytes.subspan(ihl);
  const uint16_t step = nat::fragment_payload(mtu, ihl);
  for (size_t offset = 0; offset < payload.size(); offset += step) {
    rte_mbuf* f = rte_pktmbuf_alloc(shared_.pool);
    if (f == nullptr) {
      stats_.drop(Drop::no_mbuf);
      break;
    }
    const auto len = static_cast<uint16_t>(std::min<size_t>(step, payload.size() - offset));
    auto* data = rte_pktmbuf_mtod(f, uint8_t*);
    std::memcpy(data, rte_pktmbuf_mtod(m, const uint8_t*), kEthLen);
    const uint16_t hlen =
        nat::write_fragment_header({data + kEthLen, 60}, header, static_cast<uint16_t>(offset), len,
                                   offset + len == payload.size());
    std::memcpy(data + kEthLen + hlen, payload.data() + offset, len);
    f->data_len = static_cast<uint16_t>(kEthLen + hlen + len);
    f->pkt_len = f->data_len;
    stats_.event(Event::fragments_made);
    send_to_next_hop(f, r);
  }
  rte_pktmbuf_free(m);
}

bool Worker::send_icmp_error(std::span<const uint8_t> offending, uint8_t type, uint8_t code,
                             uint32_t rest, uint32_t src_be, uint32_t dst_be) noexcept {
  if (!may_answer_with_error(offending)) return false;
  // Refill the bucket by elapsed time.
  const uint64_t refill = (now_ms_ - icmp_refill_ms_) * kIcmpPerSecond / 1000;
  if (refill > 0) {
    icmp_tokens_ = std::min(kIcmpBurst, icmp_tokens_ + refill);
    icmp_refill_ms_ = now_ms_;
  }
  if (icmp_tokens_ == 0) {
    stats_.drop(Drop::icmp_rate_limited);
    return false;
  }
  --icmp_tokens_;
  rte_mbuf* e = rte_pktmbuf_alloc(shared_.pool);
  if (e == nullptr) {
    stats_.drop(Drop::no_mbuf);
    return false;
  }
  auto* data = rte_pktmbuf_mtod(e, uint8_t*);
  std::memset(data, 0, kEthLen);
  const uint16_t ether_type = packet::hton16(packet::kEtherTypeIpv4);
  std::memcpy(data + offsetof(packet::EthHdr, ether_type), &ether_type, 2);
  const size_t len = nat::write_icmp_error({data + kEthLen, nat::kIcmpErrorMaxLength}, offending,
                                           type, code, rest, src_be, dst_be, icmp_id_++);
  e->data_len = static_cast<uint16_t>(kEthLen + len);
  e->pkt_len = e->data_len;
  forward(e, packet::Ipv4Addr{dst_be}, src_be);
  return true;
}

void Worker::record_fragment(const packet::PacketMeta& meta, uint32_t target_be,
                             sched::ForwardMethod method, bool rewrite_source) noexcept {
  const auto key = conn::fragment_key(meta.key.src, meta.key.dst, meta.key.proto, meta.ip_id);
  // A full table only costs the later fragments (counted as fragment_unknown).
  shared_.conns->record_fragment(key, target_be, method, rewrite_source, now_ms_);
}

}  // namespace lb::dataplane
