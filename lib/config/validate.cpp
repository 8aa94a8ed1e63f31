#include "validate.h"

#include <lb/config/edit.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace lb::config::detail {

namespace {

void error_at(Reader& reader, const Site& site, std::string message) {
  reader.error(site.path, site.pos, std::move(message));
}

std::string network_of(const packet::Ipv4Prefix& prefix) {
  return packet::Ipv4Prefix{packet::Ipv4Addr::from_host(prefix.addr.host() & prefix.mask_host()),
                            prefix.len}
      .to_string();
}

// `ports[0] "ext"`: the index finds it in the file, the name in lbctl.
std::string port_label(const Config& config, const Sites& sites, size_t index) {
  if (!sites.ports[index].name.ok) return sites.ports[index].entry.path;
  return fmt::format("{} \"{}\"", sites.ports[index].entry.path, config.ports[index].name);
}

// DPDK names a device by its devargs up to the first comma (the vdev name or
// the PCI address); two ports cannot probe the same one.
std::string_view device_name(std::string_view devargs) {
  return devargs.substr(0, devargs.find(','));
}

// The port whose own address is `addr`, if any.
std::optional<size_t> port_with_address(const Config& config, const Sites& sites,
                                        packet::Ipv4Addr addr) {
  for (size_t i = 0; i < config.ports.size(); ++i) {
    if (sites.ports[i].address.ok && config.ports[i].address.addr == addr) return i;
  }
  return std::nullopt;
}

void check_lcores(Reader& reader, const Config& config, const Sites& sites) {
  const auto& workers = config.lcores.workers;
  for (size_t i = 0; i < workers.size() && i < sites.lcores_workers.size(); ++i) {
    const Site& site = sites.lcores_workers[i];
    if (!site.ok) continue;
    if (sites.lcores_main.ok && workers[i] == config.lcores.main) {
      error_at(reader, site,
               fmt::format("lcore {} is the main lcore ({}); a worker needs an lcore of its own",
                           workers[i], sites.lcores_main.path));
      continue;
    }
    for (size_t j = 0; j < i; ++j) {
      if (sites.lcores_workers[j].ok && workers[j] == workers[i]) {
        error_at(reader, site,
                 fmt::format("lcore {} is listed twice (also {})", workers[i],
                             sites.lcores_workers[j].path));
        break;
      }
    }
  }
}

void check_ports(Reader& reader, const Config& config, const Sites& sites) {
  std::optional<size_t> first_gateway;
  for (size_t i = 0; i < config.ports.size(); ++i) {
    const PortConfig& port = config.ports[i];
    const PortSites& site = sites.ports[i];
    for (size_t j = 0; j < i; ++j) {
      const PortConfig& other = config.ports[j];
      const PortSites& other_site = sites.ports[j];
      const bool same_name = site.name.ok && other_site.name.ok && port.name == other.name;
      if (same_name) {
        error_at(
            reader, site.name,
            fmt::format("duplicate port name \"{}\" (also {})", port.name, other_site.name.path));
      }
      if (site.device.ok && other_site.device.ok &&
          device_name(port.device) == device_name(other.device)) {
        error_at(reader, site.device,
                 fmt::format("device \"{}\" is already used by {}", device_name(port.device),
                             port_label(config, sites, j)));
      }
      // Equal names give equal default TAP names: one mistake, reported once.
      if (port.exception_path && other.exception_path && site.tap_name.ok &&
          other_site.tap_name.ok && port.tap_name == other.tap_name && !same_name) {
        error_at(reader, site.tap_name,
                 fmt::format("TAP name \"{}\" is already used by {}", port.tap_name,
                             port_label(config, sites, j)));
      }
      if (site.address.ok && other_site.address.ok) {
        // Two subnets overlap exactly when the shorter prefix holds the other's address.
        const auto& shorter = port.address.len <= other.address.len ? port.address : other.address;
        const auto& longer = &shorter == &port.address ? other.address : port.address;
        if (shorter.contains(longer.addr)) {
          error_at(reader, site.address,
                   fmt::format("subnet {} overlaps {}'s subnet {}; each port needs a subnet of "
                               "its own",
                               network_of(port.address), port_label(config, sites, j),
                               network_of(other.address)));
        }
      }
    }
    if (!site.gateway.ok) continue;
    if (site.address.ok) {
      if (!port.address.contains(*port.gateway)) {
        error_at(reader, site.gateway,
                 fmt::format("gateway {} is outside this port's subnet {}",
                             port.gateway->to_string(), network_of(port.address)));
      } else if (*port.gateway == port.address.addr) {
        error_at(reader, site.gateway,
                 fmt::format("gateway {} is this port's own address", port.gateway->to_string()));
      }
    }
    if (first_gateway) {
      error_at(reader, site.gateway,
               fmt::format("only one port may have a gateway, and {} already has one",
                           port_label(config, sites, *first_gateway)));
    } else {
      first_gateway = i;
    }
  }
}

void check_static_neighbors(Reader& reader, const Config& config, const Sites& sites) {
  const auto& neighbors = config.static_neighbors;
  bool all_ports_ok = !config.ports.empty();
  std::vector<std::string> subnets;
  for (size_t i = 0; i < config.ports.size(); ++i) {
    all_ports_ok = all_ports_ok && sites.ports[i].address.ok;
    subnets.push_back(network_of(config.ports[i].address));
  }
  for (size_t i = 0; i < neighbors.size(); ++i) {
    const Site& site = sites.static_neighbors[i].address;
    if (!site.ok) continue;
    const packet::Ipv4Addr addr = neighbors[i].addr;
    if (auto port = port_with_address(config, sites, addr)) {
      error_at(reader, site,
               fmt::format("{} is {}'s own address, not a neighbor", addr.to_string(),
                           port_label(config, sites, *port)));
      continue;
    }
    // A neighbor is on a link; one no port reaches could never be used.
    bool on_link = false;
    for (const PortConfig& port : config.ports)
      on_link = on_link || port.address.contains(addr);
    if (all_ports_ok && !on_link) {
      error_at(reader, site,
               fmt::format("{} is in no port's subnet ({})", addr.to_string(),
                           fmt::join(subnets, ", ")));
    }
    for (size_t j = 0; j < i; ++j) {
      if (sites.static_neighbors[j].address.ok && neighbors[j].addr == addr) {
        error_at(reader, site,
                 fmt::format("{} is listed twice (also {})", addr.to_string(),
                             sites.static_neighbors[j].address.path));
        break;
      }
    }
  }
  if (sites.neighbor_table_size.ok && neighbors.size() > config.neighbors.table_size) {
    error_at(reader, sites.neighbor_table_size,
             fmt::format("the table of {} entries cannot hold the {} static neighbors",
                         config.neighbors.table_size, neighbors.size()));
  }
}

// A firewall-mark service: identified by its mark, not protocol/VIP/port.
bool is_fwmark_service(const ServiceSites& site) {
  return !absent(site.fwmark);
}

// The identity of a service, when every part of it was read.
bool key_ok(const ServiceSites& site) {
  return is_fwmark_service(site) ? site.fwmark.ok : site.protocol.ok && site.vip.ok && site.port.ok;
}

bool same_key(const sched::ServiceSpec& a, const sched::ServiceSpec& b) {
  if (a.fwmark != 0 || b.fwmark != 0) return a.fwmark == b.fwmark;
  return a.protocol == b.protocol && a.vip == b.vip && a.port == b.port;
}

// Settings of one service that only make sense together (ipvsadm -A's checks).
void check_service_settings(Reader& reader, const sched::ServiceSpec& service,
                            const ServiceSites& site) {
  if (!is_fwmark_service(site) && site.port.ok && service.port == 0 && absent(site.persistence)) {
    error_at(reader, site.port,
             "port 0 (every port of the VIP) is only for persistent services; add persistence "
             "or give the port (ipvsadm: \"Zero port specified for non-persistent service\")");
  }
  if (site.one_packet.ok && service.one_packet && !is_fwmark_service(site) && site.protocol.ok &&
      service.protocol != sched::Protocol::kUdp) {
    error_at(reader, site.one_packet,
             fmt::format("one-packet scheduling is only for UDP and firewall-mark services, not "
                         "{} (ipvsadm: \"One-Packet Scheduling is only for UDP virtual "
                         "services\")",
                         sched::to_string(service.protocol)));
  }
  for (size_t r = 0; r < service.real_servers.size(); ++r) {
    const sched::RealServerSpec& real = service.real_servers[r];
    const RealServerSites& real_site = site.real_servers[r];
    if (!real_site.upper_threshold.ok || !real_site.lower_threshold.ok ||
        real.lower_threshold <= real.upper_threshold) {
      continue;
    }
    // The kernel refuses l_threshold > u_threshold with ERANGE (ipvsadm prints
    // strerror: "Numerical result out of range").
    if (real.upper_threshold == 0) {
      error_at(reader, real_site.lower_threshold,
               fmt::format("lower threshold {} without an upper threshold: set upper_threshold "
                           "to {} or more (the kernel refuses it: \"Numerical result out of "
                           "range\")",
                           real.lower_threshold, real.lower_threshold));
    } else {
      error_at(reader, real_site.lower_threshold,
               fmt::format("lower threshold {} is above the upper threshold {} (the kernel "
                           "refuses it: \"Numerical result out of range\")",
                           real.lower_threshold, real.upper_threshold));
    }
  }
}

// The port whose subnet holds `addr` (a directly connected host), if any.
std::optional<size_t> port_reaching(const Config& config, const Sites& sites,
                                    packet::Ipv4Addr addr) {
  for (size_t i = 0; i < config.ports.size(); ++i) {
    if (sites.ports[i].address.ok && config.ports[i].address.contains(addr)) return i;
  }
  return std::nullopt;
}

std::string port_subnets(const Config& config, const Sites& sites) {
  std::string out;
  for (size_t i = 0; i < config.ports.size(); ++i) {
    if (!sites.ports[i].address.ok) continue;
    if (!out.empty()) out += ", ";
    out += fmt::format("\"{}\" {}", config.ports[i].name, network_of(config.ports[i].address));
  }
  return out;
}

// Where a real server's packets go, by its forwarding method: never to lbd
// itself, and on a path the method can take.
}  // namespace

