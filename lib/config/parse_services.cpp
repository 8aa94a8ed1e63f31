// The `services` and `firewall_marks` sections: virtual services as ipvsadm -A
// and -a define them (address or firewall-mark services, persistence,
// scheduler flags, one-packet scheduling, thresholds) and the classifier
// that marks packets for the firewall-mark services (conf/README.md documents
// both; keep them in step). Fields are checked on their own here; the rules
// relating services to each other live in validate.cpp.
#include <algorithm>
#include <string>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include <lb/sched/model.h>
#include <lb/sched/scheduler.h>

#include "parse.h"

namespace lb::config::detail {

namespace {

// ipvsadm -x/-y: the kernel keeps thresholds in an int.
constexpr int64_t kMaxThreshold = 2147483647;
constexpr int64_t kMaxMark = 4294967295;
constexpr int64_t kMaxPort = 65535;

// A firewall mark: 1..2^32-1 (0 is how an unmarked packet reads).
std::optional<uint32_t> read_mark(Reader& reader, const Field& field) {
  if (field.node.IsScalar() && field.node.Tag() == "?" && field.node.Scalar() == "0") {
    reader.error(
        field, fmt::format("expected an integer 1..{}, got 0 (0 is an unmarked packet)", kMaxMark));
    return std::nullopt;
  }
  auto mark = read_int(reader, field, 1, kMaxMark);
  if (!mark) return std::nullopt;
  return static_cast<uint32_t>(*mark);
}

std::optional<sched::Protocol> read_protocol(Reader& reader, const Field& field) {
  auto text = read_string(reader, field);
  if (!text) return std::nullopt;
  auto protocol = sched::parse_protocol(*text);
  if (!protocol) reader.error(field, "expected one of: tcp, udp; got " + describe(field.node));
  return protocol;
}

std::string scheduler_names() {
  std::vector<std::string_view> names;
  for (const auto& info : sched::schedulers())
    names.push_back(info.name);
  return join_choices(names);
}

// The ipvsadm -b names a scheduler takes, for messages.
std::string sched_flag_choices(std::string_view scheduler) {
  if (scheduler == "sh") return "sh-fallback, sh-port, flag-1, flag-2, flag-3";
  if (scheduler == "mh") return "mh-fallback, mh-port, flag-1, flag-2, flag-3";
  return "flag-1, flag-2, flag-3";
}

// ipvsadm's parse_sched_flags: sh-* and mh-* only with their scheduler,
// flag-N with any (for sh and mh flag-1/2 are sh-/mh- fallback and port).
// `scheduler_ok` is false when the scheduler was rejected: compatibility is
// then not judged.
uint8_t parse_sched_flags(Reader& reader, const Field& field, std::string_view scheduler,
                          bool scheduler_ok) {
  uint8_t flags = 0;
  std::vector<std::pair<uint8_t, std::string>> seen;  // bit, path
  for (const Field& entry : read_list(reader, field).value_or(std::vector<Field>{})) {
    auto name = read_string(reader, entry);
    if (!name) continue;
    const uint8_t any_bit = static_cast<uint8_t>(sched::parse_sched_flag("sh", *name) |
                                                 sched::parse_sched_flag("mh", *name));
    if (any_bit == 0) {
      reader.error(entry, fmt::format("unknown scheduler flag {}, expected one of: {} (ipvsadm: "
                                      "invalid scheduler flag `{}')",
                                      describe(entry.node), sched_flag_choices(scheduler), *name));
      continue;
    }
    if (!scheduler_ok) continue;
    const uint8_t bit = sched::parse_sched_flag(scheduler, *name);
    if (bit == 0) {
      reader.error(entry, fmt::format("scheduler flag \"{}\" is only for scheduler {}, not {} "
                                      "(ipvsadm: incompatible scheduler flag `{}')",
                                      *name, name->substr(0, 2), scheduler, *name));
      continue;
    }
    auto same =
        std::find_if(seen.begin(), seen.end(), [&](const auto& s) { return s.first == bit; });
    if (same != seen.end()) {
      reader.error(entry, fmt::format("scheduler flag \"{}\" sets the same flag as {}", *name,
                                      same->second));
      continue;
    }
    seen.emplace_back(bit, entry.path);
    flags |= bit;
  }
  return flags;
}

// `persistence: SECONDS` or `persistence: {timeout: SECONDS, netmask: MASK}`.
std::optional<sched::Persistence> parse_persistence(Reader& reader, const Field& field) {
  sched::Persistence persistence;
  if (field.node.IsScalar()) {
    auto timeout = read_int(reader, field, 1, kMaxTimeoutS);
    if (!timeout) return std::nullopt;
    persistence.timeout_s = static_cast<uint32_t>(*timeout);
    return persistence;
  }
  if (!field.node.IsMap()) {
    reader.error(field, fmt::format("expected a timeout in seconds 1..{} or a map with keys: "
                                    "timeout, netmask; got {}",
                                    kMaxTimeoutS, describe(field.node)));
    return std::nullopt;
  }
  const MapReader map(reader, field, {"timeout", "netmask"});
  bool ok = true;
  if (map.get("timeout")) {
    ok = read_int_key(reader, map, "timeout", persistence.timeout_s, 1, kMaxTimeoutS);
  }
  if (auto f = map.get("netmask")) {
    auto mask = read_netmask(reader, *f);
    if (mask) persistence.netmask = *mask;
    ok = ok && mask.has_value();
  }
  return ok ? std::optional(persistence) : std::nullopt;
}

sched::RealServerSpec parse_real_server(Reader& reader, const Field& field,
                                        const sched::ServiceSpec& service, const Site& service_port,
                                        RealServerSites& sites) {
  sched::RealServerSpec real;
  const MapReader map(reader, field,
                      {"address", "port", "weight", "forward", "upper_threshold", "lower_threshold",
                       "enabled", "check"});
  parse_real_endpoint(reader, map, field, service, service_port, real, sites);
  read_int_key(reader, map, "weight", real.weight, 0, 65535);
  for (auto [key, value, site] :
       {std::tuple{"upper_threshold", &real.upper_threshold, &sites.upper_threshold},
        std::tuple{"lower_threshold", &real.lower_threshold, &sites.lower_threshold}}) {
    if (auto f = map.get(key)) {
      *site = site_of(*f, read_int_key(reader, map, key, *value, 0, kMaxThreshold));
    } else {
      *site = Site{child_path(field.path, key), field.pos, true};
    }
  }
  read_bool_key(reader, map, "enabled", real.enabled);
  if (auto f = map.get("check")) real.check = parse_check(reader, *f, sites.check);
  return real;
}

struct PortRange {
  uint16_t min = 0;
  uint16_t max = kMaxPort;
};

// A ports element: a port (80) or an inclusive range written "min-max".
std::optional<PortRange> read_port_range(Reader& reader, const Field& field) {
  const auto digits = [](std::string_view text) {
    return !text.empty() && text.size() <= 10 &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  const std::string expected = "expected a port 1..65535 or a range \"min-max\" (10000-20000)";
  if (!field.node.IsScalar()) {
    reader.error(field, fmt::format("{}, got {}", expected, describe(field.node)));
    return std::nullopt;
  }
  const std::string& text = field.node.Scalar();
  const size_t dash = text.find('-');
  if (dash == std::string::npos || dash == 0) {
    if (!digits(text) && !(dash == 0 && digits(text.substr(1)))) {
      reader.error(field, fmt::format("{}, got {}", expected, describe(field.node)));
      return std::nullopt;
    }
    auto port = read_int(reader, field, 1, kMaxPort);
    if (!port) return std::nullopt;
    return PortRange{static_cast<uint16_t>(*port), static_cast<uint16_t>(*port)};
  }
  const std::string low = text.substr(0, dash), high = text.substr(dash + 1);
  if (!digits(low) || !digits(high)) {
    reader.error(field, fmt::format("{}, got {}", expected, describe(field.node)));
    return std::nullopt;
  }
  const int64_t min = std::stoll(low), max = std::stoll(high);
  if (min < 1 || min > kMaxPort || max < 1 || max > kMaxPort) {
    reader.error(field, fmt::format("port range {}: expected ports 1..65535", text));
    return std::nullopt;
  }
  if (min > max) {
    reader.error(field,
                 fmt::format("port range {} is backwards: expected min-max with min <= max", text));
    return std::nullopt;
  }
  return PortRange{static_cast<uint16_t>(min), static_cast<uint16_t>(max)};
}

}  // namespace

void parse_real_endpoint(Reader& reader, const MapReader& map, const Field& field,
                         const sched::ServiceSpec& service, const Site& service_port,
                         sched::RealServerSpec& real, RealServerSites& sites) {
  sites.entry = site_of(field, true);
  if (auto f = map.require("address")) {
    auto address = read_host_address(reader, *f);
    sites.address = site_of(*f, address.has_value());
    if (address) real.addr = *address;
  }
  if (auto f = map.get("port")) {
    bool ok = read_int_key(reader, map, "port", real.port, 0, kMaxPort);
    // Port 0 keeps each packet's destination port, which only means something
    // where packets arrive on many ports.
    const bool many_ports = service.fwmark != 0 || (service_port.ok && service.port == 0);
    if (ok && real.port == 0 && service_port.ok && !many_ports) {
      reader.error(*f, fmt::format("port 0 (keep each packet's port) is only for firewall-mark "
                                   "and port-0 services; expected 1..65535, or leave it out for "
                                   "the service's port {}",
                                   service.port));
      ok = false;
    }
    sites.port = site_of(*f, ok);
  } else {
    real.port = service.port;
    sites.port = Site{child_path(field.path, "port"), field.pos, service_port.ok};
  }
  if (auto f = map.get("forward")) {
    std::optional<sched::ForwardMethod> forward;
    if (auto text = read_string(reader, *f)) {
      forward = sched::parse_forward_method(*text);
      if (!forward) {
        reader.error(*f, "expected one of: nat, dr, tunnel; got " + describe(f->node));
      }
    }
    sites.forward = site_of(*f, forward.has_value());
    if (forward) real.forward = *forward;
  } else {
    sites.forward = Site{child_path(field.path, "forward"), field.pos, true};
  }
}

sched::ServiceSpec parse_service(Reader& reader, const Field& field, ServiceSites& sites) {
  sched::ServiceSpec service;
  const MapReader map(
      reader, field,
      {"protocol", "vip", "port", "fwmark", "scheduler", "scheduler_flags", "persistence",
       "one_packet", "quiesce_server", "enabled", "health", "sorry_server", "real_servers"});
  sites.entry = site_of(field, true);
  Site port_for_reals;  // what a real server without a port inherits
  if (auto fwmark = map.get("fwmark")) {
    auto mark = read_mark(reader, *fwmark);
    sites.fwmark = site_of(*fwmark, mark.has_value());
    // A mark stands for the service even when invalid: the other keys are
    // judged as a firewall-mark service's.
    service.fwmark = mark.value_or(0);
    for (std::string_view key : {"protocol", "vip", "port"}) {
      if (auto f = map.get(key)) {
        reader.error(*f, fmt::format("a firewall-mark service has no {}: it receives the packets "
                                     "the firewall_marks rules mark {}",
                                     key, mark ? std::to_string(*mark) : "with its fwmark"));
      }
    }
    port_for_reals = Site{child_path(field.path, "fwmark"), fwmark->pos, true};
  } else {
    if (auto f = map.require("protocol")) {
      auto protocol = read_protocol(reader, *f);
      sites.protocol = site_of(*f, protocol.has_value());
      if (protocol) service.protocol = *protocol;
    }
    if (auto f = map.require("vip")) {
      auto vip = read_host_address(reader, *f);
      sites.vip = site_of(*f, vip.has_value());
      if (vip) service.vip = *vip;
    }
    if (auto f = map.require("port")) {
      sites.port = site_of(*f, read_int_key(reader, map, "port", service.port, 0, kMaxPort));
    }
    port_for_reals = sites.port;
  }
  bool scheduler_ok = true;
  if (auto f = map.get("scheduler")) {
    scheduler_ok = false;
    if (auto name = read_string(reader, *f)) {
      if (sched::find_scheduler(*name) != nullptr) {
        service.scheduler = *name;
        scheduler_ok = true;
      } else {
        reader.error(*f, fmt::format("unknown scheduler {}, expected one of: {}", describe(f->node),
                                     scheduler_names()));
      }
    }
  }
  if (auto f = map.get("scheduler_flags")) {
    service.sched_flags = parse_sched_flags(reader, *f, service.scheduler, scheduler_ok);
  }
  if (auto f = map.get("persistence")) {
    service.persistence = parse_persistence(reader, *f);
    sites.persistence = site_of(*f, service.persistence.has_value());
  }
  if (auto f = map.get("one_packet")) {
    auto value = read_bool(reader, *f);
    sites.one_packet = site_of(*f, value.has_value());
    service.one_packet = value.value_or(false);
  }
  read_bool_key(reader, map, "quiesce_server", service.quiesce_server);
  read_bool_key(reader, map, "enabled", service.enabled);
  if (auto f = map.get("health")) service.health = parse_health(reader, *f, sites.health_check);
  if (auto f = map.get("sorry_server")) {
    service.sorry_server =
        parse_sorry_server(reader, *f, service, port_for_reals, sites.sorry_server);
  }
  if (auto f = map.get("real_servers")) {
    for (const Field& entry : read_list(reader, *f).value_or(std::vector<Field>{})) {
      RealServerSites& real_sites = sites.real_servers.emplace_back();
      service.real_servers.push_back(
          parse_real_server(reader, entry, service, port_for_reals, real_sites));
    }
  }
  return service;
}

// One firewall_marks entry -> one MarkRule per ports element (one rule for
// every port when `ports` is left out), in file order.
void parse_mark_rule(Reader& reader, const Field& field, Config& config, Sites& sites) {
  const MapReader map(reader, field, {"mark", "protocol", "destination", "ports", "source"});
  sched::MarkRule rule;
  MarkRuleSites rule_sites;
  rule_sites.entry = site_of(field, true);
  if (auto f = map.require("mark")) {
    auto mark = read_mark(reader, *f);
    rule_sites.mark = site_of(*f, mark.has_value());
    rule.mark = mark.value_or(0);
  }
  if (!rule_sites.mark.ok) sites.mark_rules_complete = false;
  if (auto f = map.get("protocol")) {
    rule.protocol = read_protocol(reader, *f);
    rule_sites.protocol = site_of(*f, rule.protocol.has_value());
  }
  if (auto f = map.require("destination")) {
    auto destination = read_prefix(reader, *f);
    if (destination) {
      const auto problem = address_class_problem(destination->addr);
      if (!problem.empty()) {
        reader.error(*f, fmt::format("expected unicast destination addresses, got {} ({})",
                                     destination->to_string(), problem));
        destination.reset();
      }
    }
    rule_sites.destination = site_of(*f, destination.has_value());
    if (destination) rule.destination = *destination;
  }
  if (auto f = map.get("source")) {
    rule.source = read_prefix(reader, *f);
  }

  std::vector<std::pair<PortRange, Site>> ranges;
  if (auto f = map.get("ports")) {
    if (auto list = read_list(reader, *f)) {
      if (list->empty()) {
        reader.error(*f, fmt::format("expected a non-empty list of ports and ranges, got {}; "
                                     "leave ports out to match every port",
                                     f->node.IsNull() ? describe(f->node) : "an empty list"));
      }
      for (const Field& element : *list) {
        auto range = read_port_range(reader, element);
        ranges.emplace_back(range.value_or(PortRange{}), site_of(element, range.has_value()));
      }
    }
  }
  if (ranges.empty()) {
    ranges.emplace_back(PortRange{}, Site{child_path(field.path, "ports"), field.pos, true});
  }
  for (const auto& [range, site] : ranges) {
    rule.port_min = range.min;
    rule.port_max = range.max;
    rule_sites.ports = site;
    config.mark_rules.push_back(rule);
    sites.mark_rules.push_back(rule_sites);
  }
}

}  // namespace lb::config::detail
