#include "result_fields.h"

#include <fmt/format.h>

#include <lb/ctl/protocol.h>

namespace lb::ctl::detail {

using nlohmann::json;

void ResultFields::bad(const std::string& where, std::string_view expected) const {
  throw CtlError(errc::kBadReply,
                 fmt::format("lbd's {} result: {}: expected {}", result_, where, expected));
}

const json& ResultFields::member(const json& object, const char* key,
                                 const std::string& where) const {
  const auto it = object.find(key);
  if (it == object.end()) bad(fmt::format("{}.{}", where, key), "a value, found none");
  return *it;
}

const std::string& ResultFields::text(const json& object, const char* key,
                                      const std::string& where) const {
  const json& value = member(object, key, where);
  if (!value.is_string()) bad(fmt::format("{}.{}", where, key), "a string");
  return value.get_ref<const std::string&>();
}

packet::Ipv4Addr ResultFields::address(const json& object, const char* key,
                                       const std::string& where) const {
  const auto addr = packet::Ipv4Addr::parse(text(object, key, where));
  if (!addr) bad(fmt::format("{}.{}", where, key), "an IPv4 address");
  return *addr;
}

}  // namespace lb::ctl::detail
