// Later fragments (offset > 0) carry no ports, so they cannot be scheduled or
// matched to a connection by themselves. lbd does not reassemble: the first
// fragment, which carries the ports, is handled like its flow and leaves a
// fragment record <source, destination, protocol, IP ID> -> where it went
// (connection.h); later fragments look that record up and follow it to the
// same real server, with the same address rewrite, on whichever worker they
// arrive. A later fragment that arrives before its first, or after the
// record's 10 s, matches nothing and is dropped under fragment_unknown (TCP
// retransmits; path-MTU discovery keeps TCP from fragmenting at all).
//
// Reassembly would cost buffering per datagram on the hot path and is what
// IPVS gets from the kernel's defragmentation; tracking IDs keeps each
// fragment a single lookup, and the real server reassembles as it would
// behind any router.
#include <rte_mbuf.h>

#include <lb/conn/connection.h>
#include <lb/dataplane/worker.h>
#include <lb/nat/rewrite.h>
#include <lb/packet/wire.h>

namespace lb::dataplane {

void Worker::handle_later_fragment(uint16_t port, rte_mbuf* m, const packet::PacketMeta& meta,
                                   const Snapshot& snap) noexcept {
  // The appliance's own datagrams: the kernel reassembles them.
  if (const auto owner = snap.local_addrs.find(meta.key.dst)) {
    return to_kernel(static_cast<uint16_t>(*owner), m);
  }
  const packet::FlowKeyV4 key =
      conn::fragment_key(meta.key.src, meta.key.dst, meta.key.proto, meta.ip_id);
  const uint32_t hash = shared_.conns->hash(key);
  const ConnTable::Found found = shared_.conns->lookup(key, hash);
  if (found.conn == nullptr ||
      found.conn->state.load(std::memory_order_acquire) != conn::kStateFragment) {
    const packet::Ipv4Addr to{meta.key.dst};
    if (to.is_multicast() || to.is_limited_broadcast() ||
        shared_.ports[port].address.is_broadcast(to)) {
      return to_kernel(port, m);
    }
    return drop(m, Drop::fragment_unknown);
  }
  const conn::Connection::FragmentTarget r = found.conn->fragment_target();
  // No ICMP error is sent about a later fragment (RFC 1812 4.3.2.7).
  if (meta.ttl <= 1) return drop(m, Drop::ttl_exceeded);
  stats_.event(Event::fragments_forwarded);
  const std::span<uint8_t> frame{rte_pktmbuf_mtod(m, uint8_t*), m->data_len};
  nat::decrement_ttl(frame, meta);
  const uint32_t router = shared_.ports[port].address.addr.be;
  if (r.rewrite_source) {
    // A NAT reply's fragment: from the VIP to the client.
    nat::rewrite_source_address(frame, meta, r.addr_be);
    return forward(m, packet::Ipv4Addr{meta.key.dst}, router);
  }
  switch (r.method) {
    case sched::ForwardMethod::kNat:
      nat::rewrite_destination_address(frame, meta, r.addr_be);
      return forward(m, packet::Ipv4Addr{r.addr_be}, meta.key.dst);
    case sched::ForwardMethod::kDirectRoute:
      return forward(m, packet::Ipv4Addr{r.addr_be}, meta.key.dst);
    case sched::ForwardMethod::kTunnel:
      // Without the ports, the fragment's outer source comes from the
      // record's hash: the real server reassembles the inner datagram
      // whichever source its pieces came from.
      return tunnel_out(m, meta, r.addr_be, hash, meta.key.dst);
  }
}

}  // namespace lb::dataplane
