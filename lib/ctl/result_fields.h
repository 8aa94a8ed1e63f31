// Reading lbd's results on the client side: every member a formatter needs,
// checked, with a CtlError (bad_reply) that names the result and the JSON
// path of the first bad field ("lbd's services result: services[0].vip:
// expected an IPv4 address"). An lbctl older or newer than lbd then fails
// with a precise message instead of printing a wrong listing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <lb/packet/addr.h>

namespace lb::ctl::detail {

class ResultFields {
 public:
  // `result`: the command whose result is read ("services", "connections").
  explicit constexpr ResultFields(std::string_view result) : result_(result) {}

  [[noreturn]] void bad(const std::string& where, std::string_view expected) const;
  const nlohmann::json& member(const nlohmann::json& object, const char* key,
                               const std::string& where) const;
  const std::string& text(const nlohmann::json& object, const char* key,
                          const std::string& where) const;
  packet::Ipv4Addr address(const nlohmann::json& object, const char* key,
                           const std::string& where) const;

 private:
  std::string_view result_;
};

}  // namespace lb::ctl::detail
