// An independent, deliberately naive Internet checksum (RFC 1071 section 4.1's
// reference loop), used to verify what lbd's libraries compute and rewrite.
// It shares no code with lib/packet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lb::test {

inline uint16_t reference_checksum(const uint8_t* data, size_t len, uint32_t sum = 0) {
  while (len > 1) {
    sum += static_cast<uint32_t>(data[0] << 8 | data[1]);
    data += 2;
    len -= 2;
  }
  if (len > 0) sum += static_cast<uint32_t>(data[0] << 8);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

inline uint16_t reference_ipv4_header_checksum(const std::vector<uint8_t>& frame, size_t l3_off) {
  const size_t ihl = (frame[l3_off] & 0x0f) * 4u;
  return reference_checksum(frame.data() + l3_off, ihl);
}

// Verifies a TCP/UDP/ICMP checksum of an IPv4 frame: true when it is valid (or
// UDP without a checksum).
inline bool reference_l4_checksum_ok(const std::vector<uint8_t>& frame, size_t l3_off) {
  const uint8_t* ip = frame.data() + l3_off;
  const size_t ihl = (ip[0] & 0x0f) * 4u;
  const size_t total = static_cast<size_t>(ip[2] << 8 | ip[3]);
  const uint8_t proto = ip[9];
  const uint8_t* l4 = ip + ihl;
  const size_t l4_len = total - ihl;
  if (proto == 1) return reference_checksum(l4, l4_len) == 0;
  if (proto == 17 && l4[6] == 0 && l4[7] == 0) return true;
  uint32_t pseudo = 0;
  for (int i = 12; i < 20; i += 2)
    pseudo += static_cast<uint32_t>(ip[i] << 8 | ip[i + 1]);
  pseudo += proto;
  pseudo += static_cast<uint32_t>(l4_len);
  return reference_checksum(l4, l4_len, pseudo) == 0;
}

}  // namespace lb::test
