// Addresses as the data plane and the control plane both see them.
//
// Ipv4Addr keeps the network-order value (what is on the wire and in flow keys),
// so hot-path code copies addresses without swapping; host() is for arithmetic
// (prefix math, sorting) on the control side.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lb::packet {

constexpr uint16_t bswap16(uint16_t v) noexcept {
  return static_cast<uint16_t>((v << 8) | (v >> 8));
}
constexpr uint32_t bswap32(uint32_t v) noexcept {
  return __builtin_bswap32(v);
}
// Network <-> host order (the build targets little-endian x86-64 and arm64).
constexpr uint16_t hton16(uint16_t v) noexcept {
  return bswap16(v);
}
constexpr uint16_t ntoh16(uint16_t v) noexcept {
  return bswap16(v);
}
constexpr uint32_t hton32(uint32_t v) noexcept {
  return bswap32(v);
}
constexpr uint32_t ntoh32(uint32_t v) noexcept {
  return bswap32(v);
}

struct Ipv4Addr {
  uint32_t be = 0;  // network byte order

  static constexpr Ipv4Addr from_host(uint32_t h) noexcept { return Ipv4Addr{hton32(h)}; }
  static constexpr Ipv4Addr from_octets(uint8_t a, uint8_t b, uint8_t c, uint8_t d) noexcept {
    return from_host((uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | d);
  }
  constexpr uint32_t host() const noexcept { return ntoh32(be); }
  constexpr bool is_zero() const noexcept { return be == 0; }
  constexpr bool is_multicast() const noexcept { return (host() >> 28) == 0xe; }  // 224.0.0.0/4
  constexpr bool is_limited_broadcast() const noexcept { return be == 0xffffffff; }

  friend constexpr bool operator==(Ipv4Addr a, Ipv4Addr b) noexcept { return a.be == b.be; }
  // Ordered numerically (host order), as operators read addresses.
  friend constexpr std::strong_ordering operator<=>(Ipv4Addr a, Ipv4Addr b) noexcept {
    return a.host() <=> b.host();
  }

  std::string to_string() const;
  // Dotted quad only ("a.b.c.d", each 0..255); nullopt otherwise.
  static std::optional<Ipv4Addr> parse(std::string_view text);
};

struct Ipv4Prefix {
  Ipv4Addr addr;  // the configured address (host bits kept: "198.18.1.1/24")
  uint8_t len = 32;

  constexpr uint32_t mask_host() const noexcept {
    return len == 0 ? 0 : ~uint32_t{0} << (32 - len);
  }
  constexpr bool contains(Ipv4Addr a) const noexcept {
    return ((a.host() ^ addr.host()) & mask_host()) == 0;
  }
  // The subnet's directed broadcast address (none for /31 and /32).
  constexpr bool is_broadcast(Ipv4Addr a) const noexcept {
    return len < 31 && a.host() == (addr.host() | ~mask_host());
  }
  std::string to_string() const;
  // "a.b.c.d/len"; nullopt when malformed.
  static std::optional<Ipv4Prefix> parse(std::string_view text);
};

struct MacAddr {
  std::array<uint8_t, 6> bytes{};

  constexpr bool is_zero() const noexcept {
    return (bytes[0] | bytes[1] | bytes[2] | bytes[3] | bytes[4] | bytes[5]) == 0;
  }
  constexpr bool is_broadcast() const noexcept {
    return (bytes[0] & bytes[1] & bytes[2] & bytes[3] & bytes[4] & bytes[5]) == 0xff;
  }
  constexpr bool is_multicast() const noexcept { return (bytes[0] & 1) != 0; }
  friend constexpr bool operator==(const MacAddr&, const MacAddr&) noexcept = default;

  static constexpr MacAddr broadcast() noexcept {
    return MacAddr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
  }
  // RFC 1112: 01:00:5e followed by the low 23 bits of the group address.
  static constexpr MacAddr multicast(Ipv4Addr group) noexcept {
    const uint32_t h = group.host();
    return MacAddr{{0x01, 0x00, 0x5e, static_cast<uint8_t>((h >> 16) & 0x7f),
                    static_cast<uint8_t>(h >> 8), static_cast<uint8_t>(h)}};
  }
  std::string to_string() const;
  // "aa:bb:cc:dd:ee:ff"; nullopt when malformed.
  static std::optional<MacAddr> parse(std::string_view text);
};

}  // namespace lb::packet
