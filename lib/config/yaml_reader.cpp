#include "yaml_reader.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

namespace lb::config::detail {

namespace {

// Null nodes carry the position of the token after them (often the next
// line), so an empty value is placed at its key or list instead.
Pos value_pos(const YAML::Node& value, Pos fallback) {
  if (value.IsNull()) return fallback;
  const Pos pos = pos_of(value);
  return pos.line == 0 ? fallback : pos;
}

// Plain scalars are resolved by the YAML schema ("?" = untagged); quoted ones
// carry the non-specific tag "!" and are strings whatever they look like.
bool is_plain_or_tagged(const YAML::Node& node, std::string_view tag) {
  return node.Tag() == "?" || node.Tag() == tag;
}

constexpr std::string_view kIntTag = "tag:yaml.org,2002:int";
constexpr std::string_view kBoolTag = "tag:yaml.org,2002:bool";

// An optional sign then decimal digits, the whole text. Hex, octal and
// underscores (YAML 1.1 forms) are not accepted: no one writes a port in hex.
enum class Decimal { kNotANumber, kOutOfRange, kOk };
Decimal parse_decimal(std::string_view text, int64_t& value) {
  std::string_view digits = text;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.remove_prefix(1);
  if (digits.empty() ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Decimal::kNotANumber;
  }
  if (text[0] == '+') text.remove_prefix(1);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) return Decimal::kOutOfRange;
  if (ec != std::errc{} || end != text.data() + text.size()) return Decimal::kNotANumber;
  return Decimal::kOk;
}

}  // namespace

std::string_view address_class_problem(packet::Ipv4Addr addr) {
  const uint32_t first_octet = addr.host() >> 24;
  if (first_octet == 0) return "in 0.0.0.0/8, \"this network\"";
  if (first_octet == 127) return "loopback";
  if (first_octet >= 224 && first_octet < 240) return "multicast";
  if (first_octet >= 240) return "reserved or broadcast";
  return {};
}

Pos pos_of(const YAML::Mark& mark) {
  if (mark.line < 0 || mark.column < 0) return {};
  return {mark.line + 1, mark.column + 1};
}

Pos pos_of(const YAML::Node& node) {
  return pos_of(node.Mark());
}

void Reader::error(const std::string& path, Pos pos, std::string message) {
  errors_.push_back(ConfigError{file_, pos.line, pos.column, path, std::move(message)});
}

