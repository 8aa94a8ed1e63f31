// IPVS's TCP connection states and transition table
// (net/netfilter/ipvs/ip_vs_proto_tcp.c, tcp_states[], Linux 6.12).
//
// A connection moves on every packet by (direction, flag class, current
// state). lbd follows the kernel table exactly, because ActiveConn/InActConn
// and the lc/wlc family of schedulers depend on when a connection counts as
// active. Pure; callable from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace lb::conn {

// Order and names as the kernel's tcp_state_name_table (ipvsadm -c prints them).
enum class TcpState : uint8_t {
  kNone,
  kEstablished,
  kSynSent,
  kSynRecv,
  kFinWait,
  kTimeWait,
  kClose,
  kCloseWait,
  kLastAck,
  kListen,
  kSynAck,
};
inline constexpr size_t kTcpStateCount = 11;

// Which way a packet travels, as the kernel's table rows see it.
enum class Direction : uint8_t {
  kInput,      // client -> real server
  kOutput,     // real server -> client (only seen with NAT)
  kInputOnly,  // client -> real server while no reply has been seen (DR, TUN)
};

std::string_view to_string(TcpState s) noexcept;

// ESTABLISHED, SYN_SENT, SYN_RECV and SYNACK count as active (Linux >= 4.8).
constexpr bool is_active(TcpState s) noexcept {
  return s == TcpState::kEstablished || s == TcpState::kSynSent || s == TcpState::kSynRecv ||
         s == TcpState::kSynAck;
}

// The state after a packet with TCP `flags` (wire bits: FIN 0x01, SYN 0x02,
// RST 0x04, ACK 0x10) travelling in `dir`. A packet with none of SYN, FIN,
// ACK, RST moves the connection to CLOSE, as in the kernel.
TcpState next_tcp_state(TcpState current, Direction dir, uint8_t flags) noexcept;

// Per-state timeouts in milliseconds; defaults are the kernel's tcp_timeouts.
struct Timeouts {
  std::array<uint32_t, kTcpStateCount> tcp_ms = {
      2000,    // NONE
      900000,  // ESTABLISHED
      120000,  // SYN_SENT
      60000,   // SYN_RECV
      120000,  // FIN_WAIT
      120000,  // TIME_WAIT
      10000,   // CLOSE
      60000,   // CLOSE_WAIT
      30000,   // LAST_ACK
      120000,  // LISTEN
      120000,  // SYNACK
  };
  uint32_t udp_ms = 300000;
  uint32_t icmp_ms = 60000;

  uint32_t tcp(TcpState s) const noexcept { return tcp_ms[static_cast<size_t>(s)]; }

  // Every timeout by its index in kTimeoutNames.
  uint32_t& by_index(size_t i) noexcept {
    return i < kTcpStateCount ? tcp_ms[i] : i == kTcpStateCount ? udp_ms : icmp_ms;
  }
  uint32_t by_index(size_t i) const noexcept { return const_cast<Timeouts&>(*this).by_index(i); }
  friend bool operator==(const Timeouts&, const Timeouts&) = default;
};

// The longest timeout an operator may set, in seconds: 31 days, ipvsadm's
// limit for --set and -p.
inline constexpr uint32_t kMaxTimeoutS = 2678400;

// The timeouts' names where operators set them (connections.timeouts in the
// YAML, lbctl set): the TCP states' kernel names in lower case, in TcpState
// order, then UDP and ICMP.
inline constexpr std::array<std::string_view, kTcpStateCount + 2> kTimeoutNames = {
    "none",       "established", "syn_sent", "syn_recv", "fin_wait", "time_wait", "close",
    "close_wait", "last_ack",    "listen",   "synack",   "udp",      "icmp",
};

}  // namespace lb::conn
