// IPv4 packets from the wire: to a VIP (schedule or follow the connection,
// DNAT), from a real server (SNAT the reply), or for the appliance itself
// (answer echo, else hand to the kernel through the exception path).
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
  if (snap.services.is_vip(dst)) {
    if (meta.key.proto == packet::kIpProtoIcmp) {
      if (meta.icmp_type == packet::kIcmpEchoRequest) return answer_echo(port, m, meta);
      return drop(m, Drop::vip_protocol);
    }
    return handle_vip(m, meta, snap);
  }
  if (const auto owner = snap.local_addrs.find(dst)) {
    if (meta.key.proto == packet::kIpProtoIcmp && meta.icmp_type == packet::kIcmpEchoRequest) {
      return answer_echo(port, m, meta);
    }
    return to_kernel(static_cast<uint16_t>(*owner), m);
  }
  // Broadcast and multicast (routing protocols, VRRP, DHCP) are the
  // appliance's to judge, as on any host: the kernel of the arrival port.
  const packet::Ipv4Addr to{dst};
  if (to.is_multicast() || to.is_limited_broadcast() ||
      shared_.ports[port].address.is_broadcast(to)) {
    return to_kernel(port, m);
  }
  handle_reply(m, meta, snap);
}

void Worker::handle_vip(rte_mbuf* m, const packet::PacketMeta& meta,
                        const Snapshot& snap) noexcept {
  if (!is_tcp_or_udp(meta.key.proto)) return drop(m, Drop::vip_protocol);
  const sched::Service* svc = snap.services.find(meta.key.proto, meta.key.dst, meta.key.dport);
  if (svc == nullptr) return drop(m, Drop::no_service);
  if (meta.ttl <= 1) return drop(m, Drop::ttl_exceeded);

  const uint32_t hash = shared_.conns->hash(meta.key);
  const ConnTable::Found found = shared_.conns->lookup(meta.key, hash);
  conn::Connection* c = found.conn;
  if (c != nullptr) {
    // A client key equal to another connection's reply key cannot happen with
    // distinct VIP and client addresses; refuse rather than overwrite it.
    if (found.reply) return drop(m, Drop::conn_conflict);
    if (!c->on_packet(conn::Direction::kInput, meta.tcp_flags, now_ms_, snap.timeouts)) {
      return drop(m, Drop::conn_expiring);
    }
  } else {
    // Like IPVS, only a SYN (without RST) opens a TCP connection.
    if (meta.key.proto == packet::kIpProtoTcp &&
        ((meta.tcp_flags & packet::kTcpSyn) == 0 || (meta.tcp_flags & packet::kTcpRst) != 0)) {
      return drop(m, Drop::tcp_no_connection);
    }
    const sched::Dest* dest = svc->schedule(sched::PickInput{meta.key, hash, now_ms_});
    if (dest == nullptr) return drop(m, Drop::no_real_server);
    Drop why = Drop::conn_table_full;
    c = shared_.conns->create(meta.key, hash, *dest, svc->id(), meta.tcp_flags, now_ms_,
                              snap.timeouts, why);
    if (c == nullptr) return drop(m, why);
    stats_.event(Event::conn_created);
  }
  const auto frame = frame_of(m);
  nat::rewrite_destination(frame, meta, c->rs_addr_be, c->rs_port_be);
  nat::decrement_ttl(frame, meta);
  stats_.event(Event::nat_in);
  forward(m, packet::Ipv4Addr{c->rs_addr_be});
}

void Worker::handle_reply(rte_mbuf* m, const packet::PacketMeta& meta,
                          const Snapshot& snap) noexcept {
  if (!is_tcp_or_udp(meta.key.proto)) return drop(m, Drop::not_for_us);
  const ConnTable::Found found = shared_.conns->lookup(meta.key, shared_.conns->hash(meta.key));
  if (found.conn == nullptr || !found.reply) return drop(m, Drop::not_for_us);
  if (meta.ttl <= 1) return drop(m, Drop::ttl_exceeded);
  conn::Connection& c = *found.conn;
  if (!c.on_packet(conn::Direction::kOutput, meta.tcp_flags, now_ms_, snap.timeouts)) {
    return drop(m, Drop::conn_expiring);
  }
  const auto frame = frame_of(m);
  nat::rewrite_source(frame, meta, c.client.dst, c.client.dport);
  nat::decrement_ttl(frame, meta);
  stats_.event(Event::nat_out);
  forward(m, packet::Ipv4Addr{c.client.src});
}

void Worker::to_kernel(uint16_t port, rte_mbuf* m) noexcept {
  if (!tap_tx_[port].valid()) return drop(m, Drop::no_exception_path);
  stats_.event(Event::to_kernel);
  tap_tx_[port].push(m, stats_);
}

}  // namespace lb::dataplane
