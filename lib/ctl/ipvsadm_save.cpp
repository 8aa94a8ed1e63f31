#include <lb/ctl/ipvsadm_save.h>

#include <cstdint>
#include <optional>

#include <fmt/format.h>

#include <lb/sched/model.h>

namespace lb::ctl::ipvsadm {

namespace {

// option_from_protocol, or the fwmark (printed with %d in 1.31).
std::string service_option(const ListedService& service, const NameResolver* names) {
  if (service.fwmark != 0) return fmt::format("-f {}", static_cast<int32_t>(service.fwmark));
  const char* option = service.protocol == kProtoTcp   ? "-t"
                       : service.protocol == kProtoUdp ? "-u"
                                                       : "--sctp-service";
  return fmt::format("{} {}", option,
                     addrport_to_anyname(service.addr, service.port, service.protocol, names));
}

// fwd_switch: Local saves as -g.
const char* forward_switch(const std::string& forward) {
  if (forward == "Masq") return "-m";
  if (forward == "Tunnel") return "-i";
  return "-g";
}

}  // namespace

std::string format_rules(const Listing& listing, const NameResolver* names) {
  std::optional<CachingResolver> cached;
  if (names != nullptr) names = &cached.emplace(*names);

  std::string out;
  for (const ListedService& service : listing.services) {
    const std::string svc = service_option(service, names);
    out += fmt::format("-A {} -s {}", svc, service.scheduler);
    if (service.persistent_timeout) {
      out += fmt::format(" -p {}", *service.persistent_timeout);
      if (service.netmask.host() != 0xffffffff) out += " -M " + service.netmask.to_string();
    }
    if (!service.pe_name.empty()) out += " --pe " + service.pe_name;
    if (service.one_packet) out += " -o";
    if (service.sched_flags != 0) {
      out += " -b ";
      // print_sched_flags' names and order, as the listing prints them.
      bool first = true;
      for (const std::string_view name :
           sched::sched_flag_names(service.scheduler, service.sched_flags)) {
        if (!first) out += ',';
        out += name;
        first = false;
      }
    }
    out += '\n';
    for (const ListedDest& dest : service.dests) {
      // Not cut to 28 as in the listing: a rule must name the server whole.
      out += fmt::format("-a {} -r {} {} -w {}", svc,
                         addrport_to_anyname(dest.addr, dest.port, service.protocol, names),
                         forward_switch(dest.forward), dest.weight);
      // print_tunnel_rule: lbd's tunnels are IPIP.
      if (dest.forward == "Tunnel") out += " --tun-type ipip";
      out += '\n';
    }
  }
  return out;
}

std::string format_save(const nlohmann::json& services_result, bool numeric) {
  Listing listing = parse_services_result(services_result);
  sort_like_ipvsadm(listing);
  return format_rules(listing, numeric ? nullptr : &system_resolver());
}

}  // namespace lb::ctl::ipvsadm