void check_real_server_path(Reader& reader, const Config& config, const Sites& sites,
                            const sched::ServiceSpec& service, const sched::RealServerSpec& real,
                            const RealServerSites& site, std::string_view what) {
  const std::string_view method = sched::to_string(real.forward);
  // Any method sends the packet towards the real server's address: lbd's own
  // address or a VIP there would loop back into lbd.
  if (auto port = port_with_address(config, sites, real.addr)) {
    error_at(reader, site.address,
             fmt::format("{} {} is {}'s own address", what, real.addr.to_string(),
                         port_label(config, sites, *port)));
    return;
  }
  for (size_t t = 0; t < config.services.size(); ++t) {
    if (sites.services[t].vip.ok && config.services[t].vip == real.addr) {
      error_at(reader, site.address,
               fmt::format("{} {} is the VIP of {}; forwarding ({}) to a VIP would loop", what,
                           real.addr.to_string(), sites.services[t].entry.path, method));
      return;
    }
  }
  if (real.forward == sched::ForwardMethod::kNat) return;
  // Direct routing and tunnels leave the packet as the client sent it, to
  // the VIP's port: the real server cannot listen elsewhere. (A port-0 or
  // firewall-mark service's real servers keep each packet's port anyway.)
  const bool keeps_port = service.fwmark != 0 || service.port == 0;
  if (site.port.ok && !keeps_port && real.port != service.port) {
    error_at(reader, site.port,
             fmt::format("port {} differs from the service's port {}: {} forwards the client's "
                         "packet unchanged, so the {} must listen on {}; leave the port "
                         "out, or use forward: nat to translate it",
                         real.port, service.port, method, what, service.port));
  }
  if (keeps_port && site.port.ok && real.port != 0) {
    error_at(
        reader, site.port,
        fmt::format("port {}: a {} {} of a {} service keeps each packet's port; "
                    "leave the port out (0)",
                    real.port, method, what, service.fwmark != 0 ? "firewall-mark" : "port-0"));
  }
  if (port_reaching(config, sites, real.addr)) return;
  if (real.forward == sched::ForwardMethod::kDirectRoute) {
    error_at(reader, site.address,
             fmt::format("{} {} uses direct routing but is on none of lbd's subnets "
                         "({}); direct routing addresses the frame to the server's MAC, so the "
                         "server must share a link with lbd: put it on a port's subnet, or use "
                         "forward: tunnel",
                         what, real.addr.to_string(), port_subnets(config, sites)));
    return;
  }
  const bool has_gateway = std::any_of(config.ports.begin(), config.ports.end(),
                                       [](const PortConfig& p) { return p.gateway.has_value(); });
  if (!has_gateway) {
    error_at(reader, site.address,
             fmt::format("tunnel {} {} is on none of lbd's subnets ({}) and no port has "
                         "a gateway to reach it",
                         what, real.addr.to_string(), port_subnets(config, sites)));
  }
}

