// The worker loop and the machinery every packet path shares: transmit
// queues, routing to a next hop, the hold queue, ARP requests and drops.
#include <lb/dataplane/worker.h>

#include <cstring>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>

#include <lb/packet/wire.h>

namespace lb::dataplane {

void TxQueue::flush(WorkerStats& stats) noexcept {
  if (count_ == 0) return;
  // Bytes are summed before the burst: sent mbufs belong to the driver after it.
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < count_; ++i)
    bytes += pkts_[i]->pkt_len;
  const uint16_t sent = rte_eth_tx_burst(port_id_, queue_, pkts_.data(), count_);
  for (uint16_t i = sent; i < count_; ++i) {
    bytes -= pkts_[i]->pkt_len;
    rte_pktmbuf_free(pkts_[i]);
  }
  if (sent < count_) stats.drop(Drop::tx_full, count_ - sent);
  if (wire_) {
    stats.tx_packets.add(sent);
    stats.tx_bytes.add(bytes);
  }
  count_ = 0;
}

Worker::Worker(const WorkerShared& shared, uint16_t index, WorkerStats& stats, DestTraffic* traffic)
    : shared_(shared),
      index_(index),
      stats_(stats),
      traffic_(traffic),
      hold_(shared.hold_packets),
      tunnel_id_(static_cast<uint16_t>(index << 14)),
      icmp_id_(static_cast<uint16_t>(index << 14)) {
  for (size_t p = 0; p < shared_.ports.size(); ++p) {
    tx_[p].init(shared_.ports[p].port_id, index, true);
    if (shared_.ports[p].tap_id != kNoPort) tap_tx_[p].init(shared_.ports[p].tap_id, index, false);
  }
}

Worker::~Worker() {
  while (!hold_.empty())
    rte_pktmbuf_free(hold_.pop().m);
}

int Worker::run() noexcept {
  rte_rcu_qsbr_thread_online(shared_.qsbr, index_);
  std::array<rte_mbuf*, kBurst> pkts;
  while (!shared_.stop->load(std::memory_order_relaxed)) {
    const uint64_t start = rte_rdtsc();
    now_ms_ = shared_.clock->now_ms();
    const Snapshot& snap = *shared_.snapshots->current();
    uint32_t received = 0;
    const bool poll_taps = start >= next_tap_poll_;
    if (poll_taps) next_tap_poll_ = start + shared_.tap_poll_cycles;

    for (uint16_t p = 0; p < shared_.ports.size(); ++p) {
      const PortRuntime& port = shared_.ports[p];
      uint16_t n = rte_eth_rx_burst(port.port_id, index_, pkts.data(), kBurst);
      received += n;
      for (uint16_t i = 0; i < n; ++i) {
        if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void*));
        stats_.rx_packets.add();
        stats_.rx_bytes.add(pkts[i]->pkt_len);
        handle_port_frame(p, pkts[i], snap);
      }
      if (port.tap_id == kNoPort || !poll_taps) continue;
      n = rte_eth_rx_burst(port.tap_id, index_, pkts.data(), kBurst);
      received += n;
      for (uint16_t i = 0; i < n; ++i)
        handle_kernel_frame(p, pkts[i]);
    }
    if (!hold_.empty() && now_ms_ != last_hold_retry_ms_) retry_held();
    flush_all();
    // Nothing from this round's snapshot or connection lookups is used after here.
    rte_rcu_qsbr_quiescent(shared_.qsbr, index_);

    const uint64_t cycles = rte_rdtsc() - start;
    if (received != 0) {
      stats_.busy_cycles.add(cycles);
    } else {
      stats_.idle_cycles.add(cycles);
      if (shared_.idle_sleep_us != 0) rte_delay_us_sleep(shared_.idle_sleep_us);
    }
  }
  flush_all();
  rte_rcu_qsbr_thread_offline(shared_.qsbr, index_);
  return 0;
}

void Worker::flush_all() noexcept {
  for (size_t p = 0; p < shared_.ports.size(); ++p) {
    tx_[p].flush(stats_);
    if (tap_tx_[p].valid()) tap_tx_[p].flush(stats_);
  }
}

