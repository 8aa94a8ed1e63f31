// A worker: one lcore polling one RX queue on every port (and on every
// exception TAP), running each burst to completion: parse once, classify,
// look up or create the connection, rewrite, resolve the next hop, transmit.
//
// Runs on its own lcore and touches only: its own Worker object (TX and hold
// queues, stats), the published snapshot (read-only), the shared connection
// and neighbor tables (lock-free) and the mbuf pool. No locks except
// rte_hash's internal insert lock, no heap allocation, no syscalls (except the
// optional idle sleep), no exceptions, no logging.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

#include <lb/dataplane/clock.h>
#include <lb/dataplane/conn_table.h>
#include <lb/dataplane/counters.h>
#include <lb/dataplane/neighbor_table.h>
#include <lb/dataplane/ports.h>
#include <lb/dataplane/snapshot.h>
#include <lb/packet/parse.h>

struct rte_mbuf;
struct rte_mempool;
struct rte_rcu_qsbr;

namespace lb::dataplane {

inline constexpr uint16_t kBurst = 32;

// What every worker shares; owned by the Dataplane.
struct WorkerShared {
  std::span<const PortRuntime> ports;
  const SnapshotPublisher* snapshots = nullptr;
  ConnTable* conns = nullptr;
  NeighborTable* neighbors = nullptr;
  rte_rcu_qsbr* qsbr = nullptr;
  rte_mempool* pool = nullptr;
  sched::DestCounters* dest_counters = nullptr;  // the DestRegistry's slots
  const Clock* clock = nullptr;
  const std::atomic<bool>* stop = nullptr;
  uint32_t idle_sleep_us = 0;
  // How often the exception TAPs are polled (TSC cycles): a TAP's receive
  // is a readv() system call, microseconds each, so polling it every round
  // would cost more than the round's packets (measured by bench/run.py).
  uint64_t tap_poll_cycles = 0;
  uint32_t hold_packets = 256;
  uint32_t hold_timeout_ms = 4000;  // longer than all ARP retries
};

// Packets for one TX queue, sent in bursts at the end of each poll round.
class TxQueue {
 public:
  // `wire`: a port's queue, counted in tx_packets/tx_bytes (an exception
  // TAP's queue is counted as to_kernel instead).
  void init(uint16_t port_id, uint16_t queue, bool wire) noexcept {
    port_id_ = port_id;
    queue_ = queue;
    wire_ = wire;
  }
  bool valid() const noexcept { return port_id_ != kNoPort; }
  void push(rte_mbuf* m, WorkerStats& stats) noexcept {
    pkts_[count_++] = m;
    if (count_ == pkts_.size()) flush(stats);
  }
  void flush(WorkerStats& stats) noexcept;

 private:
  uint16_t port_id_ = kNoPort;
  uint16_t queue_ = 0;
  uint16_t count_ = 0;
  bool wire_ = true;
  std::array<rte_mbuf*, kBurst> pkts_{};
};

// Packets waiting for their next hop's ARP answer; FIFO, bounded.
class HoldQueue {
 public:
  struct Entry {
    rte_mbuf* m;
    packet::Ipv4Addr next_hop;
    uint16_t port;
    uint64_t since_ms;
  };
  explicit HoldQueue(uint32_t capacity) : entries_(capacity) {}
  bool full() const noexcept { return size_ == entries_.size(); }
  bool empty() const noexcept { return size_ == 0; }
  uint32_t size() const noexcept { return size_; }
  void push(const Entry& e) noexcept {
    entries_[(head_ + size_) % entries_.size()] = e;
    ++size_;
  }
  Entry pop() noexcept {
    Entry e = entries_[head_];
    head_ = (head_ + 1) % static_cast<uint32_t>(entries_.size());
    --size_;
    return e;
  }

 private:
  std::vector<Entry> entries_;
  uint32_t head_ = 0;
  uint32_t size_ = 0;
};

class Worker {
 public:
  // `traffic`: this worker's per-real-server counters, one per DestRegistry slot.
  Worker(const WorkerShared& shared, uint16_t index, WorkerStats& stats, DestTraffic* traffic);
  ~Worker();

  // The lcore's main loop, until *shared.stop. Returns 0.
  int run() noexcept;
  uint16_t index() const noexcept { return index_; }

 private:
  // One frame from the wire (port index `port`).
  void handle_port_frame(uint16_t port, rte_mbuf* m, const Snapshot& snap) noexcept;
  // One frame the kernel sent on the exception TAP of port `port`.
  void handle_kernel_frame(uint16_t port, rte_mbuf* m) noexcept;

  void handle_arp(uint16_t port, rte_mbuf* m, const Snapshot& snap) noexcept;
  void handle_ipv4(uint16_t port, rte_mbuf* m, const packet::PacketMeta& meta,
                   const Snapshot& snap) noexcept;
  // The first packet of a flow to a service address: classify, schedule,
  // create the connection (or not, for one-packet scheduling), DNAT.
  void handle_new_flow(rte_mbuf* m, const packet::PacketMeta& meta, uint32_t hash,
                       const Snapshot& snap) noexcept;
  // Packets of a known connection: client -> real server, and (NAT) the
  // real server's replies (SNAT). `port` is the arrival port, whose address
  // is the source of ICMP errors about replies.
  void handle_client(rte_mbuf* m, const packet::PacketMeta& meta, uint32_t hash,
                     conn::Connection& c, const Snapshot& snap) noexcept;
  void handle_reply(uint16_t port, rte_mbuf* m, const packet::PacketMeta& meta, conn::Connection& c,
                    const Snapshot& snap) noexcept;
  static bool reopens(const packet::PacketMeta& meta, const conn::Connection& c) noexcept;
  // A reply from a real server of a one-packet service (no connection).
  bool handle_one_packet_reply(uint16_t port, rte_mbuf* m, const packet::PacketMeta& meta,
                               const Snapshot& snap) noexcept;
  // The real server of a persistent service's new connection, from the
  // client's template (created if needed). With `hold`, the connection about
  // to be opened is counted on the template and `control` names it.
  const sched::Dest* persistent_dest(const sched::Service& svc, const packet::PacketMeta& meta,
                                     uint32_t hash, bool hold, uint32_t& control,
                                     Drop& why) noexcept;