namespace {

// A port's tunnel source pool: lbd answers ARP for every address in it, so it
// must hold none of lbd's other addresses, and stay small.
void check_tunnel_sources(Reader& reader, const Config& config, const Sites& sites) {
  constexpr uint8_t kShortestPool = 22;  // 1022 addresses
  for (size_t i = 0; i < config.ports.size(); ++i) {
    const Site& site = sites.ports[i].tunnel_sources;
    if (!site.ok) continue;
    const packet::Ipv4Prefix& pool = *config.ports[i].tunnel_sources;
    if (pool.len < kShortestPool) {
      error_at(reader, site,
               fmt::format("{} is too large a tunnel source pool: at most a /{} ({} addresses)",
                           pool.to_string(), kShortestPool, (1u << (32 - kShortestPool)) - 2));
      continue;
    }
    for (size_t p = 0; p < config.ports.size(); ++p) {
      if (sites.ports[p].address.ok && pool.contains(config.ports[p].address.addr)) {
        error_at(
            reader, site,
            fmt::format("{} holds {}'s own address {}", pool.to_string(),
                        port_label(config, sites, p), config.ports[p].address.addr.to_string()));
      }
    }
    for (size_t t = 0; t < config.services.size(); ++t) {
      if (sites.services[t].vip.ok && config.services[t].fwmark == 0 &&
          pool.contains(config.services[t].vip)) {
        error_at(reader, site,
                 fmt::format("{} holds the VIP {} of {}", pool.to_string(),
                             config.services[t].vip.to_string(), sites.services[t].entry.path));
      }
    }
    for (size_t p = 0; p < i; ++p) {
      const auto& other = config.ports[p].tunnel_sources;
      if (sites.ports[p].tunnel_sources.ok &&
          (other->contains(pool.addr) || pool.contains(other->addr))) {
        error_at(reader, site,
                 fmt::format("{} overlaps {} of {}", pool.to_string(), other->to_string(),
                             port_label(config, sites, p)));
      }
    }
  }
}

void check_services(Reader& reader, const Config& config, const Sites& sites) {
  const auto& services = config.services;
  for (size_t s = 0; s < services.size(); ++s) {
    const sched::ServiceSpec& service = services[s];
    const ServiceSites& site = sites.services[s];
    for (size_t t = 0; key_ok(site) && t < s; ++t) {
      const ServiceSites& other = sites.services[t];
      if (key_ok(other) && is_fwmark_service(other) == is_fwmark_service(site) &&
          same_key(services[t], service)) {
        error_at(reader, site.entry,
                 fmt::format("duplicates {} ({})", other.entry.path, service_label(service)));
        break;
      }
    }
    check_service_settings(reader, service, site);
    if (site.vip.ok) {
      if (auto port = port_with_address(config, sites, service.vip)) {
        error_at(reader, site.vip,
                 fmt::format("VIP {} is {}'s own address; a VIP needs an address of its own",
                             service.vip.to_string(), port_label(config, sites, *port)));
      }
    }
    const auto& reals = service.real_servers;
    for (size_t r = 0; r < reals.size(); ++r) {
      const RealServerSites& real_site = site.real_servers[r];
      if (!real_site.address.ok) continue;
      for (size_t q = 0; real_site.port.ok && q < r; ++q) {
        const RealServerSites& other = site.real_servers[q];
        if (other.address.ok && other.port.ok && reals[q].addr == reals[r].addr &&
            reals[q].port == reals[r].port) {
          error_at(reader, real_site.entry,
                   fmt::format("duplicates {} ({}:{})", other.entry.path, reals[r].addr.to_string(),
                               reals[r].port));
          break;
        }
      }
      if (!real_site.forward.ok) continue;
      check_real_server_path(reader, config, sites, service, reals[r], real_site, "real server");
    }
  }
}

// One-packet scheduling keeps no connection, so a NAT reply is matched to its
// service by the real server's address and port alone: two one-packet
// services sharing one would be indistinguishable. Port 0 (the packet's own
// port) may be any port.
void check_one_packet_real_servers(Reader& reader, const Config& config, const Sites& sites) {
  const auto& services = config.services;
  const auto shares = [](const sched::RealServerSpec& a, const sched::RealServerSpec& b) {
    return a.addr == b.addr && (a.port == b.port || a.port == 0 || b.port == 0);
  };
  const auto nat_ok = [](const RealServerSites& site, const sched::RealServerSpec& real) {
    return site.address.ok && site.port.ok && site.forward.ok &&
           real.forward == sched::ForwardMethod::kNat;
  };
  for (size_t s = 0; s < services.size(); ++s) {
    if (!services[s].one_packet || !sites.services[s].one_packet.ok) continue;
    for (size_t r = 0; r < services[s].real_servers.size(); ++r) {
      const auto& real = services[s].real_servers[r];
      const RealServerSites& real_site = sites.services[s].real_servers[r];
      if (!nat_ok(real_site, real)) continue;
      bool reported = false;
      for (size_t t = 0; t < s && !reported; ++t) {
        if (!services[t].one_packet || !sites.services[t].one_packet.ok) continue;
        for (size_t q = 0; q < services[t].real_servers.size(); ++q) {
          const auto& other = services[t].real_servers[q];
          if (!nat_ok(sites.services[t].real_servers[q], other) || !shares(real, other)) continue;
          error_at(reader, real_site.entry,
                   fmt::format("real server {}:{} is also {}:{} of {}, another one-packet NAT "
                               "service; one-packet scheduling keeps no connection, so lbd could "
                               "not tell which service a reply from it belongs to",
                               real.addr.to_string(), real.port, other.addr.to_string(), other.port,
                               sites.services[t].entry.path));
          reported = true;
          break;
        }
      }
    }
  }
}

void check_mark_rules(Reader& reader, const Config& config, const Sites& sites) {
  const auto& rules = config.mark_rules;
  for (size_t i = 0; i < rules.size(); ++i) {
    const MarkRuleSites& site = sites.mark_rules[i];
    // An entry with several ports shares its destination: report it once.
    if (!site.destination.ok || (i > 0 && sites.mark_rules[i - 1].entry.path == site.entry.path)) {
      continue;
    }
    for (size_t p = 0; p < config.ports.size(); ++p) {
      if (sites.ports[p].address.ok &&
          rules[i].destination.contains(config.ports[p].address.addr)) {
        error_at(reader, site.destination,
                 fmt::format("{} holds {}'s own address {}: lbd's own traffic must not be "
                             "load-balanced; list the VIPs, or a prefix without it",
                             rules[i].destination.to_string(), port_label(config, sites, p),
                             config.ports[p].address.addr.to_string()));
      }
    }
  }
  if (!sites.mark_rules_complete) return;
  for (size_t s = 0; s < config.services.size(); ++s) {
    const ServiceSites& site = sites.services[s];
    if (!is_fwmark_service(site) || !site.fwmark.ok) continue;
    const uint32_t mark = config.services[s].fwmark;
    const bool marked = std::any_of(rules.begin(), rules.end(),
                                    [&](const sched::MarkRule& r) { return r.mark == mark; });
    if (!marked) {
      error_at(reader, site.fwmark,
               fmt::format("no firewall_marks rule sets mark {}: the service could never receive "
                           "a packet",
                           mark));
    }
  }
}

}  // namespace

void validate(Reader& reader, const Config& config, const Sites& sites) {
  check_lcores(reader, config, sites);
  check_ports(reader, config, sites);
  check_static_neighbors(reader, config, sites);
  check_services(reader, config, sites);
  check_one_packet_real_servers(reader, config, sites);
  check_mark_rules(reader, config, sites);
  check_tunnel_sources(reader, config, sites);
  check_health(reader, config, sites);
}

}  // namespace lb::config::detail
