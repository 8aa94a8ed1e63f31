#include <lb/packet/addr.h>

#include <charconv>

#include <fmt/format.h>

namespace lb::packet {

namespace {

// Parses a decimal number in [0, max] that spans the whole of `text`.
std::optional<uint32_t> parse_decimal(std::string_view text, uint32_t max) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value > max) return std::nullopt;
  // Reject leading zeros ("010") which inet_aton would read as octal.
  if (text.size() > 1 && text[0] == '0') return std::nullopt;
  return value;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string Ipv4Addr::to_string() const {
  const uint32_t h = host();
  return fmt::format("{}.{}.{}.{}", h >> 24, (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff);
}

std::optional<Ipv4Addr> Ipv4Addr::parse(std::string_view text) {
  uint32_t h = 0;
  for (int i = 0; i < 4; ++i) {
    const size_t dot = text.find('.');
    const bool last = i == 3;
    if (last != (dot == std::string_view::npos)) return std::nullopt;
    auto octet = parse_decimal(text.substr(0, dot), 255);
    if (!octet) return std::nullopt;
    h = (h << 8) | *octet;
    if (!last) text.remove_prefix(dot + 1);
  }
  return Ipv4Addr::from_host(h);
}

std::string Ipv4Prefix::to_string() const {
  return fmt::format("{}/{}", addr.to_string(), len);
}

std::optional<Ipv4Prefix> Ipv4Prefix::parse(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto addr = Ipv4Addr::parse(text.substr(0, slash));
  auto len = parse_decimal(text.substr(slash + 1), 32);
  if (!addr || !len) return std::nullopt;
  return Ipv4Prefix{*addr, static_cast<uint8_t>(*len)};
}

std::string MacAddr::to_string() const {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", bytes[0], bytes[1], bytes[2],
                     bytes[3], bytes[4], bytes[5]);
}

std::optional<MacAddr> MacAddr::parse(std::string_view text) {
  if (text.size() != 17) return std::nullopt;
  MacAddr mac;
  for (size_t i = 0; i < 6; ++i) {
    const int hi = hex_digit(text[i * 3]);
    const int lo = hex_digit(text[i * 3 + 1]);
    if (hi < 0 || lo < 0 || (i < 5 && text[i * 3 + 2] != ':')) return std::nullopt;
    mac.bytes[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return mac;
}

}  // namespace lb::packet
