#include <lb/nat/fragment.h>

#include <cstring>

#include <lb/packet/addr.h>
#include <lb/packet/checksum.h>
#include <lb/packet/wire.h>

namespace lb::nat {

uint16_t write_fragment_header(std::span<uint8_t> out, std::span<const uint8_t> original_header,
                               uint16_t offset, uint16_t length, bool last) noexcept {
  packet::Ipv4Hdr ip;
  std::memcpy(&ip, original_header.data(), sizeof(ip));
  const uint16_t frag = packet::ntoh16(ip.frag_off);
  const uint16_t base = static_cast<uint16_t>((frag & packet::kIpv4FragOffsetMask) * 8);
  size_t ihl = sizeof(ip);
  if (base + offset == 0) {
    ihl = ip.ihl_bytes();
    std::memcpy(out.data() + sizeof(ip), original_header.data() + sizeof(ip), ihl - sizeof(ip));
  } else {
    // Only options with the copied flag (0x80) go into later fragments.
    const uint8_t* opt = original_header.data() + sizeof(ip);
    const uint8_t* end = original_header.data() + ip.ihl_bytes();
    while (opt < end && *opt != 0) {
      const size_t len = *opt == 1 ? 1 : (opt + 1 < end ? opt[1] : 0);
      if (len == 0 || opt + len > end) break;
      if (*opt & 0x80) {
        std::memcpy(out.data() + ihl, opt, len);
        ihl += len;
      }
      opt += len;
    }
    while (ihl % 4 != 0)
      out[ihl++] = 0;  // end-of-options padding
  }
  // MF stays set on every piece of a datagram that was itself a non-last fragment.
  const bool more = !last || (frag & packet::kIpv4FlagMf) != 0;
  ip.version_ihl = static_cast<uint8_t>(0x40 | (ihl / 4));
  ip.total_length = packet::hton16(static_cast<uint16_t>(ihl + length));
  ip.frag_off = packet::hton16(static_cast<uint16_t>(
      (more ? packet::kIpv4FlagMf : 0) | (((base + offset) / 8) & packet::kIpv4FragOffsetMask)));
  ip.checksum = 0;
  std::memcpy(out.data(), &ip, sizeof(ip));
  const uint16_t sum = packet::ipv4_header_checksum(out.first(ihl));
  std::memcpy(out.data() + offsetof(packet::Ipv4Hdr, checksum), &sum, 2);
  return static_cast<uint16_t>(ihl);
}

}  // namespace lb::nat
