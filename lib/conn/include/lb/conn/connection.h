// The connection record: one per flow, in the data plane's preallocated pool,
// found through the connection table by its client-side key and (NAT) its
// real-server-side key.
//
// Threads: the worker that creates a connection writes its immutable fields
// before inserting its keys (rte_hash publishes them with release ordering).
// After that any worker may update `state` and `expires_ms` (packets of one
// flow can arrive on two workers: one per direction), and the control thread's
// sweeper may expire it. Every state change is a compare-and-swap on `state`,
// and whoever wins a change adjusts the real server's counters, so
// ActiveConn/InActConn stay exact under concurrency. kDead is terminal: once
// the sweeper has claimed a connection nobody changes it again.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

#include <lb/conn/tcp_state.h>
#include <lb/packet/flow_key.h>
#include <lb/packet/wire.h>
#include <lb/sched/dest.h>

namespace lb::conn {

// The state byte: a TcpState for TCP, or one of these.
inline constexpr uint8_t kStateUdp = 16;
inline constexpr uint8_t kStateIcmp = 17;
inline constexpr uint8_t kStateFree = 254;  // in the pool, not in use
inline constexpr uint8_t kStateDead = 255;  // expired, keys being removed, awaiting reclaim

std::string_view state_name(uint8_t state) noexcept;  // "ESTABLISHED", "UDP", ...

struct alignas(64) Connection {
  // Immutable while the connection is in use.
  packet::FlowKeyV4 client;  // as received: client -> VIP:vport
  uint32_t rs_addr_be = 0;
  uint16_t rs_port_be = 0;
  sched::ForwardMethod forward = sched::ForwardMethod::kNat;
  uint32_t service_id = 0;
  uint32_t dest_slot = 0;
  uint32_t sched_generation = 0;  // DestCounters::bind's generation
  sched::DestCounters* counters = nullptr;

  std::atomic<uint8_t> state{kStateFree};
  // Connection-table keys that still refer to this record, including deleted
  // keys whose grace period has not ended; the record is reused at zero.
  std::atomic<uint8_t> table_keys{0};
  std::atomic<uint64_t> expires_ms{0};

  // The key of the real server's replies: real server -> client.
  packet::FlowKeyV4 reply_key() const noexcept {
    packet::FlowKeyV4 k;
    k.src = rs_addr_be;
    k.dst = client.src;
    k.sport = rs_port_be;
    k.dport = client.sport;
    k.proto = client.proto;
    return k;
  }

  // Fills a free connection for a new flow and binds it to its real server
  // (total++, and active++ when the first packet makes it active). The first
  // packet is accounted here, so the caller must not also call on_packet for it.
  void open(const packet::FlowKeyV4& key, const sched::Dest& dest, uint32_t service,
            uint8_t tcp_flags, uint64_t now_ms, const Timeouts& timeouts) noexcept {
    client = key;
    rs_addr_be = dest.addr.be;
    rs_port_be = dest.port_be;
    forward = dest.forward;
    service_id = service;
    dest_slot = dest.id;
    counters = dest.counters;
    const uint8_t first = initial_state(key.proto, tcp_flags);
    sched_generation = counters->bind(counts_active(key.proto, first));
    expires_ms.store(now_ms + timeout_of(first, timeouts), std::memory_order_relaxed);
    state.store(first, std::memory_order_release);
  }

  // A packet of this flow: moves the TCP state (adjusting the real server's
  // active count when it crosses active/inactive) and restarts the timer with
  // the new state's timeout. Returns false when the connection is dead.
  bool on_packet(Direction dir, uint8_t tcp_flags, uint64_t now_ms,
                 const Timeouts& timeouts) noexcept {
    uint8_t cur = state.load(std::memory_order_acquire);
    uint8_t next = cur;
    for (;;) {
      if (cur == kStateDead || cur == kStateFree) return false;
      if (client.proto != packet::kIpProtoTcp) break;
      next = static_cast<uint8_t>(next_tcp_state(static_cast<TcpState>(cur), dir, tcp_flags));
      if (next == cur) break;
      if (state.compare_exchange_weak(cur, next, std::memory_order_acq_rel)) {
        const bool was = is_active(static_cast<TcpState>(cur));
        const bool now = is_active(static_cast<TcpState>(next));
        if (was != now) counters->set_active(now, sched_generation);
        break;
      }
    }
    expires_ms.store(now_ms + timeout_of(next, timeouts), std::memory_order_relaxed);
    return true;
  }

  // The sweeper's claim: when the connection's time is up, marks it dead and
  // unbinds it from its real server. Returns the state it died in, or nullopt
  // when it is not due (or not in use).
  std::optional<uint8_t> expire_if_due(uint64_t now_ms) noexcept {
    uint8_t cur = state.load(std::memory_order_acquire);
    do {
      if (cur == kStateDead || cur == kStateFree) return std::nullopt;
      if (now_ms < expires_ms.load(std::memory_order_relaxed)) return std::nullopt;
    } while (!state.compare_exchange_weak(cur, kStateDead, std::memory_order_acq_rel));
    counters->unbind(counts_active(client.proto, cur), sched_generation);
    return cur;
  }

  // Undoes open() for a connection that never became visible (its keys could
  // not be inserted). Only its creator may call this.
  void abandon() noexcept {
    const uint8_t cur = state.exchange(kStateDead, std::memory_order_acq_rel);
    counters->unbind(counts_active(client.proto, cur), sched_generation);
  }

  // The state a flow's first packet (client -> server) puts it in: the
  // kernel creates it in NONE and applies the packet's transition at once.
  static uint8_t initial_state(uint8_t proto, uint8_t tcp_flags) noexcept {
    if (proto == packet::kIpProtoTcp) {
      return static_cast<uint8_t>(next_tcp_state(TcpState::kNone, Direction::kInput, tcp_flags));
    }
    return proto == packet::kIpProtoIcmp ? kStateIcmp : kStateUdp;
  }
  static bool counts_active(uint8_t proto, uint8_t state) noexcept {
    return proto == packet::kIpProtoTcp && state < kTcpStateCount &&
           is_active(static_cast<TcpState>(state));
  }
  static uint32_t timeout_of(uint8_t state, const Timeouts& timeouts) noexcept {
    if (state == kStateUdp) return timeouts.udp_ms;
    if (state == kStateIcmp) return timeouts.icmp_ms;
    return timeouts.tcp(static_cast<TcpState>(state));
  }
};

}  // namespace lb::conn
