#include "validate.h"

#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>

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

// Direct routing and IPIP tunnelling arrive in a later issue. Until the data
// plane implements them a config asking for them is refused, not silently
// NATed. Delete this function and its call when they land.
void reject_unsupported_forwarding(Reader& reader, const Config& config, const Sites& sites) {
  for (size_t s = 0; s < config.services.size(); ++s) {
    const auto& reals = config.services[s].real_servers;
    for (size_t r = 0; r < reals.size(); ++r) {
      const Site& site = sites.services[s].real_servers[r].forward;
      if (site.ok && reals[r].forward != sched::ForwardMethod::kNat) {
        error_at(reader, site,
                 fmt::format("forwarding method \"{}\" is not supported yet: lbd forwards with "
                             "nat only",
                             sched::to_string(reals[r].forward)));
      }
    }
  }
}

std::string service_label(const sched::ServiceSpec& service) {
  return fmt::format("{} {}:{}", sched::to_string(service.protocol), service.vip.to_string(),
                     service.port);
}

void check_services(Reader& reader, const Config& config, const Sites& sites) {
  const auto& services = config.services;
  for (size_t s = 0; s < services.size(); ++s) {
    const sched::ServiceSpec& service = services[s];
    const ServiceSites& site = sites.services[s];
    const bool key_ok = site.protocol.ok && site.vip.ok && site.port.ok;
    for (size_t t = 0; key_ok && t < s; ++t) {
      const ServiceSites& other = sites.services[t];
      if (other.protocol.ok && other.vip.ok && other.port.ok &&
          services[t].protocol == service.protocol && services[t].vip == service.vip &&
          services[t].port == service.port) {
        error_at(reader, site.entry,
                 fmt::format("duplicates {} ({})", other.entry.path, service_label(service)));
        break;
      }
    }
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
      if (!real_site.forward.ok || reals[r].forward != sched::ForwardMethod::kNat) continue;
      // NAT rewrites the destination to the real server and routes it out of
      // a port: lbd's own address or a VIP there would loop back into lbd.
      if (auto port = port_with_address(config, sites, reals[r].addr)) {
        error_at(reader, real_site.address,
                 fmt::format("real server {} is {}'s own address", reals[r].addr.to_string(),
                             port_label(config, sites, *port)));
        continue;
      }
      for (size_t t = 0; t < services.size(); ++t) {
        if (sites.services[t].vip.ok && services[t].vip == reals[r].addr) {
          error_at(reader, real_site.address,
                   fmt::format("real server {} is the VIP of {}; NAT to a VIP would loop",
                               reals[r].addr.to_string(), sites.services[t].entry.path));
          break;
        }
      }
    }
  }
}

}  // namespace

void validate(Reader& reader, const Config& config, const Sites& sites) {
  check_lcores(reader, config, sites);
  check_ports(reader, config, sites);
  check_static_neighbors(reader, config, sites);
  check_services(reader, config, sites);
  reject_unsupported_forwarding(reader, config, sites);
}

}  // namespace lb::config::detail
