// Per-worker counters: every packet a worker does not forward is counted under
// a named reason, and notable events are counted too. `lbctl stats` prints
// them all by name.
//
// Each worker owns one WorkerStats and is its only writer; the control thread
// reads them at any time. Counters are std::atomic with relaxed load+store
// (not fetch_add): with a single writer that compiles to plain moves, and
// readers never see torn values.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lb::dataplane {

// X(name, meaning) — the reasons a packet is dropped.
#define LB_DROP_REASONS(X)                                                                        \
  X(truncated_l2, "frame shorter than an Ethernet header")                                        \
  X(not_our_mac, "unicast frame for another host's MAC")                                          \
  X(not_ip, "EtherType other than IPv4 and ARP (IPv6, VLAN, LLDP, ...)")                          \
  X(bad_arp, "ARP that is not Ethernet/IPv4 or is truncated")                                     \
  X(arp_not_for_us, "ARP about addresses lbd does not own")                                       \
  X(bad_ip_header, "IPv4 version/IHL wrong or header beyond the frame")                           \
  X(bad_ip_length, "IPv4 total length inconsistent with the frame")                               \
  X(bad_ip_checksum, "IPv4 header checksum does not verify")                                      \
  X(fragment_unknown, "later fragment of a datagram whose first fragment lbd has not seen")       \
  X(truncated_l4, "TCP/UDP/ICMP header cut short")                                                \
  X(bad_l4_header, "TCP data offset or UDP length invalid")                                       \
  X(ttl_exceeded, "TTL 0 or 1 on a packet to be forwarded (ICMP time exceeded sent)")             \
  X(icmp_rate_limited, "an ICMP error lbd should send, over its rate limit")                      \
  X(bad_icmp_quote, "ICMP error quoting no well-formed IPv4 header (to a VIP or tunnel address)") \
  X(icmp_no_connection, "ICMP error to a VIP or tunnel address about no known connection")        \
  X(icmp_tunnel_error, "ICMP error about a tunnelled packet lbd cannot relay to a client")        \
  X(no_headroom, "no room in the buffer to add a tunnel header")                                  \
  X(no_service, "to a VIP, but no virtual service on that protocol/port")                         \
  X(no_real_server, "the scheduler found no available real server")                               \
  X(tcp_no_connection, "TCP without SYN (or with RST) and no connection")                         \
  X(conn_table_full, "new flow while the connection table is full")                               \
  X(conn_conflict, "new flow whose NAT reply key belongs to another connection")                  \
  X(conn_expiring, "packet of a connection being expired")                                        \
  X(dest_removed,                                                                                 \
    "reply of a connection flushed because its real server left (expire_nodest_conn)")            \
  X(vip_protocol, "to a VIP with a protocol lbd does not balance (not TCP/UDP/ICMP echo)")        \
  X(not_for_us, "not to a local address or VIP and not a reply of a connection")                  \
  X(no_route, "no port reaches the destination and there is no gateway")                          \
  X(neighbor_table_full, "no room to resolve another next hop")                                   \
  X(neighbor_unreachable, "next hop did not answer ARP")                                          \
  X(hold_queue_full, "next hop resolving and the hold queue is full")                             \
  X(no_mbuf, "packet buffer pool exhausted")                                                      \
  X(tx_full, "transmit queue full")                                                               \
  X(no_exception_path, "for the appliance itself, but the port has no exception path")            \
  X(exception_not_ipv4, "non-IPv4 frame from the kernel on an exception interface")               \
  X(too_big, "forwarded packet larger than the egress port's MTU")                                \
  X(multi_segment, "frame spanning several buffers (jumbo frames are not supported)")

// X(name, meaning) — events worth counting that are not drops.
#define LB_EVENTS(X)                                                                \
  X(arp_replies, "ARP requests for local addresses and VIPs answered")              \
  X(arp_requests, "ARP requests sent to resolve next hops")                         \
  X(arp_learned, "neighbors learned or refreshed from ARP")                         \
  X(icmp_echo_replies, "ICMP echo requests to local addresses/VIPs answered")       \
  X(conn_created, "connections created")                                            \
  X(templates_created, "persistence templates created")                             \
  X(conn_reused, "SYNs that reopened a closed connection to schedule it afresh")    \
  X(conn_flushed, "connections expired at a packet because their real server left") \
  X(one_packet, "datagrams scheduled one by one (one-packet services)")             \
  X(nat_in, "client packets DNATed to a real server")                               \
  X(dr_out, "client packets sent to a real server by direct routing")               \
  X(tunnel_out, "client packets sent to a real server through an IPIP tunnel")      \
  X(icmp_frag_needed_sent, "ICMP fragmentation-needed sent (path MTU)")             \
  X(icmp_time_exceeded_sent, "ICMP time exceeded sent (TTL 1)")                     \
  X(icmp_errors_translated, "ICMP errors about a connection passed on")             \
  X(fragments_forwarded, "later fragments sent after their first")                  \
  X(fragments_made, "fragments lbd cut from a too-large packet (DF clear)")         \
  X(nat_out, "real server replies SNATed back to the VIP")                          \
  X(to_kernel, "packets for the appliance passed to the exception path")            \
  X(from_kernel, "packets from the kernel sent out of a port")                      \
  X(held, "packets held while their next hop resolved")

enum class Drop : uint8_t {
#define LB_X(name, text) name,
  LB_DROP_REASONS(LB_X)
#undef LB_X
};
enum class Event : uint8_t {
#define LB_X(name, text) name,
  LB_EVENTS(LB_X)
#undef LB_X
};

#define LB_X(name, text) +1
inline constexpr size_t kDropCount = 0 LB_DROP_REASONS(LB_X);
inline constexpr size_t kEventCount = 0 LB_EVENTS(LB_X);
#undef LB_X

inline constexpr std::array<std::string_view, kDropCount> kDropNames = {
#define LB_X(name, text) #name,
    LB_DROP_REASONS(LB_X)
#undef LB_X
};
inline constexpr std::array<std::string_view, kEventCount> kEventNames = {
#define LB_X(name, text) #name,
    LB_EVENTS(LB_X)
#undef LB_X
};

class Counter {
 public:
  void add(uint64_t n = 1) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t get() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// One real server's traffic (a DestRegistry slot) as one worker saw it: the
// kernel's per-CPU struct ip_vs_cpu_stats. Each worker has an array of these
// indexed by slot; the control plane sums them (TrafficBook).
struct DestTraffic {
  Counter conns, inpkts, outpkts, inbytes, outbytes;

  void in(uint64_t ip_bytes) noexcept {
    inpkts.add();
    inbytes.add(ip_bytes);
  }
  void out(uint64_t ip_bytes) noexcept {
    outpkts.add();
    outbytes.add(ip_bytes);
  }
};

struct alignas(64) WorkerStats {
  Counter rx_packets, rx_bytes, tx_packets, tx_bytes;
  Counter busy_cycles, idle_cycles;  // TSC cycles in rounds that did / did not receive
  std::array<Counter, kDropCount> drops;
  std::array<Counter, kEventCount> events;

  void drop(Drop d, uint64_t n = 1) noexcept { drops[static_cast<size_t>(d)].add(n); }
  void event(Event e, uint64_t n = 1) noexcept { events[static_cast<size_t>(e)].add(n); }
};

}  // namespace lb::dataplane
