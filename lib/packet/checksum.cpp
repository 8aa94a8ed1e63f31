#include <lb/packet/checksum.h>

#include <lb/packet/addr.h>

namespace lb::packet {

uint32_t checksum_partial(std::span<const uint8_t> data, uint32_t initial) noexcept {
  uint64_t sum = initial;
  size_t i = 0;
  for (; i + 1 < data.size(); i += 2)
    sum += (uint32_t{data[i]} << 8) | data[i + 1];
  if (i < data.size()) sum += uint32_t{data[i]} << 8;
  while (sum >> 32)
    sum = (sum & 0xffffffff) + (sum >> 32);
  return static_cast<uint32_t>(sum);
}

uint16_t ipv4_header_checksum(std::span<const uint8_t> header) noexcept {
  return hton16(checksum_fold(checksum_partial(header)));
}

uint16_t ipv4_l4_checksum(uint32_t src_be, uint32_t dst_be, uint8_t proto,
                          std::span<const uint8_t> l4) noexcept {
  const uint32_t src = ntoh32(src_be);
  const uint32_t dst = ntoh32(dst_be);
  uint32_t sum = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto +
                 static_cast<uint32_t>(l4.size());
  return hton16(checksum_fold(checksum_partial(l4, sum)));
}

}  // namespace lb::packet
