#include "edit_fields.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "yaml_reader.h"

namespace lb::config::detail {

using nlohmann::json;

[[noreturn]] void refuse(std::string_view code, std::string message) {
  throw Refusal{std::string(code), std::move(message)};
}

[[noreturn]] void bad_request(std::string message) {
  refuse("bad_request", std::move(message));
}

const json* member(const json& object, std::string_view key) {
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

int64_t integer(const json& object, std::string_view key, int64_t min, int64_t max) {
  const json& value = object.at(key);
  if (!value.is_number_integer()) {
    bad_request(fmt::format("\"{}\" must be an integer, got {}", key, value.dump()));
  }
  const bool too_big =
      value.is_number_unsigned() &&
      value.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  const int64_t v = too_big ? std::numeric_limits<int64_t>::max() : value.get<int64_t>();
  if (v < min || v > max) {
    refuse("invalid", fmt::format("\"{}\" must be {}..{}, got {}", key, min, max, value.dump()));
  }
  return v;
}

bool boolean(const json& object, std::string_view key) {
  const json& value = object.at(key);
  if (!value.is_boolean()) {
    bad_request(fmt::format("\"{}\" must be true or false, got {}", key, value.dump()));
  }
  return value.get<bool>();
}

const std::string& text(const json& object, std::string_view key) {
  const json& value = object.at(key);
  if (!value.is_string()) {
    bad_request(fmt::format("\"{}\" must be a string, got {}", key, value.dump()));
  }
  return value.get_ref<const std::string&>();
}

packet::Ipv4Addr host_address(const json& object, std::string_view key) {
  const auto addr = packet::Ipv4Addr::parse(text(object, key));
  if (!addr) {
    refuse("invalid", fmt::format("\"{}\" must be an IPv4 address (a.b.c.d), got {}", key,
                                  object.at(key).dump()));
  }
  if (auto problem = address_class_problem(*addr); !problem.empty()) {
    refuse("invalid", fmt::format("\"{}\" must be a unicast IPv4 address, got {} ({})", key,
                                  addr->to_string(), problem));
  }
  return *addr;
}

void only_keys(const json& object, std::string_view what,
               std::initializer_list<std::string_view> keys) {
  if (!object.is_object()) bad_request(fmt::format("{} must be an object", what));
  for (const auto& [key, value] : object.items()) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      bad_request(fmt::format("{}: unknown field \"{}\", expected one of: {}", what, key,
                              fmt::join(keys, ", ")));
    }
  }
}

}  // namespace lb::config::detail
