// Internet checksums (RFC 1071) and their incremental update (RFC 1624).
//
// Pure functions on byte ranges; callable from any thread, allocation-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace lb::packet {

// One's-complement sum of `data` (big-endian 16-bit words, odd tail padded with
// zero), added to `initial`. Not folded.
uint32_t checksum_partial(std::span<const uint8_t> data, uint32_t initial = 0) noexcept;

constexpr uint16_t checksum_fold(uint32_t sum) noexcept {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

// The IPv4 header checksum of a header (checksum field included: a valid
// header yields 0). Returned in network order, ready to store.
uint16_t ipv4_header_checksum(std::span<const uint8_t> header) noexcept;

// TCP/UDP checksum over the IPv4 pseudo-header and `l4` (checksum field must be
// zeroed by the caller, or the result is the verification value 0). Addresses
// in network order; result in network order.
uint16_t ipv4_l4_checksum(uint32_t src_be, uint32_t dst_be, uint8_t proto,
                          std::span<const uint8_t> l4) noexcept;

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). `check` and the values are in
// network order as stored in the packet; the result is too. 16-bit and 32-bit
// field variants.
constexpr uint16_t checksum_update16(uint16_t check, uint16_t old_be, uint16_t new_be) noexcept {
  // Work in the stored byte order: one's-complement sums are byte-order
  // independent as long as every term uses the same order.
  uint32_t sum = static_cast<uint16_t>(~check) +
                 static_cast<uint32_t>(static_cast<uint16_t>(~old_be)) + new_be;
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

constexpr uint16_t checksum_update32(uint16_t check, uint32_t old_be, uint32_t new_be) noexcept {
  check = checksum_update16(check, static_cast<uint16_t>(old_be >> 16),
                            static_cast<uint16_t>(new_be >> 16));
  return checksum_update16(check, static_cast<uint16_t>(old_be & 0xffff),
                           static_cast<uint16_t>(new_be & 0xffff));
}

}  // namespace lb::packet
