// Typed, error-collecting access to a yaml-cpp tree: the primitives the schema
// (parse.cpp) is written with.
//
// Every reader takes a Field (node + field path + position), checks the node's
// type and value, and on a mismatch records one ConfigError saying what was
// expected and what was given, then returns nullopt so the caller carries on
// with the next field. Nothing here throws: nodes are only inspected through
// calls that cannot throw on any node type (Type, Scalar, Tag, iteration), and
// maps are never indexed with operator[] (which throws on a missing key's Mark).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include <lb/config/load.h>
#include <lb/packet/addr.h>

namespace lb::config::detail {

struct Pos {
  int line = 0;  // 1-based; 0 when unknown
  int column = 0;
};

// yaml-cpp marks are 0-based and -1 when there is none.
Pos pos_of(const YAML::Mark& mark);
Pos pos_of(const YAML::Node& node);

// A node and where it is: what the error messages name.
struct Field {
  YAML::Node node;
  std::string path;  // "services[1].real_servers[0].weight"; empty for the document itself
  Pos pos;
};

// Collects the errors of one file.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  void error(const std::string& path, Pos pos, std::string message);
  void error(const Field& field, std::string message) {
    error(field.path, field.pos, std::move(message));
  }
  size_t error_count() const { return errors_.size(); }
  // Sorted into file order (stable, so errors at one node keep their order).
  std::vector<ConfigError> take_errors();

 private:
  std::string file_;
  std::vector<ConfigError> errors_;
};

std::string child_path(const std::string& parent, std::string_view key);
std::string index_path(const std::string& parent, size_t index);
// `"text"` (escaped, shortened) for a scalar, "a list", "a map", "an empty value".
std::string describe(const YAML::Node& node);

// A section or list element read as a map with a fixed set of keys. Unknown
// and duplicate keys are reported here, so a typo is never silently ignored.
class MapReader {
 public:
  // A null node (`eal:` with nothing under it) reads as an empty map; any
  // other non-map is reported and reads as empty.
  MapReader(Reader& reader, const Field& field, std::initializer_list<std::string_view> keys);

  bool is_map() const { return is_map_; }
  const Field& field() const { return field_; }
  std::optional<Field> get(std::string_view key) const;
  // Reports the key as missing when absent (and the node was a map: a wrong
  // type is already one error, "missing" on top would be noise).
  std::optional<Field> require(std::string_view key) const;

 private:
  Reader& reader_;
  Field field_;
  bool is_map_ = false;
  std::vector<std::pair<std::string, Field>> entries_;
};

// A list's elements; null reads as an empty list, anything else is reported.
std::optional<std::vector<Field>> read_list(Reader& reader, const Field& field);

// YAML integers only: a plain (unquoted) decimal scalar within [min, max].
// `alternative` names another accepted value (checked by the caller) for
// the message: "expected auto or an integer ...".
std::optional<int64_t> read_int(Reader& reader, const Field& field, int64_t min, int64_t max,
                                std::string_view alternative = {});
// true/false/yes/no (and their capitalised forms); not on/off/y/n, which
// yaml-cpp would take but read too much like a typo.
std::optional<bool> read_bool(Reader& reader, const Field& field);
// Any non-empty scalar, quoted or not.
std::optional<std::string> read_string(Reader& reader, const Field& field);
// A string of min..max characters, each accepted by `allowed`; `charset`
// describes them for the message ("[a-z0-9_-]").
std::optional<std::string> read_name(Reader& reader, const Field& field, size_t min, size_t max,
                                     bool (*allowed)(char), std::string_view charset);

// A map's optional integer key into `out`; true when present and valid.
template <typename T>
bool read_int_key(Reader& reader, const MapReader& map, std::string_view key, T& out, int64_t min,
                  int64_t max) {
  auto field = map.get(key);
  if (!field) return false;
  auto value = read_int(reader, *field, min, max);
  if (!value) return false;
  out = static_cast<T>(*value);
  return true;
}

// A map's optional boolean key into `out`.
inline void read_bool_key(Reader& reader, const MapReader& map, std::string_view key, bool& out) {
  if (auto field = map.get(key)) {
    if (auto value = read_bool(reader, *field)) out = *value;
  }
}

template <typename T>
using Choices = std::span<const std::pair<std::string_view, T>>;
std::string join_choices(std::span<const std::string_view> names);

// One of a fixed set of words.
template <typename T>
std::optional<T> read_choice(Reader& reader, const Field& field, Choices<T> choices) {
  auto text = read_string(reader, field);
  if (!text) return std::nullopt;
  std::vector<std::string_view> names;
  for (const auto& [name, value] : choices) {
    if (name == *text) return value;
    names.push_back(name);
  }
  reader.error(field, "expected one of: " + join_choices(names) + "; got " + describe(field.node));
  return std::nullopt;
}

// Why `addr` is not an address a host can use as its own or talk to ("loopback",
// ...); empty when it is one.
std::string_view address_class_problem(packet::Ipv4Addr addr);
// Addresses a host can use as its own or talk to: not 0.0.0.0/8, loopback,
// multicast or reserved/broadcast.
std::optional<packet::Ipv4Addr> read_host_address(Reader& reader, const Field& field);
// A set of addresses as iptables -s/-d take it: "a.b.c.d" (read as /32) or
// "a.b.c.d/len" with no bit set past len (198.18.1.7/24 is a typo for
// something, so it is refused rather than guessed).
std::optional<packet::Ipv4Prefix> read_prefix(Reader& reader, const Field& field);
// A dotted netmask whose ones are contiguous ("255.255.255.0").
std::optional<packet::Ipv4Addr> read_netmask(Reader& reader, const Field& field);
// "a.b.c.d/len", len 1..32, a host address that is not the subnet's network
// or broadcast address.
std::optional<packet::Ipv4Prefix> read_interface_address(Reader& reader, const Field& field);
// A unicast MAC address (not zero, broadcast or multicast).
std::optional<packet::MacAddr> read_unicast_mac(Reader& reader, const Field& field);

}  // namespace lb::config::detail
