// What lbd checks and what the checks' verdicts do to scheduling: the pure
// half of running health checks (app/lbd's HealthControl is the other).
//
// health_targets() turns a configuration into the list of real servers to
// check, each with its check (its own, or its service's) and the appliance
// address the probes leave from, so that they reach the real server through
// that port's exception path. scheduling_config() turns the configuration
// and the current verdicts into what the data plane runs: the configuration
// (what lbctl config shows and lbctl save writes) is never changed by a
// verdict.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <lb/config/model.h>
#include <lb/health/check.h>
#include <lb/health/model.h>

namespace lb::config {

// A checked real server: its service's identity and its own. Stable across
// edits and reloads, so a server keeps its state while its service or its
// check is edited.
struct ServerKey {
  uint32_t fwmark = 0;  // or protocol/vip/vport
  sched::Protocol protocol = sched::Protocol::kTcp;
  packet::Ipv4Addr vip;
  uint16_t vport = 0;
  packet::Ipv4Addr addr;
  uint16_t port = 0;
  friend auto operator<=>(const ServerKey&, const ServerKey&) = default;
};

ServerKey server_key(const sched::ServiceSpec& service, const sched::RealServerSpec& real) noexcept;
// "tcp 198.18.1.100:80", "fwmark 7": the service part of a key.
std::string describe_service(const ServerKey& key);
// "tcp 198.18.1.100:80 real server 198.18.2.11:8080", "fwmark 7 real server 198.18.2.11".
std::string describe(const ServerKey& key);

struct CheckedServer {
  ServerKey key;
  health::Target target;  // target.id left 0: the caller numbers its targets
  health::OnFailure on_failure = health::OnFailure::kRemove;
};

// One entry per enabled real server of an enabled service that has a check
// (its own `check`, else its service's `health.check`), in configuration
// order. The source is the address of the port whose subnet holds the real
// server, else of the port with a gateway (both only with an exception path);
// none when no port qualifies (the kernel's routing decides).
std::vector<CheckedServer> health_targets(const Config& config);

using Verdicts = std::map<ServerKey, health::State>;

// `config` with the verdicts applied to each service:
// - a real server judged down is removed from scheduling (enabled = false:
//   its established connections continue, as after ipvsadm -d, unless
//   expire_nodest_conn) or, with on_failure quiesce, kept at weight 0;
// - a service with a sorry server gets it as an extra real server while none
//   of its enabled real servers is usable (every one down, or none enabled);
// - unknown (not yet checked) and up servers are scheduled as configured.
Config scheduling_config(const Config& config, const Verdicts& verdicts);

}  // namespace lb::config
