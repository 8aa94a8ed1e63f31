// Header fields as the rewrites touch them: unaligned loads and stores (a
// field's offset in a frame has no alignment guarantee), and an IPv4 address
// replaced together with its header checksum (RFC 1624). Private to lib/nat.
#pragma once

#include <cstdint>
#include <cstring>

#include <lb/packet/checksum.h>

namespace lb::nat::detail {

template <class T>
T load(const uint8_t* p) noexcept {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

template <class T>
void store(uint8_t* p, T v) noexcept {
  std::memcpy(p, &v, sizeof(T));
}

// Replaces the address at `addr` and updates the IPv4 header checksum at
// `check`; returns the old address.
inline uint32_t replace_address(uint8_t* addr, uint8_t* check, uint32_t new_be) noexcept {
  const uint32_t old = load<uint32_t>(addr);
  store(addr, new_be);
  store(check, packet::checksum_update32(load<uint16_t>(check), old, new_be));
  return old;
}

}  // namespace lb::nat::detail