std::vector<ConfigError> Reader::take_errors() {
  std::stable_sort(errors_.begin(), errors_.end(), [](const auto& a, const auto& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  return std::move(errors_);
}

std::string child_path(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : fmt::format("{}.{}", parent, key);
}

std::string index_path(const std::string& parent, size_t index) {
  return fmt::format("{}[{}]", parent, index);
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "an empty value";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Scalar:
      break;
  }
  // Quoted and escaped so binary junk or a stray newline cannot garble the
  // message, and shortened so one huge value does not drown the rest.
  constexpr size_t kMaxShown = 40;
  const std::string& text = node.Scalar();
  std::string out = "\"";
  for (size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > kMaxShown) out += "...";
  out += '"';
  return out;
}

std::string join_choices(std::span<const std::string_view> names) {
  return fmt::format("{}", fmt::join(names, ", "));
}

MapReader::MapReader(Reader& reader, const Field& field,
                     std::initializer_list<std::string_view> keys)
    : reader_(reader), field_(field) {
  const std::vector<std::string_view> key_list(keys);
  if (field.node.IsNull()) {
    is_map_ = true;
    return;
  }
  if (!field.node.IsMap()) {
    reader.error(field, fmt::format("expected a map with keys: {}; got {}", join_choices(key_list),
                                    describe(field.node)));
    return;
  }
  is_map_ = true;
  for (const auto& entry : field.node) {
    const YAML::Node& key = entry.first;
    const Pos key_pos = value_pos(key, field.pos);
    if (!key.IsScalar()) {
      reader.error(field.path, key_pos, "expected a key name, got " + describe(key));
      continue;
    }
    const std::string& name = key.Scalar();
    const std::string path = child_path(field.path, name);
    if (std::find(key_list.begin(), key_list.end(), name) == key_list.end()) {
      reader.error(
          path, key_pos,
          fmt::format("unknown key \"{}\", expected one of: {}", name, join_choices(key_list)));
      continue;
    }
    auto seen = std::find_if(entries_.begin(), entries_.end(),
                             [&](const auto& e) { return e.first == name; });
    if (seen != entries_.end()) {
      reader.error(path, key_pos,
                   fmt::format("duplicate key \"{}\" (first given at line {})", name,
                               seen->second.pos.line));
      continue;
    }
    entries_.emplace_back(name, Field{entry.second, path, value_pos(entry.second, key_pos)});
  }
}

std::optional<Field> MapReader::get(std::string_view key) const {
  for (const auto& [name, value] : entries_) {
    if (name == key) return value;
  }
  return std::nullopt;
}

std::optional<Field> MapReader::require(std::string_view key) const {
  auto value = get(key);
  if (!value && is_map_) {
    reader_.error(child_path(field_.path, key), field_.pos, "required key is missing");
  }
  return value;
}

std::optional<std::vector<Field>> read_list(Reader& reader, const Field& field) {
  std::vector<Field> elements;
  if (field.node.IsNull()) return elements;
  if (!field.node.IsSequence()) {
    reader.error(field, "expected a list, got " + describe(field.node));
    return std::nullopt;
  }
  size_t index = 0;
  for (const auto& element : field.node) {
    elements.push_back(
        Field{element, index_path(field.path, index), value_pos(element, field.pos)});
    ++index;
  }
  return elements;
}

std::optional<int64_t> read_int(Reader& reader, const Field& field, int64_t min, int64_t max,
                                std::string_view alternative) {
  const std::string expected =
      alternative.empty() ? fmt::format("expected an integer {}..{}", min, max)
                          : fmt::format("expected {} or an integer {}..{}", alternative, min, max);
  if (!field.node.IsScalar()) {
    reader.error(field, fmt::format("{}, got {}", expected, describe(field.node)));
    return std::nullopt;
  }
  int64_t value = 0;
  const Decimal parsed = parse_decimal(field.node.Scalar(), value);
  if (parsed != Decimal::kNotANumber && !is_plain_or_tagged(field.node, kIntTag)) {
    reader.error(field, fmt::format("{}, got {} (quoted, so a string: write it without quotes)",
                                    expected, describe(field.node)));
    return std::nullopt;
  }
  if (parsed == Decimal::kNotANumber) {
    reader.error(field, fmt::format("{}, got {}", expected, describe(field.node)));
    return std::nullopt;
  }
  if (parsed == Decimal::kOutOfRange || value < min || value > max) {
    reader.error(field, fmt::format("{}, got {}", expected, field.node.Scalar()));
    return std::nullopt;
  }
  return value;
}

std::optional<bool> read_bool(Reader& reader, const Field& field) {
  if (field.node.IsScalar() && is_plain_or_tagged(field.node, kBoolTag)) {
    const std::string& text = field.node.Scalar();
    for (std::string_view word : {"true", "True", "TRUE", "yes", "Yes", "YES"}) {
      if (text == word) return true;
    }
    for (std::string_view word : {"false", "False", "FALSE", "no", "No", "NO"}) {
      if (text == word) return false;
    }
  }
  reader.error(field, "expected true or false (or yes/no), got " + describe(field.node));
  return std::nullopt;
}

std::optional<std::string> read_string(Reader& reader, const Field& field) {
  if (!field.node.IsScalar() || field.node.Scalar().empty()) {
    reader.error(field, "expected a non-empty string, got " + describe(field.node));
    return std::nullopt;
  }
  return field.node.Scalar();
}

std::optional<std::string> read_name(Reader& reader, const Field& field, size_t min, size_t max,
                                     bool (*allowed)(char), std::string_view charset) {
  const std::string expected = fmt::format("expected {}..{} characters from {}", min, max, charset);
  if (!field.node.IsScalar()) {
    reader.error(field, fmt::format("{}, got {}", expected, describe(field.node)));
    return std::nullopt;
  }
  const std::string& text = field.node.Scalar();
  if (text.size() < min || text.size() > max) {
    reader.error(field, fmt::format("{}, got {} ({} characters)", expected, describe(field.node),
                                    text.size()));
    return std::nullopt;
  }
  if (!std::all_of(text.begin(), text.end(), allowed)) {
    reader.error(field, fmt::format("{}, got {}", expected, describe(field.node)));
    return std::nullopt;
  }
  return text;
}

std::optional<packet::Ipv4Addr> read_host_address(Reader& reader, const Field& field) {
  std::optional<packet::Ipv4Addr> addr;
  if (field.node.IsScalar()) addr = packet::Ipv4Addr::parse(field.node.Scalar());
  if (!addr) {
    reader.error(field, "expected an IPv4 address (a.b.c.d), got " + describe(field.node));
    return std::nullopt;
  }
  if (auto problem = address_class_problem(*addr); !problem.empty()) {
    reader.error(field, fmt::format("expected a unicast IPv4 address, got {} ({})",
                                    addr->to_string(), problem));
    return std::nullopt;
  }
  return addr;
}

std::optional<packet::Ipv4Prefix> read_prefix(Reader& reader, const Field& field) {
  std::optional<packet::Ipv4Prefix> prefix;
  if (field.node.IsScalar()) {
    const std::string& text = field.node.Scalar();
    if (text.find('/') != std::string::npos) {
      prefix = packet::Ipv4Prefix::parse(text);
    } else if (auto addr = packet::Ipv4Addr::parse(text)) {
      prefix = packet::Ipv4Prefix{*addr, 32};
    }
  }
  if (!prefix) {
    reader.error(field, "expected an IPv4 address or prefix (a.b.c.d or a.b.c.d/len), got " +
                            describe(field.node));
    return std::nullopt;
  }
  const uint32_t network = prefix->addr.host() & prefix->mask_host();
  if (network != prefix->addr.host()) {
    const packet::Ipv4Prefix expected{packet::Ipv4Addr::from_host(network), prefix->len};
    reader.error(field, fmt::format("{} has bits set past its /{}; expected the prefix's first "
                                    "address, {}",
                                    prefix->to_string(), prefix->len, expected.to_string()));
    return std::nullopt;
  }
  return prefix;
}

std::optional<packet::Ipv4Addr> read_netmask(Reader& reader, const Field& field) {
  std::optional<packet::Ipv4Addr> mask;
  if (field.node.IsScalar()) mask = packet::Ipv4Addr::parse(field.node.Scalar());
  if (!mask) {
    reader.error(field,
                 "expected a netmask (a.b.c.d, e.g. 255.255.255.0), got " + describe(field.node));
    return std::nullopt;
  }
  // Contiguous ones = the inverted mask is a run of low ones (2^n - 1), which
  // adding one clears entirely.
  const uint32_t inverted = ~mask->host();
  if ((inverted & (inverted + 1)) != 0) {
    reader.error(field, fmt::format("expected a netmask with contiguous ones (255.255.255.0, "
                                    "255.255.0.0, ...), got {}",
                                    mask->to_string()));
    return std::nullopt;
  }
  return mask;
}

std::optional<packet::Ipv4Prefix> read_interface_address(Reader& reader, const Field& field) {
  std::optional<packet::Ipv4Prefix> prefix;
  if (field.node.IsScalar()) prefix = packet::Ipv4Prefix::parse(field.node.Scalar());
  if (!prefix) {
    reader.error(field, "expected an IPv4 address with its prefix length (a.b.c.d/len), got " +
                            describe(field.node));
    return std::nullopt;
  }
  if (prefix->len == 0) {
    reader.error(field, "expected a prefix length 1..32, got /0");
    return std::nullopt;
  }
  if (auto problem = address_class_problem(prefix->addr); !problem.empty()) {
    reader.error(field, fmt::format("expected a unicast IPv4 address, got {} ({})",
                                    prefix->addr.to_string(), problem));
    return std::nullopt;
  }
  // /31 (RFC 3021) and /32 have no network or broadcast address.
  if (prefix->len <= 30) {
    const uint32_t host_bits = prefix->addr.host() & ~prefix->mask_host();
    if (host_bits == 0 || host_bits == ~prefix->mask_host()) {
      reader.error(
          field,
          fmt::format("{} is the {} address of its subnet; expected this port's own "
                      "address in the subnet, e.g. {}/{}",
                      prefix->addr.to_string(), host_bits == 0 ? "network" : "broadcast",
                      packet::Ipv4Addr::from_host((prefix->addr.host() & prefix->mask_host()) + 1)
                          .to_string(),
                      prefix->len));
      return std::nullopt;
    }
  }
  return prefix;
}

std::optional<packet::MacAddr> read_unicast_mac(Reader& reader, const Field& field) {
  std::optional<packet::MacAddr> mac;
  if (field.node.IsScalar()) mac = packet::MacAddr::parse(field.node.Scalar());
  if (!mac) {
    reader.error(field, "expected a MAC address (aa:bb:cc:dd:ee:ff), got " + describe(field.node));
    return std::nullopt;
  }
  std::string_view problem;
  if (mac->is_zero()) {
    problem = "all zero";
  } else if (mac->is_broadcast()) {
    problem = "broadcast";
  } else if (mac->is_multicast()) {
    problem = "multicast: the low bit of the first octet is set";
  }
  if (!problem.empty()) {
    reader.error(field, fmt::format("expected a unicast MAC address, got {} ({})", mac->to_string(),
                                    problem));
    return std::nullopt;
  }
  return mac;
}

}  // namespace lb::config::detail
