// ICMP errors about connections, after ip_vs_out_icmp and ip_vs_in_icmp.
//
// An error quotes the packet that caused it; that packet travelled the other
// way, so its reverse is one of the connection's keys:
// - the reverse matches a NAT connection's reply key: the quoted packet was
//   client -> real server (DNATed), and the error (from the real server or a
//   router towards it) goes to the client, translated back to the VIP;
// - the reverse matches a client key: the quoted packet was a reply
//   VIP -> client, and the error (from the client or a router towards it)
//   goes to the real server: translated for NAT, and for direct routing and
//   tunnels sent on as it is, the way the connection's packets go (this is
//   how a DR real server learns a path MTU towards its clients);
// - the quoted packet is one of lbd's own IPIP packets: the error is about
//   the tunnel, and the client gets the same error about its own packet
//   (fragmentation-needed with the MTU less the tunnel's 20 bytes).
// Errors matching nothing take the normal path (the kernel's when they are
// addressed to lbd itself).
#include <cstring>

#include <rte_mbuf.h>

#include <lb/conn/connection.h>
#include <lb/dataplane/worker.h>
#include <lb/nat/icmp.h>
#include <lb/nat/rewrite.h>
#include <lb/packet/wire.h>
#include <lb/tunnel/ipip.h>

namespace lb::dataplane {

namespace {

std::span<uint8_t> frame_of(rte_mbuf* m) noexcept {
  return {rte_pktmbuf_mtod(m, uint8_t*), m->data_len};
}

packet::FlowKeyV4 reversed(const packet::FlowKeyV4& k) noexcept {
  packet::FlowKeyV4 r;
  r.src = k.dst;
  r.dst = k.src;
  r.sport = k.dport;
  r.dport = k.sport;
  r.proto = k.proto;
  return r;
}

// The smallest MTU a router may report that still leaves room for the tunnel
// header (RFC 791's 68 plus 20); below it the kernel passes the value on as is.
constexpr uint32_t kMinTunnelMtu = 68 + tunnel::kIpipOverhead;

}  // namespace

bool Worker::handle_icmp_error(uint16_t port, rte_mbuf* m, const packet::PacketMeta& meta,
                               const Snapshot& snap) noexcept {
  const uint32_t dst = meta.key.dst;
  const bool to_local = snap.local_addrs.find(dst).has_value();
  const bool to_tunnel_source = snap.tunnel_addrs.find(dst).has_value();
  const bool to_vip = snap.service_addrs.find(dst).has_value();
  packet::IcmpQuote quote;
  if (!packet::parse_icmp_quote(frame_of(m), meta, quote)) {
    if (to_local) return false;  // the kernel's to judge
    if (!to_vip && !to_tunnel_source) return false;
    drop(m, Drop::bad_icmp_quote);
    return true;
  }
  if (quote.key.proto == packet::kIpProtoIpip) {
    if (!to_local && !to_tunnel_source) return false;
    relay_tunnel_icmp(m, meta, quote);
    return true;
  }
  if ((quote.key.proto != packet::kIpProtoTcp && quote.key.proto != packet::kIpProtoUdp) ||
      !quote.has_ports) {
    return false;
  }
  const packet::FlowKeyV4 key = reversed(quote.key);
  const uint32_t hash = shared_.conns->hash(key);
  const ConnTable::Found found = shared_.conns->lookup(key, hash);
  if (found.conn == nullptr || found.conn->is_template()) return false;
  const conn::Connection& c = *found.conn;
  if (meta.ttl <= 1) {
    drop(m, Drop::ttl_exceeded);  // no ICMP error is ever sent about an ICMP error
    return true;
  }
  const auto frame = frame_of(m);
  stats_.event(Event::icmp_errors_translated);
  if (found.reply) {
    // About a packet that went client -> real server: back to the client as
    // if the VIP had sent it.
    nat::translate_icmp_error(frame, meta, quote, nat::IcmpDirection::kToClient, c.client.dst,
                              c.client.dport);
    nat::decrement_ttl(frame, meta);
    forward(m, packet::Ipv4Addr{c.client.src}, shared_.ports[port].address.addr.be);
    return true;
  }
  // About a reply the client got: on to the real server.
  if (c.forward != sched::ForwardMethod::kNat) {
    deliver(m, meta, c.forward, c.rs_addr_be, c.rs_port_be, hash);
    return true;
  }
  nat::translate_icmp_error(frame, meta, quote, nat::IcmpDirection::kToRealServer, c.rs_addr_be,
                            c.rs_port_be);
  nat::decrement_ttl(frame, meta);
  forward(m, packet::Ipv4Addr{c.rs_addr_be}, dst);
  return true;
}

void Worker::relay_tunnel_icmp(rte_mbuf* m, const packet::PacketMeta& meta,
                               const packet::IcmpQuote& quote) noexcept {
  // The quote is [outer IP][inner IP][inner L4 ...]: routers that quote only
  // 8 bytes past the outer header leave nothing to match, as in the kernel.
  const auto frame = frame_of(m);
  const auto inner =
      std::span<const uint8_t>(frame).subspan(quote.l4_off, quote.end - quote.l4_off);
  packet::Ipv4Hdr ip;
  if (inner.size() < sizeof(ip)) return drop(m, Drop::icmp_tunnel_error);
  std::memcpy(&ip, inner.data(), sizeof(ip));
  const uint16_t ihl = ip.ihl_bytes();
  if ((ip.version_ihl >> 4) != 4 || ihl < sizeof(ip) || inner.size() < ihl + 4u ||
      (ip.protocol != packet::kIpProtoTcp && ip.protocol != packet::kIpProtoUdp)) {
    return drop(m, Drop::icmp_tunnel_error);
  }
  packet::FlowKeyV4 key;
  key.src = ip.src;
  key.dst = ip.dst;
  key.proto = ip.protocol;
  std::memcpy(&key.sport, inner.data() + ihl, 2);
  std::memcpy(&key.dport, inner.data() + ihl + 2, 2);
  const ConnTable::Found found = shared_.conns->lookup(key, shared_.conns->hash(key));
  if (found.conn == nullptr || found.reply || found.conn->is_template() ||
      found.conn->forward != sched::ForwardMethod::kTunnel ||
      found.conn->rs_addr_be != quote.key.dst) {
    return drop(m, Drop::icmp_tunnel_error);
  }
  const auto* icmp = reinterpret_cast<const packet::IcmpHdr*>(frame.data() + meta.l4_off);
  uint32_t rest = 0;
  std::memcpy(&rest, &icmp->id, 4);
  rest = packet::ntoh32(rest);
  if (icmp->type == packet::kIcmpDestUnreachable && icmp->code == nat::kIcmpCodeFragNeeded) {
    // A client not doing path-MTU discovery (DF clear) is not told: its
    // packets are fragmented on the way instead.
    if ((ip.frag_off & packet::hton16(packet::kIpv4FlagDf)) == 0) {
      return drop(m, Drop::icmp_tunnel_error);
    }
    const uint32_t mtu = rest & 0xffff;
    rest = mtu > kMinTunnelMtu ? mtu - tunnel::kIpipOverhead : mtu;
  }
  if (send_icmp_error(inner, icmp->type, icmp->code, rest, key.dst, key.src)) {
    stats_.event(Event::icmp_errors_translated);
  }
  rte_pktmbuf_free(m);
}

}  // namespace lb::dataplane
