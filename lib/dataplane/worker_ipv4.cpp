// IPVS's order for an IPv4 packet from the wire: the connection first, in
// either direction (client -> real server: DNAT; real server -> client:
// SNAT); then, for the first packet of a flow to a service address, the
// service (firewall mark, then <protocol, VIP, port>, then the persistent
// port-0 service) and a real server for it. Packets for the appliance itself
// are answered (ICMP echo) or handed to the kernel.
#include <rte_mbuf.h>

#include <lb/dataplane/worker.h>
#include <lb/nat/icmp.h>
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
  const bool icmp = meta.key.proto == packet::kIpProtoIcmp;
  const bool echo = icmp && meta.icmp_type == packet::kIcmpEchoRequest;
  // ICMP errors about connections (and about lbd's own tunnel packets) are
  // matched by the packet they quote before anything else looks at them.
  if (icmp && packet::is_icmp_error(meta.icmp_type) && handle_icmp_error(port, m, meta, snap))
    return;
  if (const auto owner = snap.local_addrs.find(dst)) {
    if (echo) return answer_echo(port, m, meta);
    return to_kernel(static_cast<uint16_t>(*owner), m);
  }
  const bool service_addr = snap.service_addrs.find(dst).has_value();
  if (is_tcp_or_udp(meta.key.proto)) {
    const uint32_t hash = shared_.conns->hash(meta.key);
    const ConnTable::Found found = shared_.conns->lookup(meta.key, hash);
    if (found.conn != nullptr) {
      return found.reply ? handle_reply(port, m, meta, *found.conn, snap)
                         : handle_client(m, meta, hash, *found.conn, snap);
    }
    if (service_addr || snap.classifier.covers(dst)) return handle_new_flow(m, meta, hash, snap);
    if (handle_one_packet_reply(port, m, meta, snap)) return;
  } else if (service_addr || snap.tunnel_addrs.find(dst)) {
    if (echo) return answer_echo(port, m, meta);
    return drop(m, icmp && packet::is_icmp_error(meta.icmp_type) ? Drop::icmp_no_connection
                                                                 : Drop::vip_protocol);
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
  if (meta.ttl <= 1) return expire_ttl(m, meta, meta.key.dst);
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
  // Counted as IPVS counts (ip_vs_conn_stats, ip_vs_in_stats): a scheduled
  // connection - one-packet datagrams too, each its own - and its packet,
  // even if delivery then fails.
  DestTraffic& traffic = traffic_[dest->id];
  if (one_packet) {
    stats_.event(Event::one_packet);
    traffic.conns.add();
    traffic.in(meta.ip_len);
    return deliver(m, meta, dest->forward, dest->addr.be, rs_port, hash);
  }
  conn::Connection* c = shared_.conns->create(meta.key, hash, *dest, rs_port, control,
                                              meta.tcp_flags, now_ms_, snap.timeouts, why);
  if (c == nullptr) {
    if (control != 0) shared_.conns->at(control - 1).release_template();
    return drop(m, why);
  }
  stats_.event(Event::conn_created);
  traffic.conns.add();
  traffic.in(meta.ip_len);
  deliver(m, meta, c->forward, c->rs_addr_be, c->rs_port_be, hash);
}

// A SYN for a connection that has closed (TIME_WAIT or CLOSE) is a new
// connection reusing the client's port: the old one is expired and the SYN
// scheduled afresh, so it sees the current configuration (the kernel's
// conn_reuse_mode 1). A connection under a persistence template stays with
// its server, as in the kernel.
bool Worker::reopens(const packet::PacketMeta& meta, const conn::Connection& c) noexcept {
  if (meta.key.proto != packet::kIpProtoTcp || (meta.tcp_flags & packet::kTcpSyn) == 0 ||
      c.control != 0) {
    return false;
  }
  const uint8_t st = c.state.load(std::memory_order_relaxed);
  return st == static_cast<uint8_t>(conn::TcpState::kTimeWait) ||
         st == static_cast<uint8_t>(conn::TcpState::kClose);
}

