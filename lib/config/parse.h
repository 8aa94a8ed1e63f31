// The schema: YAML sections -> Config, each field checked on its own (type,
// range, format). Rules that relate several fields live in validate.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <lb/config/model.h>
#include <lb/conn/tcp_state.h>

#include "yaml_reader.h"

namespace lb::config::detail {

// Where a value that cross-field rules look at came from, so validate() can
// point at its line. `ok` is false when the value was absent or rejected on its
// own (already reported): cross-field rules skip it rather than stack a second,
// misleading error on the first.
struct Site {
  std::string path;
  Pos pos;
  bool ok = false;
};

inline Site site_of(const Field& field, bool ok) {
  return Site{field.path, field.pos, ok};
}

// 31 days: the longest timeout ipvsadm takes (-p, --set).
inline constexpr int64_t kMaxTimeoutS = conn::kMaxTimeoutS;

struct PortSites {
  Site entry;
  Site name;
  Site device;
  Site address;
  Site gateway;
  Site tap_name;  // ok also when defaulted from a valid name
  Site tunnel_sources;
};

struct StaticNeighborSites {
  Site entry;
  Site address;
};

// A health check map (a service's `health.check` or a real server's
// `check`): `entry` is ok when every field of it was read without error.
struct CheckSites {
  Site entry;
  Site port;            // present when the check gives a port
  Site through_tunnel;  // present when given
};

struct RealServerSites {
  Site entry;
  Site address;
  Site port;  // ok also when defaulted from a valid service port
  Site forward;
  Site upper_threshold;  // ok also when left out (0, no threshold)
  Site lower_threshold;  // likewise
  CheckSites check;      // absent: the real server has no check of its own
};

// A key the file left out keeps a Site with an empty path.
inline bool absent(const Site& site) {
  return site.path.empty();
}

struct ServiceSites {
  Site entry;
  Site fwmark;  // present: a firewall-mark service (protocol, vip and port absent)
  Site protocol;
  Site vip;
  Site port;
  Site persistence;
  Site one_packet;
  CheckSites health_check;       // absent: the service has no check
  RealServerSites sorry_server;  // entry absent: no sorry server
  std::vector<RealServerSites> real_servers;
};

// One per MarkRule: an entry with a list of ports gives several rules, which
// share the entry's sites and differ in `ports` (the list element).
struct MarkRuleSites {
  Site entry;
  Site mark;
  Site protocol;
  Site destination;
  Site ports;  // the element the rule's range came from; ok also when left out
};

// Parallel to Config's vectors: one element per list entry, even for entries
// with errors, so indices match.
struct Sites {
  Site lcores_main;
  std::vector<Site> lcores_workers;
  std::vector<PortSites> ports;
  Site neighbor_table_size;
  std::vector<StaticNeighborSites> static_neighbors;
  std::vector<ServiceSites> services;
  std::vector<MarkRuleSites> mark_rules;
  // False when firewall_marks could not be read whole (not a list, or a rule
  // without a valid mark): "no rule sets mark N" would then be a guess.
  bool mark_rules_complete = true;
};

struct Parsed {
  Config config;
  Sites sites;
};

Parsed parse_config(Reader& reader, const Field& document);

// parse_services.cpp: one `services` entry, one `firewall_marks` entry (which
// appends a MarkRule per ports element to config.mark_rules).
sched::ServiceSpec parse_service(Reader& reader, const Field& field, ServiceSites& sites);
void parse_mark_rule(Reader& reader, const Field& field, Config& config, Sites& sites);
// A real server's address, port and forwarding method from `map` (the keys a
// real server and a sorry server share); `service_port` is what a server
// without a port inherits.
void parse_real_endpoint(Reader& reader, const MapReader& map, const Field& field,
                         const sched::ServiceSpec& service, const Site& service_port,
                         sched::RealServerSpec& real, RealServerSites& sites);

// parse_health.cpp: a service's `health`, a check map (`health.check`, a
// real server's `check`), a service's `sorry_server`.
health::HealthSpec parse_health(Reader& reader, const Field& field, CheckSites& check_sites);
std::optional<health::CheckSpec> parse_check(Reader& reader, const Field& field, CheckSites& sites);
std::optional<sched::RealServerSpec> parse_sorry_server(Reader& reader, const Field& field,
                                                        const sched::ServiceSpec& service,
                                                        const Site& service_port,
                                                        RealServerSites& sites);

}  // namespace lb::config::detail
