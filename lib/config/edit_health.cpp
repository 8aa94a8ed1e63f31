// The health settings in `edit` operations: a service's "health" and
// "sorry_server", a real server's "check", in the JSON form of the YAML's
// keys (conf/README.md, `edit`), and the same form back for `config`.
//
// A check object with "type" is a new check: what it leaves out takes the
// defaults, as in the file. Without "type" it changes only the fields it
// gives of the current check, as edit_service changes only the settings it
// is given. Either way every rule the file parser applies to a check
// (lb/config/health.h) is applied to the result.
#include <algorithm>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <lb/config/edit.h>
#include <lb/config/health.h>
#include <lb/health/escapes.h>

#include "edit_fields.h"

namespace lb::config {

namespace detail {

namespace {

using health::CheckSpec;
using nlohmann::json;

std::string nonempty_text(const json& object, std::string_view key) {
  const std::string& value = text(object, key);
  if (value.empty()) refuse("invalid", fmt::format("\"{}\" must not be empty", key));
  return value;
}

// A text checked by `problem` (path_problem, ...).
std::string checked_text(const json& object, std::string_view key,
                         std::string (*problem)(std::string_view)) {
  std::string value = nonempty_text(object, key);
  if (auto why = problem(value); !why.empty()) {
    refuse("invalid", fmt::format("\"{}\": {}; got {}", key, why, object.at(key).dump()));
  }
  return value;
}

// A text sent or expected, Piranha's escapes decoded.
std::string escaped_text(const json& object, std::string_view key) {
  auto bytes = decode_text(nonempty_text(object, key));
  if (!bytes) {
    refuse("invalid",
           fmt::format("\"{}\": {}; got {}", key, bytes.errors.front(), object.at(key).dump()));
  }
  return std::move(*bytes.value);
}

// "TEXT" or {"text": "TEXT", "regex": true}; Piranha's escapes are decoded
// unless it is a regex.
health::Expect expect_of(const json& object, std::string_view key) {
  const json& value = object.at(key);
  if (value.is_string()) return {escaped_text(object, key), false};
  if (!value.is_object()) {
    bad_request(fmt::format("\"{}\" must be a string or {{\"text\": ..., \"regex\": true}}, got {}",
                            key, value.dump()));
  }
  only_keys(value, fmt::format("\"{}\"", key), {"text", "regex"});
  if (member(value, "text") == nullptr) bad_request(fmt::format("\"{}\" needs \"text\"", key));
  health::Expect expect;
  if (member(value, "regex") != nullptr) expect.regex = boolean(value, "regex");
  expect.text = expect.regex ? nonempty_text(value, "text") : escaped_text(value, "text");
  return expect;
}

// 200 or [200, 301].
std::vector<uint16_t> statuses_of(const json& object) {
  const json& value = object.at("expect_status");
  const json list = value.is_array() ? value : json::array({value});
  if (list.empty()) {
    refuse("invalid",
           "\"expect_status\" must list at least one status; leave it out to accept any 2xx or "
           "3xx");
  }
  std::vector<uint16_t> statuses;
  for (const json& code : list) {
    const json holder = {{"expect_status", code}};
    const auto status =
        static_cast<uint16_t>(integer(holder, "expect_status", kMinHttpStatus, kMaxHttpStatus));
    if (std::find(statuses.begin(), statuses.end(), status) != statuses.end()) {
      refuse("invalid", fmt::format("\"expect_status\" lists {} twice", status));
    }
    statuses.push_back(status);
  }
  return statuses;
}

CheckSpec check_of(const json& object, const std::optional<CheckSpec>& current) {
  if (!object.is_object()) {
    bad_request(fmt::format("\"check\" must be an object or null, got {}", object.dump()));
  }
  for (const auto& [key, value] : object.items()) {
    if (std::find(std::begin(kCheckKeys), std::end(kCheckKeys), key) == std::end(kCheckKeys)) {
      bad_request(fmt::format("\"check\": unknown field \"{}\", expected one of: {}", key,
                              fmt::join(kCheckKeys, ", ")));
    }
  }
  CheckSpec check;
  if (member(object, "type") != nullptr) {
    const auto type = parse_check_type(text(object, "type"));
    if (!type) {
      refuse("invalid", fmt::format("\"type\" must be one of: {}; got {}", check_type_names(),
                                    object.at("type").dump()));
    }
    check.type = *type;
  } else if (current) {
    check = *current;
  } else {
    refuse("invalid", "there is no check to change: give \"type\" to start one");
  }
  for (const auto& [key, value] : object.items()) {
    if (auto problem = key_problem(check.type, key); !problem.empty()) {
      refuse("invalid", problem);
    }
  }
  const auto number = [&](std::string_view key, uint32_t& out, int64_t min, int64_t max) {
    if (member(object, key) != nullptr) out = static_cast<uint32_t>(integer(object, key, min, max));
  };
  if (member(object, "port") != nullptr) {
    check.port = static_cast<uint16_t>(integer(object, "port", 1, 65535));
  }
  // A timeout at its default follows the interval (health.h).
  const bool default_timeout = check.timeout_ms == default_timeout_ms(check.interval_ms);
  number("interval_ms", check.interval_ms, kMinCheckIntervalMs, kMaxCheckIntervalMs);
  if (default_timeout) check.timeout_ms = default_timeout_ms(check.interval_ms);
  number("timeout_ms", check.timeout_ms, kMinCheckTimeoutMs, kMaxCheckTimeoutMs);
  number("rise", check.rise, 1, kMaxRiseFall);
  number("fall", check.fall, 1, kMaxRiseFall);
  number("service_timeout_ms", check.service_timeout_ms, 0, kMaxPiranhaTimeMs);
  number("reentry_ms", check.reentry_ms, 0, kMaxPiranhaTimeMs);
  if (member(object, "path") != nullptr) check.path = checked_text(object, "path", path_problem);
  if (member(object, "host") != nullptr) check.host = checked_text(object, "host", host_problem);
  if (member(object, "expect_status") != nullptr) check.expect_status = statuses_of(object);
  if (member(object, "expect_body") != nullptr)
    check.expect_body = expect_of(object, "expect_body");
  if (member(object, "send") != nullptr) check.send = escaped_text(object, "send");
  if (member(object, "expect") != nullptr) check.expect = expect_of(object, "expect");
  if (member(object, "command") != nullptr) {
    check.command = checked_text(object, "command", command_problem);
  }
  if (member(object, "through_tunnel") != nullptr) {
    check.through_tunnel = boolean(object, "through_tunnel");
  }
  if (const auto problems = check_problems(check); !problems.empty()) {
    refuse("invalid", problems.front().message);
  }
  return check;
}

// Every message about a check names whose check it is.
template <typename F>
void labelled(const std::string& label, F&& apply) {
  try {
    apply();
  } catch (Refusal& refusal) {
    refusal.message = fmt::format("{}: {}", label, refusal.message);
    throw;
  }
}

}  // namespace

void set_health(sched::ServiceSpec& service, const json& value) {
  if (value.is_null()) {
    service.health = {};
    return;
  }
  only_keys(value, "\"health\"", {"check", "on_failure"});
  health::HealthSpec next = service.health;
  if (const json* check = member(value, "check")) {
    if (check->is_null()) {
      next.check.reset();
    } else {
      labelled("health check of " + service_label(service),
               [&] { next.check = check_of(*check, service.health.check); });
    }
  }
  if (member(value, "on_failure") != nullptr) {
    const auto action = parse_on_failure(text(value, "on_failure"));
    if (!action) {
      refuse("invalid", fmt::format("\"on_failure\" must be remove or quiesce, got {}",
                                    value.at("on_failure").dump()));
    }
    next.on_failure = *action;
  }
  service.health = std::move(next);
}

void set_sorry_server(sched::ServiceSpec& service, const json& value) {
  if (value.is_null()) {
    service.sorry_server.reset();
    return;
  }
  only_keys(value, "\"sorry_server\"", {"address", "port", "forward"});
  if (member(value, "address") == nullptr) bad_request("\"sorry_server\" needs \"address\"");
  sched::RealServerSpec sorry;
  labelled("sorry server of " + service_label(service), [&] {
    sorry.addr = host_address(value, "address");
    sorry.port = service.port;
    if (member(value, "port") != nullptr) {
      sorry.port = static_cast<uint16_t>(integer(value, "port", 0, 65535));
      if (sorry.port == 0 && service.fwmark == 0 && service.port != 0) {
        refuse("invalid",
               "port 0 (keep each packet's port) is only for firewall-mark and port-0 services");
      }
    }
    if (member(value, "forward") != nullptr) {
      const auto forward = sched::parse_forward_method(text(value, "forward"));
      if (!forward) {
        refuse("invalid", fmt::format("\"forward\" must be one of: nat, dr, tunnel; got {}",
                                      value.at("forward").dump()));
      }
      sorry.forward = *forward;
    }
  });
  service.sorry_server = sorry;
}

void set_real_check(sched::RealServerSpec& real, const json& value, const std::string& label) {
  if (value.is_null()) {
    real.check.reset();
    return;
  }
  labelled("check of " + label, [&] { real.check = check_of(value, real.check); });
}

}  // namespace detail

namespace {

nlohmann::json expect_json(const health::Expect& expect) {
  if (!expect.regex) return health::encode_escapes(expect.text);
  return {{"text", expect.text}, {"regex", true}};
}

}  // namespace

nlohmann::json check_json(const health::CheckSpec& check) {
  nlohmann::json out = {{"type", check_type_name(check.type)}};
  if (check.port != 0) out["port"] = check.port;
  out["interval_ms"] = check.interval_ms;
  out["timeout_ms"] = check.timeout_ms;
  out["rise"] = check.rise;
  out["fall"] = check.fall;
  out["service_timeout_ms"] = check.service_timeout_ms;
  out["reentry_ms"] = check.reentry_ms;
  // Only the keys the type takes, so that the object is a valid check.
  const auto takes = [&](std::string_view key) { return key_problem(check.type, key).empty(); };
  if (takes("path")) {
    out["path"] = check.path;
    if (!check.host.empty()) out["host"] = check.host;
    if (!check.expect_status.empty()) out["expect_status"] = check.expect_status;
    if (!check.expect_body.text.empty()) out["expect_body"] = expect_json(check.expect_body);
  }
  if (takes("send") && !check.send.empty()) out["send"] = health::encode_escapes(check.send);
  if (takes("expect") && !check.expect.text.empty()) out["expect"] = expect_json(check.expect);
  if (takes("command")) out["command"] = check.command;
  if (takes("through_tunnel")) out["through_tunnel"] = check.through_tunnel;
  return out;
}

nlohmann::json health_json(const health::HealthSpec& health) {
  return {{"check", health.check ? check_json(*health.check) : nlohmann::json(nullptr)},
          {"on_failure", on_failure_name(health.on_failure)}};
}

}  // namespace lb::config
