// The generator's receive side: is a frame lbd forwarded the frame it should
// have made of the one the generator sent? Every fault has a name, so a
// benchmark run reports "1234 frames with bad_l4_checksum" rather than a
// rate that silently counts broken packets.
//
// Pure and allocation-free: runs per received frame.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <lb/gen/traffic.h>

namespace lb::gen {

enum class Method : uint8_t {
  kNat,          // destination rewritten to a real server's address and port, TTL - 1
  kDirectRoute,  // IP packet as sent (lbd rewrote the MACs only)
  kTunnel,       // the packet as sent inside IPIP to a real server
  kUnchanged,    // the frame as sent: testpmd io forwarding, the harness's own ceiling
};

struct Expectation {
  Method method = Method::kNat;
  TrafficSpec sent;                            // what the generator sent (flows, VIP, kind)
  std::vector<packet::Ipv4Addr> real_servers;  // NAT/TUN: the addresses allowed
  uint16_t real_port = 0;                      // NAT: the port (0: the VIP's port kept)
};

#define LB_GEN_FAULTS(X)                                                             \
  X(none, "forwarded as expected")                                                   \
  X(not_ipv4, "not an IPv4 frame, or its headers are cut short")                     \
  X(bad_ip_checksum, "IPv4 header checksum does not verify")                         \
  X(bad_l4_checksum, "TCP/UDP checksum does not verify (payload or ports damaged)")  \
  X(wrong_protocol, "another L4 protocol than sent")                                 \
  X(wrong_destination, "destination address or port not one lbd should have chosen") \
  X(wrong_source, "client address or port changed, or not the stamped flow's")       \
  X(wrong_ttl, "TTL not the sent one less one (NAT) or as sent")                     \
  X(wrong_outer, "IPIP outer header wrong (protocol, destination, length)")          \
  X(not_generated, "no stamp of this generator (not its traffic)")

enum class Fault : uint8_t {
#define LB_GEN_FAULT_ENUM(name, text) name,
  LB_GEN_FAULTS(LB_GEN_FAULT_ENUM)
#undef LB_GEN_FAULT_ENUM
      kCount
};

const char* fault_name(Fault fault) noexcept;         // "bad_l4_checksum"
const char* fault_description(Fault fault) noexcept;  // for the report

struct Received {
  Fault fault = Fault::none;
  uint32_t real_server = 0;  // index into Expectation::real_servers (NAT, TUN)
  bool stamped = false;      // a Stamp was read: flow, seq and tx_tsc are set
  uint32_t flow = 0;
  uint32_t seq = 0;
  uint64_t tx_tsc = 0;
};

Received verify_frame(std::span<const uint8_t> frame, const Expectation& expect) noexcept;

}  // namespace lb::gen