void Worker::drop(rte_mbuf* m, Drop why) noexcept {
  stats_.drop(why);
  rte_pktmbuf_free(m);
}

void Worker::transmit(uint16_t port, rte_mbuf* m, const packet::MacAddr& dst) noexcept {
  auto* eth = rte_pktmbuf_mtod(m, packet::EthHdr*);
  eth->dst = dst.bytes;
  eth->src = shared_.ports[port].mac.bytes;
  tx_[port].push(m, stats_);
}

NeighborTable::Resolution Worker::resolve(uint16_t port, packet::Ipv4Addr next_hop) noexcept {
  const NeighborTable::Resolution res = shared_.neighbors->resolve(next_hop, now_ms_);
  if (res.send_request) {
    send_arp_request(port, next_hop, res.unicast_request ? res.mac : packet::MacAddr::broadcast());
  }
  return res;
}

void Worker::send_to_next_hop(rte_mbuf* m, const Route& r) noexcept {
  const NeighborTable::Resolution res = resolve(r.port, r.next_hop);
  switch (res.kind) {
    case NeighborTable::Resolution::kSend:
      return transmit(r.port, m, res.mac);
    case NeighborTable::Resolution::kHold:
      if (hold_.full()) return drop(m, Drop::hold_queue_full);
      hold_.push({m, r.next_hop, r.port, now_ms_});
      stats_.event(Event::held);
      return;
    case NeighborTable::Resolution::kUnreachable:
      return drop(m, Drop::neighbor_unreachable);
    case NeighborTable::Resolution::kFull:
      return drop(m, Drop::neighbor_table_full);
  }
}

void Worker::retry_held() noexcept {
  last_hold_retry_ms_ = now_ms_;
  for (uint32_t n = hold_.size(); n > 0; --n) {
    const HoldQueue::Entry e = hold_.pop();
    const NeighborTable::Resolution res = resolve(e.port, e.next_hop);
    switch (res.kind) {
      case NeighborTable::Resolution::kSend:
        transmit(e.port, e.m, res.mac);
        break;
      case NeighborTable::Resolution::kHold:
        if (now_ms_ - e.since_ms > shared_.hold_timeout_ms) {
          drop(e.m, Drop::neighbor_unreachable);
        } else {
          hold_.push(e);
        }
        break;
      case NeighborTable::Resolution::kUnreachable:
        drop(e.m, Drop::neighbor_unreachable);
        break;
      case NeighborTable::Resolution::kFull:
        drop(e.m, Drop::neighbor_table_full);
        break;
    }
  }
}

void Worker::send_arp_request(uint16_t port, packet::Ipv4Addr target,
                              const packet::MacAddr& dst) noexcept {
  rte_mbuf* m = rte_pktmbuf_alloc(shared_.pool);
  if (m == nullptr) {
    stats_.drop(Drop::no_mbuf);
    return;
  }
  // Padded to the Ethernet minimum (60 bytes without FCS).
  constexpr uint16_t kLen = 60;
  auto* data = rte_pktmbuf_mtod(m, uint8_t*);
  std::memset(data, 0, kLen);
  auto* eth = reinterpret_cast<packet::EthHdr*>(data);
  eth->ether_type = packet::hton16(packet::kEtherTypeArp);
  auto* arp = reinterpret_cast<packet::ArpHdr*>(data + sizeof(packet::EthHdr));
  arp->hrd = packet::hton16(packet::kArpHrdEther);
  arp->pro = packet::hton16(packet::kEtherTypeIpv4);
  arp->hln = 6;
  arp->pln = 4;
  arp->op = packet::hton16(packet::kArpOpRequest);
  arp->sha = shared_.ports[port].mac.bytes;
  arp->spa = shared_.ports[port].address.addr.be;
  arp->tpa = target.be;
  m->data_len = kLen;
  m->pkt_len = kLen;
  stats_.event(Event::arp_requests);
  transmit(port, m, dst);
}

}  // namespace lb::dataplane
