// check(): the file validator's cross-field rules for a Config built in
// memory. Those rules look at where each value came from (a Site) to point at
// its line and to skip values already reported; a Config from live edits has
// every field valid and no line, so each present field gets a Site with its
// path, no position, and ok = true.
#include <lb/config/edit.h>

#include "parse.h"
#include "validate.h"

namespace lb::config {

namespace {

using detail::Site;

Site present(std::string path) {
  return Site{std::move(path), detail::Pos{}, true};
}

detail::CheckSites check_sites(const std::optional<health::CheckSpec>& check,
                               const std::string& path) {
  detail::CheckSites sites;
  if (!check) return sites;
  sites.entry = present(path);
  if (check->port != 0) sites.port = present(detail::child_path(path, "port"));
  if (check->through_tunnel) {
    sites.through_tunnel = present(detail::child_path(path, "through_tunnel"));
  }
  return sites;
}

detail::RealServerSites real_sites(const sched::RealServerSpec& real, const std::string& path) {
  detail::RealServerSites rs;
  rs.entry = present(path);
  for (auto [site, key] : {std::pair{&rs.address, "address"},
                           {&rs.port, "port"},
                           {&rs.forward, "forward"},
                           {&rs.upper_threshold, "upper_threshold"},
                           {&rs.lower_threshold, "lower_threshold"}}) {
    *site = present(detail::child_path(path, key));
  }
  rs.check = check_sites(real.check, detail::child_path(path, "check"));
  return rs;
}

detail::ServiceSites service_sites(const sched::ServiceSpec& service, const std::string& path) {
  detail::ServiceSites sites;
  sites.entry = present(path);
  if (service.fwmark != 0) {
    sites.fwmark = present(detail::child_path(path, "fwmark"));
  } else {
    sites.protocol = present(detail::child_path(path, "protocol"));
    sites.vip = present(detail::child_path(path, "vip"));
    sites.port = present(detail::child_path(path, "port"));
  }
  if (service.persistence) sites.persistence = present(detail::child_path(path, "persistence"));
  // Always read: one_packet defaults to false when a file leaves it out.
  sites.one_packet = present(detail::child_path(path, "one_packet"));
  sites.health_check = check_sites(service.health.check, detail::child_path(path, "health.check"));
  if (service.sorry_server) {
    sites.sorry_server =
        real_sites(*service.sorry_server, detail::child_path(path, "sorry_server"));
  }
  for (size_t r = 0; r < service.real_servers.size(); ++r) {
    sites.real_servers.push_back(real_sites(
        service.real_servers[r], detail::index_path(detail::child_path(path, "real_servers"), r)));
  }
  return sites;
}

detail::Sites sites_of(const Config& config) {
  detail::Sites sites;
  sites.lcores_main = present("lcores.main");
  for (size_t i = 0; i < config.lcores.workers.size(); ++i) {
    sites.lcores_workers.push_back(present(detail::index_path("lcores.workers", i)));
  }
  for (size_t i = 0; i < config.ports.size(); ++i) {
    const std::string path = detail::index_path("ports", i);
    auto& ps = sites.ports.emplace_back();
    ps.entry = present(path);
    ps.name = present(detail::child_path(path, "name"));
    ps.device = present(detail::child_path(path, "device"));
    ps.address = present(detail::child_path(path, "address"));
    if (config.ports[i].gateway) ps.gateway = present(detail::child_path(path, "gateway"));
    ps.tap_name = present(detail::child_path(path, "tap_name"));
    if (config.ports[i].tunnel_sources) {
      ps.tunnel_sources = present(detail::child_path(path, "tunnel_sources"));
    }
  }
  sites.neighbor_table_size = present("neighbors.table_size");
  for (size_t i = 0; i < config.static_neighbors.size(); ++i) {
    const std::string path = detail::index_path("static_neighbors", i);
    sites.static_neighbors.push_back({present(path), present(detail::child_path(path, "address"))});
  }
  for (size_t s = 0; s < config.services.size(); ++s) {
    sites.services.push_back(service_sites(config.services[s], detail::index_path("services", s)));
  }
  for (size_t i = 0; i < config.mark_rules.size(); ++i) {
    // One entry per rule: several rules never share an entry here.
    const std::string path = detail::index_path("firewall_marks", i);
    auto& ms = sites.mark_rules.emplace_back();
    ms.entry = present(path);
    ms.mark = present(detail::child_path(path, "mark"));
    if (config.mark_rules[i].protocol) ms.protocol = present(detail::child_path(path, "protocol"));
    ms.destination = present(detail::child_path(path, "destination"));
    ms.ports = present(detail::child_path(path, "ports"));
  }
  return sites;
}

}  // namespace

std::vector<ConfigError> check(const Config& config) {
  detail::Reader reader{"running configuration"};
  detail::validate(reader, config, sites_of(config));
  return reader.take_errors();
}

}  // namespace lb::config
