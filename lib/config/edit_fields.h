// The `edit` request's field readers, shared by the operations (edit.cpp)
// and the health settings they carry (edit_health.cpp). A wrong field is
// thrown as a Refusal (its protocol code and message); apply_edits() turns
// it into the one EditError of the request.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <lb/packet/addr.h>
#include <lb/sched/model.h>

namespace lb::config::detail {

struct Refusal {
  std::string code;
  std::string message;
};

[[noreturn]] void refuse(std::string_view code, std::string message);
[[noreturn]] void bad_request(std::string message);

// The member `key` of `object`, or null.
const nlohmann::json* member(const nlohmann::json& object, std::string_view key);
// object[key] as an integer within [min, max] (bad_request when not an
// integer, invalid when out of range).
int64_t integer(const nlohmann::json& object, std::string_view key, int64_t min, int64_t max);
bool boolean(const nlohmann::json& object, std::string_view key);
const std::string& text(const nlohmann::json& object, std::string_view key);
// A unicast IPv4 address.
packet::Ipv4Addr host_address(const nlohmann::json& object, std::string_view key);
// bad_request unless `object` is an object with only these keys; `what`
// names it in the message ("\"service\"").
void only_keys(const nlohmann::json& object, std::string_view what,
               std::initializer_list<std::string_view> keys);

// The health settings of edit_service/add_service ("health", "sorry_server")
// and of edit_real/add_real ("check"); `null` clears each. `label` names the
// service or real server in messages.
void set_health(sched::ServiceSpec& service, const nlohmann::json& value);
void set_sorry_server(sched::ServiceSpec& service, const nlohmann::json& value);
void set_real_check(sched::RealServerSpec& real, const nlohmann::json& value,
                    const std::string& label);

}  // namespace lb::config::detail
