#include <lb/config/health_plan.h>

#include <algorithm>

#include <fmt/format.h>

namespace lb::config {

namespace {

// The appliance address probes to `addr` leave from: see health_targets().
std::optional<packet::Ipv4Addr> probe_source(const Config& config, packet::Ipv4Addr addr) {
  for (const PortConfig& port : config.ports) {
    if (port.exception_path && port.address.contains(addr)) return port.address.addr;
  }
  for (const PortConfig& port : config.ports) {
    if (port.exception_path && port.gateway) return port.address.addr;
  }
  return std::nullopt;
}

}  // namespace

ServerKey server_key(const sched::ServiceSpec& service,
                     const sched::RealServerSpec& real) noexcept {
  ServerKey key;
  key.fwmark = service.fwmark;
  if (service.fwmark == 0) {
    key.protocol = service.protocol;
    key.vip = service.vip;
    key.vport = service.port;
  }
  key.addr = real.addr;
  key.port = real.port;
  return key;
}

std::string describe_service(const ServerKey& key) {
  if (key.fwmark != 0) return fmt::format("fwmark {}", key.fwmark);
  return fmt::format("{} {}:{}", sched::to_string(key.protocol), key.vip.to_string(), key.vport);
}

std::string describe(const ServerKey& key) {
  const std::string real =
      key.port != 0 ? fmt::format("{}:{}", key.addr.to_string(), key.port) : key.addr.to_string();
  return fmt::format("{} real server {}", describe_service(key), real);
}

std::vector<CheckedServer> health_targets(const Config& config) {
  std::vector<CheckedServer> out;
  for (const sched::ServiceSpec& service : config.services) {
    if (!service.enabled) continue;
    for (const sched::RealServerSpec& real : service.real_servers) {
      const auto& check = real.check ? real.check : service.health.check;
      if (!real.enabled || !check) continue;
      CheckedServer checked;
      checked.key = server_key(service, real);
      checked.target.addr = real.addr;
      checked.target.port = real.port;
      checked.target.spec = *check;
      checked.target.source = probe_source(config, real.addr);
      // A firewall-mark service has no VIP to connect to: checked directly.
      if (check->through_tunnel && real.forward == sched::ForwardMethod::kTunnel &&
          service.fwmark == 0) {
        checked.target.tunnel_vip = service.vip;
      }
      checked.on_failure = service.health.on_failure;
      out.push_back(std::move(checked));
    }
  }
  return out;
}

Config scheduling_config(const Config& config, const Verdicts& verdicts) {
  Config out = config;
  for (sched::ServiceSpec& service : out.services) {
    bool usable = false;
    for (sched::RealServerSpec& real : service.real_servers) {
      if (!real.enabled) continue;
      const auto it = verdicts.find(server_key(service, real));
      if (it == verdicts.end() || it->second != health::State::kDown) {
        usable = true;
        continue;
      }
      if (service.health.on_failure == health::OnFailure::kQuiesce) {
        real.weight = 0;
      } else {
        real.enabled = false;
      }
    }
    if (!usable && service.sorry_server) service.real_servers.push_back(*service.sorry_server);
  }
  return out;
}

}  // namespace lb::config
