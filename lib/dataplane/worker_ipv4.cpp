// IPVS's order for an IPv4 packet from the wire: the connection first, in
// either direction (client -> real server: DNAT; real server -> client:
// SNAT); then, for the first packet of a flow to a service address, the
// service (firewall mark, then <protocol, VIP, port>, then the persistent
// port-0 service) and a real server for it. Packets for the appliance itself
// are answered (ICMP echo) or handed to the kernel.
#include <rte_mbuf.h>

#include <lb/dataplane/worker.h>
#include <lb/nat/rewrite.h>
#include <lb/packet/wire.h>

namespace lb::dataplane {

namespace {

std::span<uint8_t> frame_of(rte_mbuf* m) noexcept {
  return {rte_pktmbuf_mtod(m, uint8_t*), m->data_len};
}

bool is_tcp_or_udp(uint8_t proto) noexcept {
  return proto == packet::kIpProtoTcp || proto == packet::kIpProtoUdp;
}

}  // namespace

void Worker::handle_ipv4(uint16_t port, rte_mbuf* m, const packet::PacketMeta& meta,
                         const Snapshot& snap) noexcept {
  const uint32_t dst = meta.key.dst;
  const bool echo =
      meta.key.proto == packet::kIpProtoIcmp && meta.icmp_type == packet::kIcmpEchoRequest;
  if (const auto owner = snap.local_addrs.find(dst)) {
    if (echo) return answer_echo(port, m, meta);
    return to_kernel(static_cast<uint16_t>(*owner), m);
  }
  const bool service_addr = snap.service_addrs.find(dst).has_value();
  if (is_tcp_or_udp(meta.key.proto)) {
    const uint32_t hash = shared_.conns->hash(meta.key);
    const ConnTable::Found found = shared_.conns->lookup(meta.key, hash);
    if (found.conn != nullptr) {
      return found.reply ? handle_reply(m, meta, *found.conn, snap)
                         : handle_client(m, meta, *found.conn, snap);
    }
    if (service_addr || snap.classifier.covers(dst)) return handle_new_flow(m, meta, hash, snap);
    if (handle_one_packet_reply(m, meta, snap)) return;
  } else if (service_addr) {
    if (echo) return answer_echo(port, m, meta);
    return drop(m, Drop::vip_protocol);
  }
  // Broadcast and multicast (routing protocols, VRRP, DHCP) are the
  // appliance's to judge, as on any host: the kernel of the arrival port.
  const packet::Ipv4Addr to{dst};
  if (to.is_multicast() || to.is_limited_broadcast() ||
      shared_.ports[port].address.is_broadcast(to)) {
    return to_kernel(port, m);
  }
  drop(m, Drop::not_for_us);
}

void Worker::handle_new_flow(rte_mbuf* m, const packet::PacketMeta& meta, uint32_t hash,
                             const Snapshot& snap) noexcept {
  const uint32_t mark = snap.classifier.empty() ? 0 : snap.classifier.classify(meta.key);
  const sched::Service* svc = mark != 0 ? snap.services.find_fwmark(mark) : nullptr;
  if (svc == nullptr) svc = snap.services.lookup(meta.key.proto, meta.key.dst, meta.key.dport);
  if (svc == nullptr) return drop(m, Drop::no_service);
  if (meta.ttl <= 1) return drop(m, Drop::ttl_exceeded);
  // Like IPVS, only a SYN (without RST) opens a TCP connection.
  if (meta.key.proto == packet::kIpProtoTcp &&
      ((meta.tcp_flags & packet::kTcpSyn) == 0 || (meta.tcp_flags & packet::kTcpRst) != 0)) {
    return drop(m, Drop::tcp_no_connection);
  }
  const sched::ServiceSpec& spec = svc->spec();
  // One-packet scheduling applies to UDP only, as in the kernel.
  const bool one_packet = spec.one_packet && meta.key.proto == packet::kIpProtoUdp;
  uint32_t control = 0;
  Drop why = Drop::no_real_server;
  const sched::Dest* dest = spec.persistence
                                ? persistent_dest(*svc, meta, hash, !one_packet, control, why)
                                : svc->schedule(sched::PickInput{meta.key, hash, now_ms_});
  if (dest == nullptr) return drop(m, why);
  // A real server without a port (firewall-mark and port-0 services) keeps
  // the packet's destination port.
  const uint16_t rs_port = dest->port_be != 0 ? dest->port_be : meta.key.dport;
  if (one_packet) {
    stats_.event(Event::one_packet);
    return forward_to_real_server(m, meta, dest->addr.be, rs_port);
  }
  conn::Connection* c = shared_.conns->create(meta.key, hash, *dest, rs_port, control,
                                              meta.tcp_flags, now_ms_, snap.timeouts, why);
  if (c == nullptr) {
    if (control != 0) shared_.conns->at(control - 1).release_template();
    return drop(m, why);
  }
  stats_.event(Event::conn_created);
  forward_to_real_server(m, meta, c->rs_addr_be, c->rs_port_be);
}

void Worker::handle_client(rte_mbuf* m, const packet::PacketMeta& meta, conn::Connection& c,
                           const Snapshot& snap) noexcept {
  if (meta.ttl <= 1) return drop(m, Drop::ttl_exceeded);
  if (!c.on_packet(conn::Direction::kInput, meta.tcp_flags, now_ms_, snap.timeouts)) {
    return drop(m, Drop::conn_expiring);
  }
  forward_to_real_server(m, meta, c.rs_addr_be, c.rs_port_be);
}

void Worker::forward_to_real_server(rte_mbuf* m, const packet::PacketMeta& meta,
                                    uint32_t rs_addr_be, uint16_t rs_port_be) noexcept {
  const auto frame = frame_of(m);
  nat::rewrite_destination(frame, meta, rs_addr_be, rs_port_be);
  nat::decrement_ttl(frame, meta);
  stats_.event(Event::nat_in);
  forward(m, packet::Ipv4Addr{rs_addr_be});
}

void Worker::handle_reply(rte_mbuf* m, const packet::PacketMeta& meta, conn::Connection& c,
                          const Snapshot& snap) noexcept {
  if (meta.ttl <= 1) return drop(m, Drop::ttl_exceeded);
  if (!c.on_packet(conn::Direction::kOutput, meta.tcp_flags, now_ms_, snap.timeouts)) {
    return drop(m, Drop::conn_expiring);
  }
  const auto frame = frame_of(m);
  nat::rewrite_source(frame, meta, c.client.dst, c.client.dport);
  nat::decrement_ttl(frame, meta);
  stats_.event(Event::nat_out);
  forward(m, packet::Ipv4Addr{c.client.src});
}

bool Worker::handle_one_packet_reply(rte_mbuf* m, const packet::PacketMeta& meta,
                                     const Snapshot& snap) noexcept {
  if (meta.key.proto != packet::kIpProtoUdp) return false;
  const auto svc =
      snap.ops_replies.find(sched::service_index_key(meta.key.proto, meta.key.src, meta.key.sport));
  if (!svc) return false;
  if (meta.ttl <= 1) {
    drop(m, Drop::ttl_exceeded);
    return true;
  }
  const sched::ServiceSpec& spec = snap.services.services()[*svc]->spec();
  const auto frame = frame_of(m);
  nat::rewrite_source(frame, meta, spec.vip.be, packet::hton16(spec.port));
  nat::decrement_ttl(frame, meta);
  stats_.event(Event::nat_out);
  forward(m, packet::Ipv4Addr{meta.key.dst});
  return true;
}

void Worker::to_kernel(uint16_t port, rte_mbuf* m) noexcept {
  if (!tap_tx_[port].valid()) return drop(m, Drop::no_exception_path);
  stats_.event(Event::to_kernel);
  tap_tx_[port].push(m, stats_);
}

}  // namespace lb::dataplane
