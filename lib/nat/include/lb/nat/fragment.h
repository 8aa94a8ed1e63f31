// IPv4 fragmentation (RFC 791) of a datagram too large for the egress MTU
// when its sender allowed it (DF clear): what a router does, and what IPVS
// lets the kernel do for an encapsulated packet.
//
// The caller copies each fragment's payload; this decides sizes and writes
// headers. Options without the "copied" flag stay in the first fragment only.
// Pure; allocation-free.
#pragma once

#include <cstdint>
#include <span>

namespace lb::nat {

// Payload bytes per fragment (a multiple of 8) for a header of `ihl` bytes.
constexpr uint16_t fragment_payload(uint16_t mtu, uint16_t ihl) noexcept {
  return static_cast<uint16_t>(((mtu - ihl) / 8) * 8);
}

// Writes into `out` the header of the fragment carrying `length` payload
// bytes at byte `offset` of `original`'s payload (original: the datagram's
// header, with its own fragment offset when it was already a fragment).
// `last`: no more fragments follow from this split. Returns the header length.
uint16_t write_fragment_header(std::span<uint8_t> out, std::span<const uint8_t> original_header,
                               uint16_t offset, uint16_t length, bool last) noexcept;

}  // namespace lb::nat
