// The connection record: one per flow, and one per persistence template, in
// the data plane's preallocated pool, found through the connection table by
// its keys.
//
// A flow has a client-side key (client -> VIP) and, for NAT, a
// real-server-side key (real server -> client). A persistence template (the
// kernel's IP_VS_CONN_F_TEMPLATE) has one key, template_key(): <protocol,
// client network, VIP or mark, port or 0>, and names the real server every
// new connection of that client network goes to while it lives.
//
// Threads: the worker that creates a record writes its plain fields before
// inserting its keys (rte_hash publishes them with release ordering). After
// that any worker may update the atomics (packets of one flow can arrive on
// two workers, one per direction), and the control thread's sweeper may
// expire it. Every state change is a compare-and-swap on `state`, and whoever
// wins it adjusts the real server's counters, so ActiveConn/InActConn stay
// exact under concurrency. kStateDead is terminal.
//
// Fragment records: the first fragment of a datagram carries the ports and
// is forwarded like its flow; later fragments carry only addresses and the IP
// ID. A fragment record, keyed by <source, destination, protocol, ID>, holds
// the decision taken for the first fragment (where to, which rewrite) so that
// later fragments follow it to the same real server on any worker.
//
// Templates: `n_control` counts the live connections a template controls; a
// template with controlled connections is never expired (the kernel re-arms
// it for 60 s instead). The sweeper kills a template by swapping n_control
// from 0 to kTemplateDead, so a worker acquiring it (n_control + 1) and the
// sweeper can never both win.
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
inline constexpr uint8_t kStateTemplate = 18;  // a persistence template
inline constexpr uint8_t kStateFragment = 19;  // a fragment record
inline constexpr uint8_t kStateFree = 254;     // in the pool, not in use
inline constexpr uint8_t kStateDead = 255;     // expired, keys being removed, awaiting reclaim

// FlowKeyV4::pad[0] of template and fragment keys: they never collide with flows.
inline constexpr uint8_t kTemplateKeyTag = 1;
inline constexpr uint8_t kFragmentKeyTag = 2;
// How long later fragments may trail their first (the kernel's ipfrag_time is 30 s;
// on a LAN fragments arrive within milliseconds).
inline constexpr uint32_t kFragmentTimeoutMs = 10000;
inline constexpr uint32_t kTemplateDead = 0xffffffff;
// A template that outlives its timeout while controlling connections is
// re-armed with this timeout, which then stays its timeout (ip_vs_conn.c).
inline constexpr uint32_t kTemplateRearmMs = 60000;

std::string_view state_name(uint8_t state) noexcept;  // "ESTABLISHED", "UDP", ...

struct alignas(64) Connection {
  // --- immutable while in use ---
  packet::FlowKeyV4 client;  // flow: as received (client -> VIP:vport); template: its key
  uint32_t rs_addr_be = 0;   // flow only
  uint16_t rs_port_be = 0;   // flow only
  sched::ForwardMethod forward = sched::ForwardMethod::kNat;
  std::atomic<uint8_t> state{kStateFree};
  // Connection-table keys that still refer to this record, including deleted
  // keys whose grace period has not ended; the record is reused at zero.
  std::atomic<uint8_t> table_keys{0};
  // Fragment record: later fragments get their source (a reply's) rather than
  // their destination rewritten to rs_addr_be.
  bool rewrite_source = false;
  // Template: a connection it controls reached ESTABLISHED or saw a UDP reply
  // (the kernel's IP_VS_CTPL_S_ASSURED; ipvsadm -c shows it).
  std::atomic<bool> assured{false};
  // The real server (registry slot). Fixed for a flow; a template is rebound
  // when its server leaves the service.
  std::atomic<uint32_t> dest_slot{0};
  uint32_t sched_generation = 0;            // flow: DestCounters::bind's generation
  uint32_t control = 0;                     // flow: pool index + 1 of its template, 0 = none
  std::atomic<uint32_t> n_control{0};       // template: live connections it controls
  std::atomic<uint32_t> timeout_ms{0};      // template: its current timeout
  sched::DestCounters* counters = nullptr;  // flow only
  std::atomic<uint64_t> expires_ms{0};

  bool is_template() const noexcept { return client.pad[0] == kTemplateKeyTag; }

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

