// keepalived.conf -> lbd services: the `virtual_server` blocks (address,
// `fwmark N` and `group NAME` forms, with `virtual_server_group` expanded)
// and their `real_server` blocks, as keepalived.conf(5) writes them. Words
// are separated by blanks, blocks by braces (nested to any depth); `#` and
// `!` start comments. VRRP and the other sections are reported as not
// imported; an `include` is reported, not followed (import that file too).
//
// Defaults are IPVS's: scheduler wlc, forwarding NAT, weight 1, protocol TCP.
#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include <lb/import/formats.h>

#include "block_reader.h"
#include "keepalived_checks.h"
#include "values.h"

namespace lb::import {

using detail::Report;
using detail::Statement;

namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool one_of(std::string_view key, std::initializer_list<std::string_view> keys) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

std::optional<sched::ForwardMethod> read_method(Report& report, const Statement& s) {
  if (s.words.size() != 2) {
    report.error(s.line, fmt::format("{}: expected NAT, DR or TUN", s.words[0]));
    return std::nullopt;
  }
  const std::string m = upper(s.words[1]);
  if (m == "NAT") return sched::ForwardMethod::kNat;
  if (m == "DR") return sched::ForwardMethod::kDirectRoute;
  if (m == "TUN") return sched::ForwardMethod::kTunnel;
  report.error(s.line,
               fmt::format("{}: expected NAT, DR or TUN, got \"{}\"", s.words[0], s.words[1]));
  return std::nullopt;
}

// The value of a one-value keyword, or an error.
const std::string* value_of(Report& report, const Statement& s) {
  if (s.words.size() == 2 && !s.has_block) return &s.words[1];
  report.error(s.line,
               fmt::format("{}: expected one value, got \"{}\"", s.words[0], detail::flatten(s)));
  return nullptr;
}

// A virtual service's identity: "IP PORT", "fwmark N"; a group member may
// also be "A.B.C.D-E PORT" (last octet range).
struct Target {
  uint32_t fwmark = 0;
  packet::Ipv4Addr first, last;
  uint16_t port = 0;
};

std::optional<Target> read_target(Report& report, int line, std::string_view context,
                                  const std::vector<std::string>& words, size_t from, bool ranges) {
  Target t;
  if (words.size() == from + 2 && words[from] == "fwmark") {
    auto mark =
        report.number(line, fmt::format("{} fwmark", context), words[from + 1], 1, 4294967295u);
    if (!mark) return std::nullopt;
    t.fwmark = *mark;
    return t;
  }
  if (words.size() != from + 2) {
    report.error(line, fmt::format("{}: expected ADDRESS PORT or fwmark N", context));
    return std::nullopt;
  }
  std::string_view address = words[from];
  std::optional<uint32_t> last_octet;
  if (const size_t dash = address.find('-'); ranges && dash != std::string_view::npos) {
    last_octet =
        report.number(line, fmt::format("{} range end", context), address.substr(dash + 1), 0, 255);
    if (!last_octet) return std::nullopt;
    address = address.substr(0, dash);
  }
  auto first = report.address(line, context, address);
  auto port = report.number(line, fmt::format("{} port", context), words[from + 1], 0, 65535);
  if (!first || !port) return std::nullopt;
  t.first = t.last = *first;
  if (last_octet) {
    t.last = packet::Ipv4Addr::from_host((first->host() & 0xffffff00u) | *last_octet);
    if (t.last.host() < first->host()) {
      report.error(line, fmt::format("{}: range {} ends before it starts", context, words[from]));
      return std::nullopt;
    }
  }
  t.port = static_cast<uint16_t>(*port);
  return t;
}

struct VirtualServer {
  sched::ServiceSpec service;  // identity filled per target
  std::vector<std::string> comments;
  std::vector<int> real_lines;  // parallel to service.real_servers
  // Its checkers' settings, and each real server's inhibit_on_failure
  // (parallel to service.real_servers; null when not set).
  detail::KaDefaults defaults;
  std::vector<const Statement*> inhibit;
  detail::KaSorry sorry;
  bool ok = true;
};

void read_real_server(Report& report, const Statement& block, VirtualServer& vs,
                      sched::ForwardMethod forward) {
  auto target = read_target(report, block.line, "real_server", block.words, 1, false);
  if (!target || target->fwmark != 0) {
    if (target) report.error(block.line, "real_server: expected ADDRESS PORT");
    vs.ok = false;
    return;
  }
  sched::RealServerSpec real;
  real.addr = target->first;
  real.port = target->port;
  real.forward = forward;
  const std::string label = fmt::format("real_server {}:{}", real.addr.to_string(), real.port);
  std::vector<const Statement*> checkers;
  detail::KaDefaults defaults;
  for (const Statement& s : block.block) {
    const std::string& key = s.words[0];
    if (key == "weight") {
      if (auto v = value_of(report, s)) {
        if (auto n = report.number(s.line, "weight", *v, 0, 65535)) real.weight = *n;
      }
    } else if (key == "uthreshold" || key == "lthreshold") {
      if (auto v = value_of(report, s)) {
        if (auto n = report.number(s.line, key, *v, 0, 2147483647)) {
          (key == "uthreshold" ? real.upper_threshold : real.lower_threshold) = *n;
        }
      }
    } else if (key == "lvs_method" || key == "lb_kind") {
      if (auto m = read_method(report, s)) real.forward = *m;
    } else if (detail::is_ka_checker(key)) {
      checkers.push_back(&s);
    } else if (detail::is_ka_check_setting(key)) {
      detail::add_ka_setting(report, s, label, defaults);
    } else if (one_of(key, {"notify_up", "notify_down", "smtp_alert"})) {
      report.warn(s.line, fmt::format("{}: {}: lbd runs no notification script and sends no "
                                      "alert; not carried over",
                                      label, key));
    } else {
      report.warn(s.line, fmt::format("{}: unknown keyword \"{}\"; not carried over", label, key));
    }
  }
  real.check = detail::ka_real_check(report, checkers, vs.defaults, defaults, real, label);
  // Kept for the copies of a group: force_port_for_method runs per copy.
  vs.service.real_servers.push_back(real);
  vs.real_lines.push_back(block.line);
  vs.inhibit.push_back(defaults.inhibit);
}

VirtualServer read_virtual_server(Report& report, const Statement& block, std::string_view label) {
  VirtualServer vs;
  sched::ServiceSpec& s = vs.service;
  sched::ForwardMethod forward = sched::ForwardMethod::kNat;
  std::optional<uint32_t> persistence;
  std::optional<packet::Ipv4Addr> granularity;
  int granularity_line = 0;
  std::vector<const Statement*> reals;
  for (const Statement& st : block.block) {
    const std::string& key = st.words[0];
    if (key == "real_server") {
      reals.push_back(&st);
    } else if (key == "lb_algo" || key == "lvs_sched") {
      if (auto v = value_of(report, st)) s.scheduler = report.scheduler(st.line, *v);
    } else if (key == "lb_kind" || key == "lvs_method") {
      if (auto m = read_method(report, st)) forward = *m;
    } else if (key == "persistence_timeout") {
      // keepalived: the keyword alone means 6 minutes.
      if (st.words.size() == 1) {
        persistence = 360;
      } else if (auto v = value_of(report, st)) {
        persistence = report.number(st.line, key, *v, 1, detail::kMaxPersistence);
      }
    } else if (key == "persistence_granularity") {
      if (auto v = value_of(report, st)) granularity = report.netmask(st.line, key, *v);
      granularity_line = st.line;
    } else if (key == "protocol") {
      if (auto v = value_of(report, st)) {
        const std::string p = upper(*v);
        if (p == "TCP") {
          s.protocol = sched::Protocol::kTcp;
        } else if (p == "UDP") {
          s.protocol = sched::Protocol::kUdp;
        } else {
          report.error(st.line, fmt::format("protocol {}: lbd balances TCP and UDP only", *v));
          vs.ok = false;
        }
      }
    } else if (key == "ops") {
      s.one_packet = true;
    } else if (uint8_t bit =
                   sched::parse_sched_flag("sh", key) | sched::parse_sched_flag("mh", key)) {
      s.sched_flags |= bit;
    } else if (key == "hashed") {
      report.warn(st.line,
                  "hashed: the sh/mh flag names (sh-port, mh-fallback, ...) set lbd's "
                  "scheduler flags; \"hashed\" alone is not carried over");
    } else if (key == "sorry_server") {
      vs.sorry.server = &st;
    } else if (key == "sorry_server_lvs_method") {
      vs.sorry.method = &st;
    } else if (key == "sorry_server_inhibit") {
      report.warn(st.line, fmt::format("{} sorry_server_inhibit: lbd's sorry server takes new "
                                       "connections only while every real server is down; not "
                                       "carried over",
                                       label));
    } else if (detail::is_ka_check_setting(key)) {
      detail::add_ka_setting(report, st, label, vs.defaults);
    } else if (one_of(key, {"quorum", "quorum_up", "quorum_down", "hysteresis", "omega"})) {
      report.warn(st.line, fmt::format("{} {}: lbd has no quorum (a service taken down when too "
                                       "little weight is up); not carried over",
                                       label, key));
    } else if (key == "ha_suspend") {
      report.warn(st.line, fmt::format("{} ha_suspend: lbd checks the real servers whatever its "
                                       "failover state; not carried over",
                                       label));
    } else if (key == "smtp_alert") {
      report.warn(st.line,
                  fmt::format("{} smtp_alert: lbd sends no alert; not carried over", label));
    } else {
      report.warn(st.line, fmt::format("{}: unknown keyword \"{}\"; not carried over", label, key));
    }
  }
  if (persistence) {
    s.persistence =
        sched::Persistence{*persistence, granularity.value_or(sched::Persistence{}.netmask)};
  } else if (granularity) {
    report.warn(granularity_line, fmt::format("{}: persistence_granularity without "
                                              "persistence_timeout has no effect; not carried over",
                                              label));
  }
  for (const Statement* r : reals)
    read_real_server(report, *r, vs, forward);
  detail::finish_ka_health(report, s, vs.inhibit, vs.real_lines, vs.defaults, vs.sorry, forward,
                           std::string(label));
  return vs;
}

struct Group {
  std::vector<std::pair<int, Target>> members;
};

}  // namespace

