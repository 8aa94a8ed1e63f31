// What the benchmark generator sends: the flows, the frame sizes and the
// frames themselves, each stamped so the receive side can tell which flow and
// packet it was, when it left, and whether lbd rewrote it correctly
// (verify.h).
//
// Pure and allocation-free after construction: the generator's transmit loop
// writes frames straight into mbufs with write_frame().
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <lb/packet/addr.h>

namespace lb::gen {

enum class Kind : uint8_t {
  kUdp,     // datagrams: established-flow forwarding once each flow has its connection
  kTcpSyn,  // a SYN per packet: every flow new, the connection rate
  kTcpAck,  // data segments of established connections (after a SYN per flow)
};

struct TrafficSpec {
  Kind kind = Kind::kUdp;
  uint32_t flows = 1;  // distinct (client address, client port) pairs
  // Flows are spread over `clients` consecutive addresses from client_base,
  // each using ports from kFirstClientPort up.
  packet::Ipv4Addr client_base = packet::Ipv4Addr::from_octets(198, 18, 0, 1);
  uint32_t clients = 256;
  packet::Ipv4Addr vip = packet::Ipv4Addr::from_octets(198, 18, 1, 100);
  uint16_t vport = 80;
  packet::MacAddr src_mac;  // the generator's port
  packet::MacAddr dst_mac;  // lbd's port
};

inline constexpr uint16_t kFirstClientPort = 1024;
inline constexpr uint8_t kSentTtl = 64;

struct FlowTuple {
  packet::Ipv4Addr addr;
  uint16_t port = 0;
  friend bool operator==(const FlowTuple&, const FlowTuple&) = default;
};

// Flow i's client address and port: address i % clients, port
// kFirstClientPort + i / clients (so up to clients x 64512 flows).
FlowTuple flow_tuple(const TrafficSpec& spec, uint32_t flow) noexcept;
// The largest flow count `spec.clients` addresses can carry.
uint64_t max_flows(const TrafficSpec& spec) noexcept;

// Frame sizes on the wire, FCS included (64..1518, as RFC 2544 and packet
// generators count them; the frame written is 4 bytes shorter): one size, or
// the simple IMIX (7 x 64, 4 x 570, 1 x 1518 bytes, interleaved).
class SizeMix {
 public:
  static SizeMix fixed(uint16_t wire_bytes);
  static SizeMix imix();
  uint16_t next() noexcept;  // cycles through the pattern
  double mean() const noexcept;
  std::span<const uint16_t> pattern() const noexcept { return pattern_; }

 private:
  std::vector<uint16_t> pattern_;
  size_t at_ = 0;
};

inline constexpr uint16_t kMinWireBytes = 64, kMaxWireBytes = 1518, kFcsBytes = 4;

// The payload's first bytes: which flow and packet, and the sender's clock.
struct [[gnu::packed]] Stamp {
  uint16_t magic;  // kStampMagic, network order
  uint32_t flow;   // host order (only the generator reads it)
  uint32_t seq;
  uint64_t tx_tsc;
};
inline constexpr uint16_t kStampMagic = 0x1bd0;
static_assert(sizeof(Stamp) == 18, "a 64-byte UDP frame carries exactly one stamp");

// Writes flow `flow`'s packet number `seq` of `wire_bytes` on the wire into
// `out`; returns the frame's length (wire_bytes - 4, at least the headers'
// size), or 0 when `out` is too small. A frame with room carries a Stamp
// (every UDP frame; TCP frames from 78 bytes on the wire), the rest of the
// payload a pattern; IPv4 and L4 checksums are valid.
size_t write_frame(std::span<uint8_t> out, const TrafficSpec& spec, uint32_t flow, uint32_t seq,
                   uint64_t tx_tsc, uint16_t wire_bytes) noexcept;

}  // namespace lb::gen
