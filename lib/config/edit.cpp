// apply_edits(): the `edit` request's operations on a Config.
//
// Each field is checked here as the file parser checks it (same ranges, same
// words); the cross-field rules are check()'s, run by the caller on the
// result. Errors are thrown inside (Refusal) and turned into one EditError at
// the top, so that every reader below stays a plain function.
#include <lb/config/edit.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <limits>

#include <lb/conn/tcp_state.h>
#include <lb/sched/scheduler.h>

#include "edit_fields.h"
#include "yaml_reader.h"

namespace lb::config {

namespace {

using detail::bad_request;
using detail::boolean;
using detail::host_address;
using detail::integer;
using detail::member;
using detail::only_keys;
using detail::Refusal;
using detail::refuse;
using detail::text;
using nlohmann::json;

constexpr size_t kMaxOps = 10000;
constexpr int64_t kMaxThreshold = 2147483647;
constexpr int64_t kMaxMark = 4294967295;

packet::Ipv4Addr netmask(const json& object, std::string_view key) {
  const auto mask = packet::Ipv4Addr::parse(text(object, key));
  // Contiguous ones: the inverted mask is 2^n - 1.
  const uint32_t inverted = mask ? ~mask->host() : 1;
  if (!mask || (inverted & (inverted + 1)) != 0) {
    refuse("invalid", fmt::format("\"{}\" must be a netmask with contiguous ones "
                                  "(255.255.255.0, ...), got {}",
                                  key, object.at(key).dump()));
  }
  return *mask;
}

// --- selectors ------------------------------------------------------------------

const std::initializer_list<std::string_view> kSelectorKeys = {"protocol", "vip", "port", "fwmark"};
const std::initializer_list<std::string_view> kServiceKeys = {
    "protocol", "vip",        "port",    "fwmark",         "scheduler", "sched_flags", "persistent",
    "netmask",  "one_packet", "enabled", "quiesce_server", "health",    "sorry_server"};
const std::initializer_list<std::string_view> kRealKeys = {
    "address",         "port",    "forward", "weight", "upper_threshold",
    "lower_threshold", "enabled", "check"};

// The identity part of a service object, as a ServiceSpec with defaults.
sched::ServiceSpec identity(const json& object) {
  sched::ServiceSpec id;
  if (member(object, "fwmark") != nullptr) {
    for (std::string_view key : {"protocol", "vip", "port"}) {
      if (member(object, key) != nullptr) {
        bad_request(fmt::format("a firewall-mark service has no \"{}\"", key));
      }
    }
    id.fwmark = static_cast<uint32_t>(integer(object, "fwmark", 1, kMaxMark));
    return id;
  }
  for (std::string_view key : {"protocol", "vip", "port"}) {
    if (member(object, key) == nullptr) {
      bad_request(
          fmt::format("a service needs \"protocol\", \"vip\" and \"port\", or "
                      "\"fwmark\"; \"{}\" is missing",
                      key));
    }
  }
  const auto protocol = sched::parse_protocol(text(object, "protocol"));
  if (!protocol) {
    refuse("invalid",
           fmt::format("\"protocol\" must be tcp or udp, got {}", object.at("protocol").dump()));
  }
  id.protocol = *protocol;
  id.vip = host_address(object, "vip");
  id.port = static_cast<uint16_t>(integer(object, "port", 0, 65535));
  return id;
}

bool same_service(const sched::ServiceSpec& a, const sched::ServiceSpec& b) {
  if (a.fwmark != 0 || b.fwmark != 0) return a.fwmark == b.fwmark;
  return a.protocol == b.protocol && a.vip == b.vip && a.port == b.port;
}

std::vector<sched::ServiceSpec>::iterator find_service(Config& config,
                                                       const sched::ServiceSpec& id) {
  return std::find_if(config.services.begin(), config.services.end(),
                      [&](const sched::ServiceSpec& s) { return same_service(s, id); });
}

sched::ServiceSpec& existing_service(Config& config, const json& selector) {
  const sched::ServiceSpec id = identity(selector);
  const auto it = find_service(config, id);
  if (it == config.services.end()) {
    refuse("no_service", fmt::format("no service {}", service_label(id)));
  }
  return *it;
}

// --- service attributes ---------------------------------------------------------

void set_scheduler(sched::ServiceSpec& service, const json& object) {
  if (member(object, "scheduler") != nullptr) {
    const std::string& name = text(object, "scheduler");
    if (sched::find_scheduler(name) == nullptr) {
      std::vector<std::string_view> names;
      for (const auto& info : sched::schedulers())
        names.push_back(info.name);
      refuse("no_scheduler", fmt::format("unknown scheduler \"{}\" for {}, expected one of: {}",
                                         name, service_label(service), fmt::join(names, ", ")));
    }
    service.scheduler = name;
  }
  if (const json* flags = member(object, "sched_flags")) {
    if (!flags->is_array()) bad_request("\"sched_flags\" must be a list of flag names");
    uint8_t bits = 0;
    for (const json& flag : *flags) {
      const uint8_t bit = flag.is_string()
                              ? sched::parse_sched_flag(service.scheduler, flag.get<std::string>())
                              : 0;
      if (bit == 0) {
        refuse("invalid", fmt::format("scheduler flag {} is not one scheduler {} takes",
                                      flag.dump(), service.scheduler));
      }
      bits |= bit;
    }
    service.sched_flags = bits;
  }
}

void set_persistence(sched::ServiceSpec& service, const json& object) {
  if (member(object, "persistent") != nullptr) {
    const auto timeout = integer(object, "persistent", 0, conn::kMaxTimeoutS);
    if (timeout == 0) {
      service.persistence.reset();
    } else {
      if (!service.persistence) service.persistence.emplace();
      service.persistence->timeout_s = static_cast<uint32_t>(timeout);
    }
  }
  if (member(object, "netmask") != nullptr) {
    const auto mask = netmask(object, "netmask");
    if (!service.persistence) {
      refuse("invalid", fmt::format("a persistence netmask needs persistence: {} is not "
                                    "persistent (give \"persistent\")",
                                    service_label(service)));
    }
    service.persistence->netmask = mask;
  }
}

void set_service_attributes(sched::ServiceSpec& service, const json& object) {
  set_scheduler(service, object);
  set_persistence(service, object);
  if (member(object, "one_packet") != nullptr) service.one_packet = boolean(object, "one_packet");
  if (member(object, "enabled") != nullptr) service.enabled = boolean(object, "enabled");
  if (member(object, "quiesce_server") != nullptr) {
    service.quiesce_server = boolean(object, "quiesce_server");
  }
  if (const json* health = member(object, "health")) detail::set_health(service, *health);
  if (const json* sorry = member(object, "sorry_server")) detail::set_sorry_server(service, *sorry);
}

// --- real servers ---------------------------------------------------------------

std::string real_label(const sched::ServiceSpec& service, const sched::RealServerSpec& real) {
  return fmt::format("real server {}:{} of {}", real.addr.to_string(), real.port,
                     service_label(service));
}

// The address and port that name a real server within `service`.
sched::RealServerSpec real_identity(const sched::ServiceSpec& service, const json& object) {
  if (!object.is_object() || member(object, "address") == nullptr) {
    bad_request("a real server needs \"address\"");
  }
  sched::RealServerSpec real;
  real.addr = host_address(object, "address");
  real.port = service.port;
  if (member(object, "port") != nullptr) {
    real.port = static_cast<uint16_t>(integer(object, "port", 0, 65535));
    // Port 0 keeps each packet's destination port: only where packets
    // arrive on many ports (as the file parser rules).
    if (real.port == 0 && service.fwmark == 0 && service.port != 0) {
      refuse("invalid", fmt::format("port 0 (keep each packet's port) is only for firewall-mark "
                                    "and port-0 services, not {}",
                                    service_label(service)));
    }
  }
  return real;
}

std::vector<sched::RealServerSpec>::iterator find_real(sched::ServiceSpec& service,
                                                       const sched::RealServerSpec& id) {
  return std::find_if(
      service.real_servers.begin(), service.real_servers.end(),
      [&](const sched::RealServerSpec& r) { return r.addr == id.addr && r.port == id.port; });
}

void set_real_attributes(const sched::ServiceSpec& service, sched::RealServerSpec& real,
                         const json& object) {
  if (member(object, "forward") != nullptr) {
    const auto forward = sched::parse_forward_method(text(object, "forward"));
    if (!forward) {
      refuse("invalid", fmt::format("\"forward\" must be one of: nat, dr, tunnel; got {}",
                                    object.at("forward").dump()));
    }
    real.forward = *forward;
  }
  if (member(object, "weight") != nullptr) {
    real.weight = static_cast<uint32_t>(integer(object, "weight", 0, 65535));
  }
  if (member(object, "upper_threshold") != nullptr) {
    real.upper_threshold =
        static_cast<uint32_t>(integer(object, "upper_threshold", 0, kMaxThreshold));
  }
  if (member(object, "lower_threshold") != nullptr) {
    real.lower_threshold =
        static_cast<uint32_t>(integer(object, "lower_threshold", 0, kMaxThreshold));
  }
  if (member(object, "enabled") != nullptr) real.enabled = boolean(object, "enabled");
  if (const json* check = member(object, "check")) {
    detail::set_real_check(real, *check, real_label(service, real));
  }
}

// --- operations -----------------------------------------------------------------

const json& service_member(const json& op, std::initializer_list<std::string_view> keys) {
  const json* service = member(op, "service");
  if (service == nullptr) bad_request("\"service\" is missing");
  only_keys(*service, "\"service\"", keys);
  return *service;
}

const json& real_member(const json& op, std::initializer_list<std::string_view> keys) {
  const json* real = member(op, "real");
  if (real == nullptr) bad_request("\"real\" is missing");
  only_keys(*real, "\"real\"", keys);
  return *real;
}

void add_service(Config& config, const json& op) {
  only_keys(op, "add_service", {"op", "service"});
  const json& object = service_member(op, kServiceKeys);
  sched::ServiceSpec service = identity(object);
  if (find_service(config, service) != config.services.end()) {
    refuse("service_exists", fmt::format("service {} already exists", service_label(service)));
  }
  set_service_attributes(service, object);
  config.services.push_back(std::move(service));
}

void edit_service(Config& config, const json& op) {
  only_keys(op, "edit_service", {"op", "service"});
  const json& object = service_member(op, kServiceKeys);
  set_service_attributes(existing_service(config, object), object);
}

void delete_service(Config& config, const json& op) {
  only_keys(op, "delete_service", {"op", "service"});
  const json& object = service_member(op, kSelectorKeys);
  const sched::ServiceSpec& service = existing_service(config, object);
  std::erase_if(config.services, [&](const sched::ServiceSpec& s) { return &s == &service; });
}

void add_real(Config& config, const json& op) {
  only_keys(op, "add_real", {"op", "service", "real"});
  sched::ServiceSpec& service = existing_service(config, service_member(op, kSelectorKeys));
  const json& object = real_member(op, kRealKeys);
  sched::RealServerSpec real = real_identity(service, object);
  if (find_real(service, real) != service.real_servers.end()) {
    refuse("real_exists", fmt::format("{} already exists", real_label(service, real)));
  }
  set_real_attributes(service, real, object);
  service.real_servers.push_back(real);
}

sched::RealServerSpec& existing_real(sched::ServiceSpec& service, const json& object) {
  const sched::RealServerSpec id = real_identity(service, object);
  const auto it = find_real(service, id);
  if (it == service.real_servers.end()) {
    refuse("no_real", fmt::format("no {}", real_label(service, id)));
  }
  return *it;
}

void edit_real(Config& config, const json& op) {
  only_keys(op, "edit_real", {"op", "service", "real"});
  sched::ServiceSpec& service = existing_service(config, service_member(op, kSelectorKeys));
  const json& object = real_member(op, kRealKeys);
  set_real_attributes(service, existing_real(service, object), object);
}

void delete_real(Config& config, const json& op) {
  only_keys(op, "delete_real", {"op", "service", "real"});
  sched::ServiceSpec& service = existing_service(config, service_member(op, kSelectorKeys));
  const sched::RealServerSpec& real = existing_real(service, real_member(op, {"address", "port"}));
  std::erase_if(service.real_servers, [&](const sched::RealServerSpec& r) { return &r == &real; });
}

void apply_one(Config& config, const json& op) {
  if (!op.is_object()) bad_request("an operation must be an object");
  const json* name = member(op, "op");
  if (name == nullptr || !name->is_string())
    bad_request("\"op\" (the operation's name) is missing");
  const std::string& what = name->get_ref<const std::string&>();
  if (what == "add_service") return add_service(config, op);
  if (what == "edit_service") return edit_service(config, op);
  if (what == "delete_service") return delete_service(config, op);
  if (what == "add_real") return add_real(config, op);
  if (what == "edit_real") return edit_real(config, op);
  if (what == "delete_real") return delete_real(config, op);
  if (what == "clear") {
    only_keys(op, "clear", {"op"});
    config.services.clear();
    return;
  }
  bad_request(
      fmt::format("unknown operation \"{}\", expected one of: add_service, edit_service, "
                  "delete_service, clear, add_real, edit_real, delete_real",
                  what));
}

}  // namespace

std::string service_label(const sched::ServiceSpec& service) {
  if (service.fwmark != 0) return fmt::format("fwmark {}", service.fwmark);
  return fmt::format("{} {}:{}", sched::to_string(service.protocol), service.vip.to_string(),
                     service.port);
}

FoundService find_service(const Config& config, const json& selector) {
  try {
    only_keys(selector, "\"service\"", kSelectorKeys);
    const sched::ServiceSpec id = identity(selector);
    for (const auto& s : config.services)
      if (same_service(s, id)) return {&s, std::nullopt};
    return {nullptr, EditError{"no_service", fmt::format("no service {}", service_label(id))}};
  } catch (const Refusal& refusal) {
    return {nullptr, EditError{refusal.code, refusal.message}};
  } catch (const json::exception& e) {
    return {nullptr, EditError{"bad_request", e.what()}};
  }
}

std::optional<EditError> apply_edits(Config& config, const json& ops) {
  if (!ops.is_array() || ops.empty() || ops.size() > kMaxOps) {
    return EditError{"bad_request",
                     fmt::format("\"ops\" must be a list of 1 to {} operations", kMaxOps)};
  }
  for (size_t i = 0; i < ops.size(); ++i) {
    try {
      apply_one(config, ops[i]);
    } catch (Refusal& refusal) {
      if (ops.size() > 1) refusal.message = fmt::format("op {}: {}", i + 1, refusal.message);
      return EditError{std::move(refusal.code), std::move(refusal.message)};
    } catch (const json::exception& e) {
      // A wrongly typed member deep inside (json's own check).
      return EditError{"bad_request", ops.size() > 1 ? fmt::format("op {}: {}", i + 1, e.what())
                                                     : std::string(e.what())};
    }
  }
  return std::nullopt;
}

}  // namespace lb::config