void Worker::handle_client(rte_mbuf* m, const packet::PacketMeta& meta, uint32_t hash,
                           conn::Connection& c, const Snapshot& snap) noexcept {
  if (meta.ttl <= 1) return expire_ttl(m, meta, meta.key.dst);
  const bool flush =
      snap.expire_nodest_conn && !c.counters->in_service.load(std::memory_order_relaxed);
  if (flush || reopens(meta, c)) {
    // Whoever wins the expiry removes the keys; a packet racing the sweeper
    // (which won) finds the connection dying and waits for the client's retry.
    if (!shared_.conns->expire_now(c)) return drop(m, Drop::conn_expiring);
    stats_.event(flush ? Event::conn_flushed : Event::conn_reused);
    // UDP and TCP SYNs get a real server of the current configuration; other
    // TCP segments of a flushed connection are dropped as the kernel does.
    return handle_new_flow(m, meta, hash, snap);
  }
  // Direct routing and tunnels never see replies: the kernel's input-only
  // TCP state table (IP_VS_CONN_F_NOOUTPUT).
  const conn::Direction dir = c.forward == sched::ForwardMethod::kNat ? conn::Direction::kInput
                                                                      : conn::Direction::kInputOnly;
  if (!c.on_packet(dir, meta.tcp_flags, now_ms_, snap.timeouts)) {
    return drop(m, Drop::conn_expiring);
  }
  if (c.control != 0 && c.state.load(std::memory_order_relaxed) ==
                            static_cast<uint8_t>(conn::TcpState::kEstablished)) {
    shared_.conns->at(c.control - 1).assure();
  }
  traffic_[c.dest_slot.load(std::memory_order_relaxed)].in(meta.ip_len);
  deliver(m, meta, c.forward, c.rs_addr_be, c.rs_port_be, hash);
}

void Worker::handle_reply(uint16_t port, rte_mbuf* m, const packet::PacketMeta& meta,
                          conn::Connection& c, const Snapshot& snap) noexcept {
  const uint32_t router = shared_.ports[port].address.addr.be;
  if (meta.ttl <= 1) return expire_ttl(m, meta, router);
  if (snap.expire_nodest_conn && !c.counters->in_service.load(std::memory_order_relaxed)) {
    if (shared_.conns->expire_now(c)) stats_.event(Event::conn_flushed);
    return drop(m, Drop::dest_removed);
  }
  if (!c.on_packet(conn::Direction::kOutput, meta.tcp_flags, now_ms_, snap.timeouts)) {
    return drop(m, Drop::conn_expiring);
  }
  if (c.control != 0) {
    const uint8_t st = c.state.load(std::memory_order_relaxed);
    if (st == conn::kStateUdp || st == static_cast<uint8_t>(conn::TcpState::kEstablished))
      shared_.conns->at(c.control - 1).assure();
  }
  traffic_[c.dest_slot.load(std::memory_order_relaxed)].out(meta.ip_len);
  // As a router would: the real server hears of a too-small MTU about its
  // own packet, before the TTL decrement and SNAT.
  const Route r = route_checked(m, packet::Ipv4Addr{c.client.src}, router);
  if (r.port == kNoPort) return;
  if (meta.ip_flags & packet::kMetaFirstFragment) {
    record_fragment(meta, c.client.dst, sched::ForwardMethod::kNat, true);
  }
  const auto frame = frame_of(m);
  nat::rewrite_source(frame, meta, c.client.dst, c.client.dport);
  nat::decrement_ttl(frame, meta);
  stats_.event(Event::nat_out);
  send_routed(m, r);
}

bool Worker::handle_one_packet_reply(uint16_t port, rte_mbuf* m, const packet::PacketMeta& meta,
                                     const Snapshot& snap) noexcept {
  if (meta.key.proto != packet::kIpProtoUdp) return false;
  const auto svc =
      snap.ops_replies.find(sched::service_index_key(meta.key.proto, meta.key.src, meta.key.sport));
  if (!svc) return false;
  const uint32_t router = shared_.ports[port].address.addr.be;
  if (meta.ttl <= 1) {
    expire_ttl(m, meta, router);
    return true;
  }
  const Route r = route_checked(m, packet::Ipv4Addr{meta.key.dst}, router);
  if (r.port == kNoPort) return true;
  const sched::ServiceSpec& spec = snap.services.services()[*svc]->spec();
  if (meta.ip_flags & packet::kMetaFirstFragment) {
    record_fragment(meta, spec.vip.be, sched::ForwardMethod::kNat, true);
  }
  const auto frame = frame_of(m);
  nat::rewrite_source(frame, meta, spec.vip.be, packet::hton16(spec.port));
  nat::decrement_ttl(frame, meta);
  stats_.event(Event::nat_out);
  send_routed(m, r);
  return true;
}

void Worker::expire_ttl(rte_mbuf* m, const packet::PacketMeta& meta, uint32_t src_be) noexcept {
  if (send_icmp_error({rte_pktmbuf_mtod_offset(m, const uint8_t*, meta.l3_off), meta.ip_len},
                      packet::kIcmpTimeExceeded, nat::kIcmpCodeTtlExceeded, 0, src_be,
                      meta.key.src)) {
    stats_.event(Event::icmp_time_exceeded_sent);
  }
  drop(m, Drop::ttl_exceeded);
}

void Worker::to_kernel(uint16_t port, rte_mbuf* m) noexcept {
  if (!tap_tx_[port].valid()) return drop(m, Drop::no_exception_path);
  stats_.event(Event::to_kernel);
  tap_tx_[port].push(m, stats_);
}

}  // namespace lb::dataplane
