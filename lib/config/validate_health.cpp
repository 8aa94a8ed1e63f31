// Health checks and sorry servers against the rest of their service: a
// check needs a port to probe, through_tunnel needs a tunnel real server to
// mean anything, and a sorry server is another server, reachable the way its
// forwarding method goes. Each check's own fields were judged when it was
// read (parse_health.cpp, edit_health.cpp).
#include <string>

#include <fmt/format.h>

#include <lb/config/health.h>

#include "validate.h"

namespace lb::config::detail {

namespace {

void error_at(Reader& reader, const Site& site, std::string message) {
  reader.error(site.path, site.pos, std::move(message));
}

// A check connects to a port (its own, or the real server's); a program
// only when its command line asks for the port (%p).
bool needs_port(const health::CheckSpec& check) {
  if (check.port != 0) return false;
  return check.type != health::CheckType::kProgram || check.command.find("%p") != std::string::npos;
}

std::string real_name(const sched::RealServerSpec& real) {
  return fmt::format("{}:{}", real.addr.to_string(), real.port);
}

// A real server's own check.
void check_real_check(Reader& reader, const sched::RealServerSpec& real,
                      const RealServerSites& site) {
  if (!real.check || !site.check.entry.ok) return;
  if (real.port == 0 && site.port.ok && needs_port(*real.check)) {
    error_at(reader, site.check.entry,
             fmt::format("real server {} has port 0 (each packet keeps its own port), so its "
                         "check has no port to probe: give the check a port",
                         real.addr.to_string()));
  }
  if (real.check->through_tunnel && site.check.through_tunnel.ok && site.forward.ok &&
      real.forward != sched::ForwardMethod::kTunnel) {
    error_at(reader, site.check.through_tunnel,
             fmt::format("through_tunnel is only for tunnel real servers; {} forwards by {}",
                         real_name(real), sched::to_string(real.forward)));
  }
}

// The service's check, for the real servers without one of their own.
void check_service_check(Reader& reader, const sched::ServiceSpec& service,
                         const ServiceSites& site) {
  const auto& check = service.health.check;
  if (!check || !site.health_check.entry.ok) return;
  bool any_user = false;
  bool any_tunnel = false;
  bool all_known = true;
  bool port_reported = false;  // once per check, naming the first server
  for (size_t r = 0; r < service.real_servers.size(); ++r) {
    const sched::RealServerSpec& real = service.real_servers[r];
    const RealServerSites& real_site = site.real_servers[r];
    if (!absent(real_site.check.entry)) continue;  // checked by its own check
    any_user = true;
    all_known = all_known && real_site.forward.ok;
    any_tunnel = any_tunnel || real.forward == sched::ForwardMethod::kTunnel;
    if (!port_reported && real.port == 0 && real_site.port.ok && needs_port(*check)) {
      error_at(reader, site.health_check.entry,
               fmt::format("{} ({}) has port 0 (each packet keeps its own port), so this check "
                           "has no port to probe it on: give the check a port",
                           real_site.entry.path, real.addr.to_string()));
      port_reported = true;
    }
  }
  if (check->through_tunnel && site.health_check.through_tunnel.ok && any_user && all_known &&
      !any_tunnel) {
    error_at(reader, site.health_check.through_tunnel,
             "through_tunnel is only for tunnel real servers, and none of the real servers this "
             "check applies to forwards by tunnel");
  }
}

void check_sorry_server(Reader& reader, const Config& config, const Sites& sites,
                        const sched::ServiceSpec& service, const ServiceSites& site) {
  if (!service.sorry_server) return;
  const sched::RealServerSpec& sorry = *service.sorry_server;
  const RealServerSites& sorry_site = site.sorry_server;
  if (!sorry_site.address.ok || !sorry_site.port.ok) return;
  for (size_t r = 0; r < service.real_servers.size(); ++r) {
    const sched::RealServerSpec& real = service.real_servers[r];
    const RealServerSites& real_site = site.real_servers[r];
    if (real_site.address.ok && real_site.port.ok && real.addr == sorry.addr &&
        real.port == sorry.port) {
      error_at(reader, sorry_site.entry,
               fmt::format("sorry server {} is also {}: a sorry server takes new connections when "
                           "every real server is down, so it must be another server",
                           real_name(sorry), real_site.entry.path));
      return;
    }
  }
  if (sorry_site.forward.ok) {
    check_real_server_path(reader, config, sites, service, sorry, sorry_site, "sorry server");
  }
}

}  // namespace

void check_health(Reader& reader, const Config& config, const Sites& sites) {
  for (size_t s = 0; s < config.services.size(); ++s) {
    const sched::ServiceSpec& service = config.services[s];
    const ServiceSites& site = sites.services[s];
    check_service_check(reader, service, site);
    for (size_t r = 0; r < service.real_servers.size(); ++r)
      check_real_check(reader, service.real_servers[r], site.real_servers[r]);
    check_sorry_server(reader, config, sites, service, site);
  }
}

}  // namespace lb::config::detail
