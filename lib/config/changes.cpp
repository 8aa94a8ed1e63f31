#include <lb/config/changes.h>

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <lb/config/health.h>

namespace lb::config {

namespace {

using sched::RealServerSpec;
using sched::ServiceSpec;

std::string service_name(const ServiceSpec& s) {
  if (s.fwmark != 0) return fmt::format("service fwmark {}", s.fwmark);
  return fmt::format("service {} {}:{}", sched::to_string(s.protocol), s.vip.to_string(), s.port);
}

bool same_service(const ServiceSpec& a, const ServiceSpec& b) {
  if (a.fwmark != 0 || b.fwmark != 0) return a.fwmark == b.fwmark;
  return a.protocol == b.protocol && a.vip == b.vip && a.port == b.port;
}

bool same_real(const RealServerSpec& a, const RealServerSpec& b) {
  return a.addr == b.addr && a.port == b.port;
}

std::string real_name(const RealServerSpec& r) {
  return fmt::format("{}:{}", r.addr.to_string(), r.port);
}

std::string persistence_text(const std::optional<sched::Persistence>& p) {
  if (!p) return "none";
  if (p->netmask.host() == 0xffffffff) return fmt::format("{} s", p->timeout_s);
  return fmt::format("{} s mask {}", p->timeout_s, p->netmask.to_string());
}

std::string flags_text(const ServiceSpec& s) {
  const auto names = sched::sched_flag_names(s.scheduler, s.sched_flags);
  return names.empty() ? "none" : fmt::format("{}", fmt::join(names, ","));
}

std::string check_text(const std::optional<health::CheckSpec>& check) {
  return check ? describe_check(*check) : "none";
}

std::string sorry_text(const std::optional<RealServerSpec>& sorry) {
  if (!sorry) return "none";
  return fmt::format("{} ({})", real_name(*sorry), sched::to_string(sorry->forward));
}

std::string real_text(const RealServerSpec& r) {
  std::string out = fmt::format("{}, weight {}", sched::to_string(r.forward), r.weight);
  if (r.upper_threshold != 0 || r.lower_threshold != 0) {
    out += fmt::format(", thresholds {}/{}", r.upper_threshold, r.lower_threshold);
  }
  if (r.check) out += ", check " + describe_check(*r.check);
  return out;
}

// "weight 1 -> 3, forward nat -> dr"; empty when equal.
std::vector<std::string> real_differences(const RealServerSpec& a, const RealServerSpec& b) {
  std::vector<std::string> out;
  if (a.weight != b.weight) out.push_back(fmt::format("weight {} -> {}", a.weight, b.weight));
  if (a.forward != b.forward) {
    out.push_back(
        fmt::format("forward {} -> {}", sched::to_string(a.forward), sched::to_string(b.forward)));
  }
  if (a.upper_threshold != b.upper_threshold) {
    out.push_back(fmt::format("upper_threshold {} -> {}", a.upper_threshold, b.upper_threshold));
  }
  if (a.lower_threshold != b.lower_threshold) {
    out.push_back(fmt::format("lower_threshold {} -> {}", a.lower_threshold, b.lower_threshold));
  }
  if (a.enabled != b.enabled) out.push_back(b.enabled ? "enabled" : "disabled");
  if (a.check != b.check) {
    out.push_back(fmt::format("check {} -> {}", check_text(a.check), check_text(b.check)));
  }
  return out;
}

std::vector<std::string> service_differences(const ServiceSpec& a, const ServiceSpec& b) {
  std::vector<std::string> out;
  if (a.scheduler != b.scheduler) {
    out.push_back(fmt::format("scheduler {} -> {}", a.scheduler, b.scheduler));
  }
  if (flags_text(a) != flags_text(b)) {
    out.push_back(fmt::format("scheduler_flags {} -> {}", flags_text(a), flags_text(b)));
  }
  if (persistence_text(a.persistence) != persistence_text(b.persistence)) {
    out.push_back(fmt::format("persistence {} -> {}", persistence_text(a.persistence),
                              persistence_text(b.persistence)));
  }
  if (a.one_packet != b.one_packet) {
    out.push_back(fmt::format("one_packet {} -> {}", a.one_packet, b.one_packet));
  }
  if (a.quiesce_server != b.quiesce_server) {
    out.push_back(fmt::format("quiesce_server {} -> {}", a.quiesce_server, b.quiesce_server));
  }
  if (a.enabled != b.enabled) out.push_back(b.enabled ? "enabled" : "disabled");
  if (a.health.check != b.health.check) {
    out.push_back(fmt::format("health check {} -> {}", check_text(a.health.check),
                              check_text(b.health.check)));
  }
  if (a.health.on_failure != b.health.on_failure) {
    out.push_back(fmt::format("on_failure {} -> {}", on_failure_name(a.health.on_failure),
                              on_failure_name(b.health.on_failure)));
  }
  if (sorry_text(a.sorry_server) != sorry_text(b.sorry_server)) {
    out.push_back(fmt::format("sorry_server {} -> {}", sorry_text(a.sorry_server),
                              sorry_text(b.sorry_server)));
  }
  return out;
}

void describe_reals(const ServiceSpec& before, const ServiceSpec& after,
                    std::vector<std::string>& out) {
  const std::string name = service_name(after);
  for (const auto& r : before.real_servers) {
    const bool kept = std::any_of(after.real_servers.begin(), after.real_servers.end(),
                                  [&](const RealServerSpec& q) { return same_real(q, r); });
    if (!kept) out.push_back(fmt::format("{}: real server {} removed", name, real_name(r)));
  }
  for (const auto& r : after.real_servers) {
    const auto old = std::find_if(before.real_servers.begin(), before.real_servers.end(),
                                  [&](const RealServerSpec& q) { return same_real(q, r); });
    if (old == before.real_servers.end()) {
      out.push_back(fmt::format("{}: real server {} added ({})", name, real_name(r), real_text(r)));
    } else if (const auto diff = real_differences(*old, r); !diff.empty()) {
      out.push_back(
          fmt::format("{}: real server {}: {}", name, real_name(r), fmt::join(diff, ", ")));
    }
  }
}

}  // namespace

std::vector<std::string> describe_changes(const Config& before, const Config& after) {
  std::vector<std::string> out;
  for (const auto& s : before.services) {
    const bool kept = std::any_of(after.services.begin(), after.services.end(),
                                  [&](const ServiceSpec& t) { return same_service(t, s); });
    if (!kept) {
      out.push_back(
          fmt::format("{} removed ({} real server(s))", service_name(s), s.real_servers.size()));
    }
  }
  for (const auto& s : after.services) {
    const auto old = std::find_if(before.services.begin(), before.services.end(),
                                  [&](const ServiceSpec& t) { return same_service(t, s); });
    if (old == before.services.end()) {
      std::string extra;
      if (s.health.check) extra += ", health check " + describe_check(*s.health.check);
      if (s.health.on_failure != health::OnFailure::kRemove) extra += ", failed servers quiesced";
      if (s.sorry_server) extra += ", sorry server " + sorry_text(s.sorry_server);
      out.push_back(fmt::format("{} added (scheduler {}, persistence {}, {} real server(s){})",
                                service_name(s), s.scheduler, persistence_text(s.persistence),
                                s.real_servers.size(), extra));
      for (const auto& r : s.real_servers) {
        out.push_back(fmt::format("{}: real server {} added ({})", service_name(s), real_name(r),
                                  real_text(r)));
      }
      continue;
    }
    if (const auto diff = service_differences(*old, s); !diff.empty()) {
      out.push_back(fmt::format("{}: {}", service_name(s), fmt::join(diff, ", ")));
    }
    describe_reals(*old, s, out);
  }
  const auto same_prefix = [](const packet::Ipv4Prefix& a, const packet::Ipv4Prefix& b) {
    return a.addr == b.addr && a.len == b.len;
  };
  const auto rules_equal = [&](const sched::MarkRule& a, const sched::MarkRule& b) {
    return a.mark == b.mark && a.protocol == b.protocol &&
           same_prefix(a.destination, b.destination) && a.port_min == b.port_min &&
           a.port_max == b.port_max && a.source.has_value() == b.source.has_value() &&
           (!a.source || same_prefix(*a.source, *b.source));
  };
  if (!std::equal(before.mark_rules.begin(), before.mark_rules.end(), after.mark_rules.begin(),
                  after.mark_rules.end(), rules_equal)) {
    out.push_back(fmt::format("firewall_marks changed: {} rule(s) -> {} rule(s)",
                              before.mark_rules.size(), after.mark_rules.size()));
  }
  const auto neighbors_equal = [](const StaticNeighbor& a, const StaticNeighbor& b) {
    return a.addr == b.addr && a.mac == b.mac;
  };
  if (!std::equal(before.static_neighbors.begin(), before.static_neighbors.end(),
                  after.static_neighbors.begin(), after.static_neighbors.end(), neighbors_equal)) {
    out.push_back(fmt::format(
        "neighbors.static changed: {} entr{} -> {} entr{}", before.static_neighbors.size(),
        before.static_neighbors.size() == 1 ? "y" : "ies", after.static_neighbors.size(),
        after.static_neighbors.size() == 1 ? "y" : "ies"));
  }
  return out;
}

}  // namespace lb::config