Imported import_keepalived(std::string_view text) {
  Imported out;
  Report report(out);
  const std::vector<Statement> tree =
      detail::read_blocks(text, detail::Syntax::kKeepalived, out.errors);
  std::vector<std::pair<std::string, Group>> groups;
  for (const Statement& s : tree) {
    if (s.words[0] != "virtual_server_group") continue;
    if (s.words.size() != 2 || !s.has_block) {
      report.error(s.line, "virtual_server_group: expected \"virtual_server_group NAME { ... }\"");
      continue;
    }
    Group group;
    for (const Statement& m : s.block) {
      if (auto t = read_target(report, m.line, "virtual_server_group member", m.words, 0, true)) {
        group.members.emplace_back(m.line, *t);
      }
    }
    groups.emplace_back(s.words[1], std::move(group));
  }

  std::vector<std::string> hints;
  std::vector<uint32_t> marks;
  std::vector<int> lines;  // of each service's virtual_server
  for (const Statement& s : tree) {
    const std::string& key = s.words[0];
    if (key == "virtual_server_group") continue;
    if (key == "include") {
      report.warn(s.line, fmt::format("include {}: included files are not read; import {} "
                                      "separately and merge its services",
                                      s.words.size() > 1 ? s.words[1] : "",
                                      s.words.size() > 1 ? s.words[1] : "it"));
      continue;
    }
    if (key.starts_with("vrrp_") || key == "static_ipaddress" || key == "static_routes" ||
        key == "static_rules" || key == "garp_group" || key == "linkbeat_use_polling") {
      report.warn(s.line, fmt::format("{}: VRRP and address failover are not imported (lbd has no "
                                      "failover yet)",
                                      key));
      continue;
    }
    if (key == "global_defs" || key == "bfd_instance" || key == "net_namespace") {
      report.warn(s.line, fmt::format("{}: keepalived's own settings; not imported", key));
      continue;
    }
    if (key != "virtual_server") {
      report.warn(s.line, fmt::format("unknown keyword \"{}\"; not imported", key));
      continue;
    }
    if (!s.has_block) {
      report.error(s.line, "virtual_server without a { ... } block");
      continue;
    }
    std::vector<std::pair<int, Target>> targets;
    std::string label = detail::flatten(Statement{0, s.words, false, {}, 0});
    if (s.words.size() == 3 && s.words[1] == "group") {
      auto it = std::find_if(groups.begin(), groups.end(),
                             [&](const auto& g) { return g.first == s.words[2]; });
      if (it == groups.end()) {
        report.error(s.line, fmt::format("virtual_server group {}: no virtual_server_group {}",
                                         s.words[2], s.words[2]));
        continue;
      }
      targets = it->second.members;
    } else if (auto t = read_target(report, s.line, "virtual_server", s.words, 1, false)) {
      targets.emplace_back(s.line, *t);
    } else {
      continue;
    }
    const VirtualServer vs = read_virtual_server(report, s, label);
    if (!vs.ok) continue;
    for (const auto& [target_line, t] : targets) {
      for (uint32_t a = t.first.host(); a <= t.last.host(); ++a) {
        sched::ServiceSpec service = vs.service;
        service.real_servers.clear();
        service.fwmark = t.fwmark;
        if (t.fwmark == 0) {
          service.vip = packet::Ipv4Addr::from_host(a);
          service.port = t.port;
          hints.push_back(
              fmt::format("VIP {} ({} line {})", service.vip.to_string(), label, s.line));
        } else {
          marks.push_back(t.fwmark);
          report.warn(target_line,
                      fmt::format("fwmark {}: lbd classifies packets itself and the "
                                  "iptables rule that marked them is not in "
                                  "keepalived.conf: add a firewall_marks rule for mark {}",
                                  t.fwmark, t.fwmark));
        }
        for (size_t r = 0; r < vs.service.real_servers.size(); ++r) {
          sched::RealServerSpec real = vs.service.real_servers[r];
          detail::force_port_for_method(report, vs.real_lines[r], service, real);
          detail::add_real_server(report, vs.real_lines[r], service, real);
        }
        if (service.sorry_server) {
          detail::force_port_for_method(report, vs.sorry.server->line, service,
                                        *service.sorry_server, "sorry server");
        }
        for (size_t i = 0; i < out.services.size(); ++i) {
          const auto& o = out.services[i];
          if (o.fwmark == service.fwmark &&
              (o.fwmark != 0 || (o.protocol == service.protocol && o.vip == service.vip &&
                                 o.port == service.port))) {
            report.error(target_line, fmt::format("{} is defined twice (also at line {})",
                                                  detail::service_label(service), lines[i]));
          }
        }
        std::vector<std::string> comments{fmt::format("keepalived {} (line {})", label, s.line)};
        comments.insert(comments.end(), vs.comments.begin(), vs.comments.end());
        out.services.push_back(std::move(service));
        out.service_comments.push_back(std::move(comments));
        lines.push_back(s.line);
        if (t.fwmark != 0) break;
      }
    }
  }
  detail::finish_header(out, hints, marks, "keepalived.conf");
  detail::sort_by_line(out);
  return out;
}

bool looks_like_keepalived(std::string_view text) {
  for (std::string_view key : {"virtual_server", "real_server", "vrrp_instance", "global_defs"}) {
    if (text.find(key) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace lb::import