  // TTL 0 or 1 on a packet to forward: ICMP time exceeded from `src_be`, drop.
  void expire_ttl(rte_mbuf* m, const packet::PacketMeta& meta, uint32_t src_be) noexcept;

  // --- delivery (worker_forward.cpp) ---
  // A client's packet to its real server by the server's forwarding method:
  // NAT (rewrite, TTL), direct routing (MAC only) or IPIP tunnel.
  void deliver(rte_mbuf* m, const packet::PacketMeta& meta, sched::ForwardMethod method,
               uint32_t rs_addr_be, uint16_t rs_port_be, uint32_t flow_hash) noexcept;
  void tunnel_out(rte_mbuf* m, const packet::PacketMeta& meta, uint32_t rs_addr_be,
                  uint32_t flow_hash, uint32_t icmp_src_be) noexcept;
  // Routes the (final) IP packet towards `dst`. Too large for the egress
  // MTU: ICMP fragmentation-needed from `icmp_src_be` when DF is set, else
  // fragments.
  void forward(rte_mbuf* m, packet::Ipv4Addr dst, uint32_t icmp_src_be) noexcept;
  // forward() in two steps, for NAT paths that must check before rewriting
  // (the sender hears about its own packet): the route towards `dst`, or
  // kNoPort when the packet was dropped - no route, or over the egress MTU
  // with DF set (answered with fragmentation-needed from `icmp_src_be`);
  // then sending along it, fragmenting when over the MTU.
  Route route_checked(rte_mbuf* m, packet::Ipv4Addr dst, uint32_t icmp_src_be) noexcept;
  void send_routed(rte_mbuf* m, const Route& r) noexcept;
  void send_fragmented(rte_mbuf* m, const Route& r, uint16_t mtu) noexcept;
  // An ICMP error about `offending` (from its IP header), rate limited; none
  // about ICMP errors, later fragments or non-unicast sources. True if sent.
  bool send_icmp_error(std::span<const uint8_t> offending, uint8_t type, uint8_t code,
                       uint32_t rest, uint32_t src_be, uint32_t dst_be) noexcept;
  // Remembers where a first fragment went, for its datagram's later ones.
  void record_fragment(const packet::PacketMeta& meta, uint32_t target_be,
                       sched::ForwardMethod method, bool rewrite_source) noexcept;

  // --- ICMP errors about connections (worker_icmp.cpp) ---
  // True when the error was consumed (translated, relayed or dropped).
  bool handle_icmp_error(uint16_t port, rte_mbuf* m, const packet::PacketMeta& meta,
                         const Snapshot& snap) noexcept;
  // An error about one of lbd's own IPIP packets: passed on to the client
  // about its inner packet, as ip_vs_in_icmp does.
  void relay_tunnel_icmp(rte_mbuf* m, const packet::PacketMeta& meta,
                         const packet::IcmpQuote& quote) noexcept;

  // --- later fragments (worker_fragment.cpp) ---
  void handle_later_fragment(uint16_t port, rte_mbuf* m, const packet::PacketMeta& meta,
                             const Snapshot& snap) noexcept;

  // For the appliance itself: to the kernel through port `port`'s exception path.
  void to_kernel(uint16_t port, rte_mbuf* m) noexcept;
  void answer_echo(uint16_t port, rte_mbuf* m, const packet::PacketMeta& meta) noexcept;

  void send_to_next_hop(rte_mbuf* m, const Route& r) noexcept;
  // Looks the next hop up, sending the ARP request the table asks for.
  NeighborTable::Resolution resolve(uint16_t port, packet::Ipv4Addr next_hop) noexcept;
  void send_arp_request(uint16_t port, packet::Ipv4Addr target,
                        const packet::MacAddr& dst) noexcept;
  void retry_held() noexcept;
  void transmit(uint16_t port, rte_mbuf* m, const packet::MacAddr& dst) noexcept;
  void drop(rte_mbuf* m, Drop why) noexcept;
  void flush_all() noexcept;

  WorkerShared shared_;
  uint16_t index_;
  WorkerStats& stats_;
  DestTraffic* traffic_;
  std::array<TxQueue, kMaxPorts> tx_{};
  std::array<TxQueue, kMaxPorts> tap_tx_{};
  HoldQueue hold_;
  // ICMP errors lbd sends: a token bucket, as the kernel's icmp_ratelimit.
  uint64_t icmp_tokens_ = 100;  // a full burst
  uint64_t icmp_refill_ms_ = 0;
  // IP IDs of the packets lbd originates, per protocol as RFC 6864 asks:
  // tunnel outer headers and ICMP errors; workers start 16384 apart.
  uint16_t tunnel_id_ = 0;
  uint16_t icmp_id_ = 0;
  uint64_t now_ms_ = 0;
  uint64_t last_hold_retry_ms_ = 0;
  uint64_t next_tap_poll_ = 0;  // TSC
};

}  // namespace lb::dataplane
