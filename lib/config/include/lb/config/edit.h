// Live edits of a running configuration: the operations lbctl and ipvsadm
// send (add, edit and delete services and real servers), applied to a Config
// that did not come from a file, and the same cross-field rules a file gets.
//
// Pure values on the control side. The caller applies edits to a copy and
// publishes it only when apply_edits and check both succeed: all or nothing.
// The operations' JSON form is the control protocol's `edit` request (see
// conf/README.md, `control`).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <lb/config/load.h>
#include <lb/config/model.h>

namespace lb::config {

// An operation refused: `code` is the protocol's error code (service_exists,
// no_service, real_exists, no_real, no_scheduler, invalid, bad_request),
// `message` a sentence naming the service or real server.
struct EditError {
  std::string code;
  std::string message;
};

// Applies `ops` (a JSON array of operations) to `config` in order. On error,
// `config` may be partly changed: work on a copy. The message of an error in
// a list of several operations starts with "op N: ".
std::optional<EditError> apply_edits(Config& config, const nlohmann::json& ops);

// The cross-field rules load_file() runs (duplicates, forwarding paths,
// firewall marks, ...), for a Config built in memory. Errors carry a field
// path ("services[2].real_servers[0]") but no line.
std::vector<ConfigError> check(const Config& config);

// The configured service a selector names ({"protocol","vip","port"} or
// {"fwmark"}, as in edit operations), or the error an edit would give:
// bad_request for a malformed selector, no_service when none matches.
struct FoundService {
  const sched::ServiceSpec* service = nullptr;
  std::optional<EditError> error;
};
FoundService find_service(const Config& config, const nlohmann::json& selector);

// "tcp 198.18.0.10:80" / "fwmark 7": how messages and logs name a service.
std::string service_label(const sched::ServiceSpec& service);

// Health settings in the `edit` operations' own form, as the `config`
// request shows them, so that a script can send them back: a check as the
// YAML's check map ({"type": "http", "port": 8080, "interval_ms": 2000, ...},
// its type's keys only, texts with Piranha's escapes), and a service's
// `health` ({"check": CHECK or null, "on_failure": "remove"|"quiesce"}).
nlohmann::json check_json(const health::CheckSpec& check);
nlohmann::json health_json(const health::HealthSpec& health);

}  // namespace lb::config