  // --- flows ---
  // Fills a free record for a new flow's first packet and binds it to its
  // real server (active when that packet makes it so). `rs_port_be` is the
  // real server's port, or the packet's when the server keeps the port. The
  // first packet is accounted here: the caller must not also call on_packet.
  void open(const packet::FlowKeyV4& key, const sched::Dest& dest, uint16_t rs_port,
            uint32_t control_index, uint8_t tcp_flags, uint64_t now_ms,
            const Timeouts& timeouts) noexcept {
    client = key;
    rs_addr_be = dest.addr.be;
    rs_port_be = rs_port;
    forward = dest.forward;
    dest_slot.store(dest.id, std::memory_order_relaxed);
    counters = dest.counters;
    control = control_index;
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

  // The sweeper's claim on a due flow: marks it dead and unbinds it from its
  // real server. Returns the state it died in, or nullopt when it is not due
  // (or not a flow in use). The caller then releases its template, if any.
  std::optional<uint8_t> expire_if_due(uint64_t now_ms) noexcept { return claim(now_ms, false); }
  // The same claim whether due or not (the kernel's ip_vs_conn_expire_now):
  // a worker reopening a closed connection, or flushing one whose real
  // server left. Exactly one of any racing claims wins.
  std::optional<uint8_t> expire_now() noexcept { return claim(0, true); }
  bool is_flow() const noexcept { return is_flow_state(state.load(std::memory_order_acquire)); }
  // A live flow's state: a TCP state, UDP or ICMP (not free, dead, a
  // template or a fragment record).
  static constexpr bool is_flow_state(uint8_t st) noexcept {
    return st != kStateDead && st != kStateFree && st != kStateTemplate && st != kStateFragment;
  }

  // Undoes open() for a flow that never became visible (its keys could not
  // be inserted). Only its creator may call this.
  void abandon() noexcept {
    const uint8_t cur = state.exchange(kStateDead, std::memory_order_acq_rel);
    counters->unbind(counts_active(client.proto, cur), sched_generation);
  }

  // --- templates ---
  // Fills a free record as a template for `dest`, already controlling the
  // connection its creator is about to open (n_control = 1).
  void open_template(const packet::FlowKeyV4& key, const sched::Dest& dest, uint32_t timeout,
                     uint64_t now_ms) noexcept {
    client = key;
    assured.store(false, std::memory_order_relaxed);
    dest_slot.store(dest.id, std::memory_order_relaxed);
    dest.counters->persist.fetch_add(1, std::memory_order_relaxed);
    n_control.store(1, std::memory_order_relaxed);
    timeout_ms.store(timeout, std::memory_order_relaxed);
    expires_ms.store(now_ms + timeout, std::memory_order_relaxed);
    state.store(kStateTemplate, std::memory_order_release);
  }
  // A worker takes the template for one more connection (or a one-packet
  // datagram, with `hold` false: nothing to release later) and restarts its
  // timer with its full timeout (ip_vs_conn_put on the template). False when
  // the sweeper has already killed it.
  bool acquire_template(uint64_t now_ms, bool hold) noexcept {
    uint32_t n = n_control.load(std::memory_order_acquire);
    do {
      if (n == kTemplateDead) return false;
    } while (hold && !n_control.compare_exchange_weak(n, n + 1, std::memory_order_acq_rel));
    expires_ms.store(now_ms + timeout_ms.load(std::memory_order_relaxed),
                     std::memory_order_relaxed);
    return true;
  }
  void release_template() noexcept { n_control.fetch_sub(1, std::memory_order_acq_rel); }
  // Points the template at another real server (its own left the service),
  // moving the PersistConn count. `from` is the server it pointed at.
  void rebind_template(uint32_t from_slot, sched::DestCounters* from,
                       const sched::Dest& to) noexcept {
    uint32_t expected = from_slot;
    if (dest_slot.compare_exchange_strong(expected, to.id, std::memory_order_acq_rel)) {
      from->persist.fetch_sub(1, std::memory_order_relaxed);
      to.counters->persist.fetch_add(1, std::memory_order_relaxed);
    }
  }
  // The sweeper's claim on a template: when due and controlling nothing it
  // dies (true; the caller unbinds PersistConn and removes its key); when due
  // but still controlling connections it is re-armed for 60 s.
  bool expire_template_if_due(uint64_t now_ms) noexcept {
    if (state.load(std::memory_order_acquire) != kStateTemplate) return false;
    if (now_ms < expires_ms.load(std::memory_order_relaxed)) return false;
    uint32_t idle = 0;
    if (n_control.compare_exchange_strong(idle, kTemplateDead, std::memory_order_acq_rel)) {
      state.store(kStateDead, std::memory_order_release);
      return true;
    }
    timeout_ms.store(kTemplateRearmMs, std::memory_order_relaxed);
    expires_ms.store(now_ms + kTemplateRearmMs, std::memory_order_relaxed);
    return false;
  }

  // --- fragment records ---
  // `target_be`: the address later fragments are rewritten to (NAT) or sent
  // to (DR, tunnel).
  void open_fragment(const packet::FlowKeyV4& key, uint32_t target_be, sched::ForwardMethod method,
                     bool source, uint64_t now_ms) noexcept {
    client = key;
    rs_addr_be = target_be;
    forward = method;
    rewrite_source = source;
    expires_ms.store(now_ms + kFragmentTimeoutMs, std::memory_order_relaxed);
    state.store(kStateFragment, std::memory_order_release);
  }
  // A later datagram reusing the record's IP ID (a sender's 16-bit IDs wrap):
  // its first fragment decides where the later ones go from now on. Another
  // worker may be reading the record, hence the atomic stores.
  void retarget_fragment(uint32_t target_be, sched::ForwardMethod method, bool source,
                         uint64_t now_ms) noexcept {
    std::atomic_ref(rs_addr_be).store(target_be, std::memory_order_relaxed);
    std::atomic_ref(forward).store(method, std::memory_order_relaxed);
    std::atomic_ref(rewrite_source).store(source, std::memory_order_relaxed);
    expires_ms.store(now_ms + kFragmentTimeoutMs, std::memory_order_relaxed);
  }
  struct FragmentTarget {
    uint32_t addr_be;
    sched::ForwardMethod method;
    bool rewrite_source;
  };
  FragmentTarget fragment_target() noexcept {
    return {std::atomic_ref(rs_addr_be).load(std::memory_order_relaxed),
            std::atomic_ref(forward).load(std::memory_order_relaxed),
            std::atomic_ref(rewrite_source).load(std::memory_order_relaxed)};
  }
  bool expire_fragment_if_due(uint64_t now_ms) noexcept {
    uint8_t cur = kStateFragment;
    return now_ms >= expires_ms.load(std::memory_order_relaxed) &&
           state.compare_exchange_strong(cur, kStateDead, std::memory_order_acq_rel);
  }

  // Template: a connection it controls is now established (or a UDP one
  // saw its reply). Written once; later calls only read.
  void assure() noexcept {
    if (!assured.load(std::memory_order_relaxed)) assured.store(true, std::memory_order_relaxed);
  }

  // The state a flow's first packet (client -> server) puts it in: the
  // kernel creates it in NONE and applies the packet's transition at once.
  static uint8_t initial_state(uint8_t proto, uint8_t tcp_flags) noexcept {
    if (proto == packet::kIpProtoTcp) {
      return static_cast<uint8_t>(next_tcp_state(TcpState::kNone, Direction::kInput, tcp_flags));
    }
    return proto == packet::kIpProtoIcmp ? kStateIcmp : kStateUdp;
  }
  static bool counts_active(uint8_t proto, uint8_t st) noexcept {
    return proto == packet::kIpProtoTcp && st < kTcpStateCount &&
           is_active(static_cast<TcpState>(st));
  }
  static uint32_t timeout_of(uint8_t st, const Timeouts& timeouts) noexcept {
    if (st == kStateUdp) return timeouts.udp_ms;
    if (st == kStateIcmp) return timeouts.icmp_ms;
    return timeouts.tcp(static_cast<TcpState>(st));
  }

 private:
  std::optional<uint8_t> claim(uint64_t now_ms, bool force) noexcept {
    uint8_t cur = state.load(std::memory_order_acquire);
    do {
      if (!is_flow_state(cur)) return std::nullopt;
      if (!force && now_ms < expires_ms.load(std::memory_order_relaxed)) return std::nullopt;
    } while (!state.compare_exchange_weak(cur, kStateDead, std::memory_order_acq_rel));
    counters->unbind(counts_active(client.proto, cur), sched_generation);
    return cur;
  }
};
static_assert(sizeof(Connection) == 64, "a connection record is one cache line");

// The template key of a new connection of `flow` to a persistent service
// (ip_vs_sched_persist): the client's address under the persistence netmask,
// port 0; the VIP and the service port, except that FTP (port 21) and port-0
// services key on port 0 (one template for every port), and firewall-mark
// services key on <protocol 0, the mark as address, port 0>.
packet::FlowKeyV4 template_key(const packet::FlowKeyV4& flow,
                               const sched::ServiceSpec& service) noexcept;

}  // namespace lb::conn

namespace lb::conn {

// The key of a datagram's fragment record: <source, destination, protocol,
// IP ID (network order, in the source-port field)>, tagged so it never
// equals a flow's or a template's key.
constexpr packet::FlowKeyV4 fragment_key(uint32_t src_be, uint32_t dst_be, uint8_t proto,
                                         uint16_t id_be) noexcept {
  packet::FlowKeyV4 k;
  k.src = src_be;
  k.dst = dst_be;
  k.sport = id_be;
  k.proto = proto;
  k.pad[0] = kFragmentKeyTag;
  return k;
}

}  // namespace lb::conn
