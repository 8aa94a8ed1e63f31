// The flow key: what identifies a flow in the connection table and what a
// scheduler sees of a packet.
//
// 16 bytes with explicit zero padding: DPDK's hash functions read keys in 4-byte
// words, and an unpadded 13-byte key both trips ASan and hashes garbage.
// All fields are in network order, straight from the headers.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

namespace lb::packet {

struct FlowKeyV4 {
  uint32_t src = 0;
  uint32_t dst = 0;
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint8_t proto = 0;
  std::array<uint8_t, 3> pad{};

  friend bool operator==(const FlowKeyV4& a, const FlowKeyV4& b) noexcept {
    return std::memcmp(&a, &b, sizeof(FlowKeyV4)) == 0;
  }
};
static_assert(sizeof(FlowKeyV4) == 16, "flow key must stay a multiple of 4 bytes");

}  // namespace lb::packet
