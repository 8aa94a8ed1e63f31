// Piranha's /etc/sysconfig/ha/lvs.cf -> lbd services (the lvs.cf(5) keys,
// seed-features.md section 31): global settings, `virtual NAME { ... }` with
// `server NAME { ... }` inside.
//
// Piranha sets one forwarding method for the router (`network`), so every
// real server gets it. Piranha bundles ports into a firewall-mark service by
// giving several virtual servers the same `fwmark`: they become one lbd
// service, and each one's address, protocol and port becomes a
// firewall_marks rule (the iptables rule that really marked the packets is
// not in lvs.cf, so the operator is told to compare).
#include <map>

#include <fmt/format.h>

#include <lb/config/health.h>
#include <lb/import/formats.h>

#include "block_reader.h"
#include "values.h"

namespace lb::import {

using detail::Report;
using detail::Statement;

namespace {

constexpr std::string_view kNoFailover =
    "lbd has no active/backup failover yet (pulse's heartbeat and takeover): not carried over";

struct Globals {
  sched::ForwardMethod forward = sched::ForwardMethod::kNat;
  std::vector<std::string> hints;
};

bool is_assignment(const Statement& s) {
  return !s.has_block && s.words.size() == 2;
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
      ++i;
    size_t end = i;
    while (end < text.size() && text[end] != ' ' && text[end] != '\t')
      ++end;
    if (end > i) words.emplace_back(text.substr(i, end - i));
    i = end;
  }
  return words;
}

void read_global(Report& report, const Statement& s, Globals& globals, conn::Timeouts& timeouts,
                 bool& timeouts_set) {
  const std::string& key = s.words[0];
  const std::string& value = s.words[1];
  if (key == "service") {
    if (value != "lvs") {
      report.error(s.line, fmt::format("service = {}: only LVS configurations (service = lvs) "
                                       "can be imported; {} has no virtual services for lbd",
                                       value, value == "fos" ? "failover services (fos)" : value));
    }
  } else if (key == "network") {
    if (value == "nat") {
      globals.forward = sched::ForwardMethod::kNat;
    } else if (value == "direct") {
      globals.forward = sched::ForwardMethod::kDirectRoute;
    } else if (value == "tunnel") {
      globals.forward = sched::ForwardMethod::kTunnel;
    } else {
      report.error(s.line,
                   fmt::format("network: expected nat, direct or tunnel, got \"{}\"", value));
    }
  } else if (key == "nat_router") {
    const auto words = split_words(value);
    globals.hints.push_back(fmt::format(
        "NAT router {}{}: the real servers' default gateway; give lbd's port toward them this "
        "address",
        words.empty() ? "" : words[0], words.size() > 1 ? " (device " + words[1] + ")" : ""));
    report.warn(s.line,
                "nat_router: lbd's ports are not in lvs.cf; the address is a hint in the "
                "header (give it to the port toward the real servers)");
  } else if (key == "nat_nmask") {
    globals.hints.push_back(fmt::format("NAT router netmask {}", value));
  } else if (key == "primary" || key == "primary_private") {
    globals.hints.push_back(fmt::format("{} router address {}", key, value));
    report.warn(s.line, fmt::format("{}: the LVS routers' own addresses are not lbd settings; "
                                    "kept as a hint in the header",
                                    key));
  } else if (key == "backup" || key == "backup_private" || key == "backup_active" ||
             key == "heartbeat" || key == "heartbeat_port" || key == "keepalive" ||
             key == "deadtime" || key == "monitor_links" || key == "hard_shutdown") {
    report.warn(s.line, fmt::format("{}: {}", key, kNoFailover));
  } else if (key == "tcp_timeout" || key == "tcpfin_timeout" || key == "udp_timeout") {
    // ipvsadm --set: 0 leaves the timeout as it is.
    auto seconds = report.number(s.line, key, value, 0, detail::kMaxPersistence);
    if (seconds && *seconds != 0) {
      const uint32_t ms = *seconds * 1000;
      if (key == "tcp_timeout")
        timeouts.tcp_ms[static_cast<size_t>(conn::TcpState::kEstablished)] = ms;
      if (key == "tcpfin_timeout")
        timeouts.tcp_ms[static_cast<size_t>(conn::TcpState::kFinWait)] = ms;
      if (key == "udp_timeout") timeouts.udp_ms = ms;
      timeouts_set = true;
    }
  } else if (key == "serial_no") {
    report.warn(s.line,
                "serial_no: lvs.cf's revision number has no lbd equivalent; not carried over");
  } else if (key == "syncdaemon" || key.starts_with("syncd_")) {
    report.warn(s.line, fmt::format("{}: lbd has no connection synchronisation daemon; not "
                                    "carried over",
                                    key));
  } else if (key == "debug_level" || key == "rsh_command" || key == "reservation_conflict_action") {
    report.warn(s.line,
                fmt::format("{}: a setting of Piranha's own daemons; not carried over", key));
  } else {
    report.warn(s.line, fmt::format("unknown global setting \"{}\"; not carried over", key));
  }
}

struct Virtual {
  std::string name;
  int line = 0;
  sched::ServiceSpec service;
  bool has_address = false;
  bool has_port = false;
  std::vector<std::string> comments;
};

// nanny's settings in a virtual server (send, expect, use_regex,
// send_program, timeout, reentry): the value and its line.
using NannySettings = std::map<std::string, std::pair<int, std::string>>;

// The check nanny ran on each real server of `v`, from what lvs passes it
// (lvs.c startClientMonitor): the send/expect exchange, or the sending
// program whose output is compared with expect, or a TCP connect when
// neither is given; UDP virtual servers are checked over UDP. nanny takes a
// failing server out at once and lets it back only after the re-entry
// time: fall and rise 1, with `timeout` as Piranha's service timeout and
// `reentry` as its re-entry time. lvs.cf has no check interval: the
// default's applies.
std::optional<health::CheckSpec> nanny_check(Report& report, const Virtual& v,
                                             const NannySettings& settings) {
  const auto get = [&](const char* key) -> const std::pair<int, std::string>* {
    const auto it = settings.find(key);
    return it == settings.end() ? nullptr : &it->second;
  };
  health::CheckSpec check;
  check.rise = 1;
  check.fall = 1;
  bool ok = true;
  for (auto [key, out] :
       {std::pair{"timeout", &check.service_timeout_ms}, std::pair{"reentry", &check.reentry_ms}}) {
    if (const auto* s = get(key)) {
      const auto seconds = report.number(s->first, fmt::format("virtual {} {}", v.name, key),
                                         s->second, 0, config::kMaxPiranhaTimeMs / 1000);
      if (seconds) *out = *seconds * 1000;
      ok = ok && seconds.has_value();
    }
  }
  bool regex = false;
  if (const auto* s = get("use_regex")) {
    const auto flag =
        report.number(s->first, fmt::format("virtual {} use_regex", v.name), s->second, 0, 1);
    regex = flag.value_or(0) == 1;
    ok = ok && flag.has_value();
  }
  if (!ok) return std::nullopt;
  const auto* send = get("send");
  const auto* expect = get("expect");
  const auto* program = get("send_program");
  // Piranha's escapes, as lbd's file reads them (\xHH too: "\x41" is an A,
  // not nanny's "x41"); a string lbd cannot decode leaves the servers
  // unchecked rather than checked with other bytes.
  const auto decoded =
      [&](const char* key,
          const std::pair<int, std::string>& setting) -> std::optional<std::string> {
    auto bytes = config::decode_text(setting.second);
    if (!bytes) {
      report.warn(setting.first,
                  fmt::format("virtual {}: {}: {}; not carried over: the real servers are not "
                              "checked",
                              v.name, key, bytes.errors.front()));
      return std::nullopt;
    }
    return std::move(*bytes.value);
  };
  // nanny's wildcard: any reply will do.
  if (expect && expect->second != "*") {
    auto text = regex ? std::optional(expect->second) : decoded("expect", *expect);
    if (!text) return std::nullopt;
    check.expect = {std::move(*text), regex};
  }
  if (program) {
    if (send) {
      report.warn(send->first, fmt::format("virtual {}: send is ignored when send_program is set "
                                           "(as nanny does); not carried over",
                                           v.name));
    }
    if (auto problem = config::command_problem(program->second); !problem.empty()) {
      report.warn(program->first,
                  fmt::format("virtual {}: send_program: {}; not carried over: the real servers "
                              "are not checked",
                              v.name, problem));
      return std::nullopt;
    }
    check.type = health::CheckType::kProgram;
    check.command = program->second;
  } else if (v.service.protocol == sched::Protocol::kUdp) {
    check.type = health::CheckType::kUdp;
    if (send) {
      auto bytes = decoded("send", *send);
      if (!bytes) return std::nullopt;
      check.send = std::move(*bytes);
    } else {
      report.warn(v.line, fmt::format("virtual {}: a UDP service without send: nanny sent nothing "
                                      "and waited for a reply; lbd sends an empty datagram and "
                                      "waits for a reply",
                                      v.name));
    }
  } else if (send || (expect && expect->second != "*")) {
    check.type = health::CheckType::kSendExpect;
    if (send) {
      auto bytes = decoded("send", *send);
      if (!bytes) return std::nullopt;
      check.send = std::move(*bytes);
    }
  } else {
    check.type = health::CheckType::kTcp;
  }
  // A marked virtual server's real servers keep each packet's port: nanny
  // checked the virtual server's port.
  if (v.service.fwmark != 0 && v.has_port) check.port = v.service.port;
  if (const auto problems = config::check_problems(check); !problems.empty()) {
    const auto* where = get(problems.front().key == "expect" ? "expect" : "send");
    report.warn(where != nullptr ? where->first : v.line,
                fmt::format("virtual {}: {}; not carried over: the real servers are not checked",
                            v.name, problems.front().message));
    return std::nullopt;
  }
  return check;
}

sched::RealServerSpec read_server(Report& report, const Statement& block, const Globals& globals,
                                  const Virtual& v, bool& ok) {
  sched::RealServerSpec real;
  real.forward = globals.forward;
  const std::string name = block.words.size() > 1 ? block.words[1] : "";
  bool has_address = false;
  bool has_port = false;
  for (const Statement& s : block.block) {
    if (!is_assignment(s)) {
      report.error(s.line, fmt::format("server {}: expected \"key = value\", got \"{}\"", name,
                                       detail::flatten(s)));
      ok = false;
      continue;
    }
    const std::string& key = s.words[0];
    const std::string& value = s.words[1];
    const std::string what = fmt::format("server {} {}", name, key);
    if (key == "address") {
      auto words = split_words(value);
      auto addr = report.address(s.line, what, words.empty() ? "" : words[0]);
      if (addr) real.addr = *addr;
      has_address = addr.has_value();
      ok = ok && has_address;
    } else if (key == "active") {
      if (auto n = report.number(s.line, what, value, 0, 1)) real.enabled = *n == 1;
    } else if (key == "weight") {
      if (auto n = report.number(s.line, what, value, 0, 65535)) real.weight = *n;
    } else if (key == "port") {
      if (auto n = report.number(s.line, what, value, 1, 65535)) {
        real.port = static_cast<uint16_t>(*n);
        has_port = true;
      }
    } else {
      report.warn(s.line,
                  fmt::format("server {}: unknown setting \"{}\"; not carried over", name, key));
    }
  }
  if (!has_address && ok) {
    report.error(block.line, fmt::format("server {} has no address", name));
    ok = false;
  }
  // Piranha: "do not add a port number": the virtual port, or on a
  // firewall-mark service every packet's own port.
  if (!has_port) real.port = v.service.fwmark != 0 ? 0 : v.service.port;
  return real;
}

Virtual read_virtual(Report& report, const Statement& block, const Globals& globals,
                     std::vector<std::string>& hints) {
  Virtual v;
  v.line = block.line;
  v.name = block.words.size() > 1 ? block.words[1] : "";
  if (block.words.size() != 2) {
    report.error(block.line, fmt::format("expected \"virtual NAME {{\", got \"{}\"",
                                         detail::flatten(Statement{0, block.words, false, {}, 0})));
  }
  sched::ServiceSpec& service = v.service;
  std::optional<uint32_t> persistent;
  std::optional<packet::Ipv4Addr> pmask;
  int pmask_line = 0;
  std::vector<const Statement*> servers;
  NannySettings nanny;
  for (const Statement& s : block.block) {
    if (s.has_block) {
      if (s.words[0] == "server") {
        servers.push_back(&s);
      } else {
        report.warn(s.line, fmt::format("virtual {}: unknown block \"{}\"; not carried over",
                                        v.name, s.words[0]));
      }
      continue;
    }
    if (!is_assignment(s)) {
      report.error(s.line, fmt::format("virtual {}: expected \"key = value\", got \"{}\"", v.name,
                                       detail::flatten(s)));
      continue;
    }
    const std::string& key = s.words[0];
    const std::string& value = s.words[1];
    const std::string what = fmt::format("virtual {} {}", v.name, key);
    if (key == "address") {
      const auto words = split_words(value);
      if (auto addr = report.address(s.line, what, words.empty() ? "" : words[0])) {
        service.vip = *addr;
        v.has_address = true;
        hints.push_back(fmt::format("VIP {}{} (virtual {})", addr->to_string(),
                                    words.size() > 1 ? " on device " + words[1] : "", v.name));
      }
    } else if (key == "vip_nmask") {
      hints.push_back(fmt::format("VIP netmask {} (virtual {})", value, v.name));
    } else if (key == "active") {
      if (auto n = report.number(s.line, what, value, 0, 1)) service.enabled = *n == 1;
    } else if (key == "port") {
      if (auto n = report.number(s.line, what, value, 1, 65535)) {
        service.port = static_cast<uint16_t>(*n);
        v.has_port = true;
      }
    } else if (key == "protocol") {
      if (auto p = sched::parse_protocol(value)) {
        service.protocol = *p;
      } else {
        report.error(s.line, fmt::format("{}: expected tcp or udp, got \"{}\"", what, value));
      }
    } else if (key == "fwmark") {
      if (auto n = report.number(s.line, what, value, 0, 4294967295u)) service.fwmark = *n;
    } else if (key == "persistent") {
      persistent = report.number(s.line, what, value, 0, detail::kMaxPersistence);
    } else if (key == "pmask") {
      pmask = report.netmask(s.line, what, value);
      pmask_line = s.line;
    } else if (key == "scheduler") {
      service.scheduler = report.scheduler(s.line, value);
    } else if (key == "quiesce_server") {
      if (auto n = report.number(s.line, what, value, 0, 1)) service.quiesce_server = *n == 1;
    } else if (key == "load_monitor") {
      if (value != "none") {
        report.warn(s.line, fmt::format("virtual {}: load_monitor = {}: lbd does not adjust "
                                        "weights from real-server load; not carried over",
                                        v.name, value));
        v.comments.push_back(fmt::format("load_monitor = {} (not carried over)", value));
      }
    } else if (key == "timeout" || key == "reentry" || key == "send" || key == "expect" ||
               key == "use_regex" || key == "send_program") {
      nanny[key] = {s.line, value};
    } else {
      report.warn(s.line,
                  fmt::format("virtual {}: unknown setting \"{}\"; not carried over", v.name, key));
    }
  }
  if (persistent && *persistent != 0) {
    service.persistence =
        sched::Persistence{*persistent, pmask.value_or(sched::Persistence{}.netmask)};
  } else if (pmask) {
    report.warn(pmask_line, fmt::format("virtual {}: pmask without persistence has no effect; not "
                                        "carried over",
                                        v.name));
  }
  service.health.check = nanny_check(report, v, nanny);
  if (service.fwmark == 0) {
    if (!v.has_address) report.error(block.line, fmt::format("virtual {} has no address", v.name));
    if (!v.has_port) report.error(block.line, fmt::format("virtual {} has no port", v.name));
  }
  for (const Statement* s : servers) {
    bool ok = true;
    auto real = read_server(report, *s, globals, v, ok);
    if (!ok) continue;
    detail::force_port_for_method(report, s->line, service, real);
    detail::add_real_server(report, s->line, service, real);
  }
  return v;
}

// Virtual servers sharing a firewall mark are one lbd service: the first
// one's settings, every one's real servers, one classifier rule each.
void merge_into(Report& report, Virtual& into, const Virtual& v) {
  sched::ServiceSpec& a = into.service;
  const sched::ServiceSpec& b = v.service;
  const auto differs = [&](std::string_view what) {
    report.warn(v.line, fmt::format("virtual {} shares fwmark {} with virtual {} (line {}) but its "
                                    "{} differs; the service keeps virtual {}'s",
                                    v.name, b.fwmark, into.name, into.line, what, into.name));
  };
  if (a.scheduler != b.scheduler) differs("scheduler");
  const bool same_persistence =
      a.persistence.has_value() == b.persistence.has_value() &&
      (!a.persistence || (a.persistence->timeout_s == b.persistence->timeout_s &&
                          a.persistence->netmask == b.persistence->netmask));
  if (!same_persistence) differs("persistence");
  if (a.enabled != b.enabled) differs("active setting");
  if (a.quiesce_server != b.quiesce_server) differs("quiesce_server");
  if (a.health != b.health) differs("health check");
  for (const auto& real : b.real_servers)
    detail::add_real_server(report, v.line, a, real, true);
}

}  // namespace

Imported import_lvs_cf(std::string_view text) {
  Imported out;
  Report report(out);
  const std::vector<Statement> tree = detail::read_blocks(text, detail::Syntax::kLvsCf, out.errors);
  Globals globals;
  conn::Timeouts timeouts;
  bool timeouts_set = false;
  for (const Statement& s : tree) {
    if (s.has_block) continue;
    if (!is_assignment(s)) {
      report.error(s.line,
                   fmt::format("expected \"key = value\" or \"virtual NAME {{\", got \"{}\"",
                               detail::flatten(s)));
      continue;
    }
    read_global(report, s, globals, timeouts, timeouts_set);
  }
  if (timeouts_set) out.timeouts = timeouts;

  std::vector<Virtual> services;
  std::map<uint32_t, size_t> by_mark;
  std::vector<uint32_t> marks_without_rule;
  for (const Statement& s : tree) {
    if (!s.has_block) continue;
    if (s.words[0] != "virtual") {
      report.warn(s.line, fmt::format("unknown block \"{}\"; not carried over", s.words[0]));
      continue;
    }
    Virtual v = read_virtual(report, s, globals, globals.hints);
    v.comments.insert(v.comments.begin(),
                      fmt::format("Piranha virtual {} (line {})", v.name, v.line));
    const uint32_t mark = v.service.fwmark;
    if (mark != 0) {
      if (v.has_address && v.has_port) {
        sched::MarkRule rule;
        rule.mark = mark;
        rule.protocol = v.service.protocol;
        rule.destination = packet::Ipv4Prefix{v.service.vip, 32};
        rule.port_min = rule.port_max = v.service.port;
        out.mark_rules.push_back(rule);
        report.warn(
            s.line,
            fmt::format("virtual {}: firewall mark {}: lvs.cf does not hold the iptables "
                        "rule that marked its packets; lbd classifies packets itself, with "
                        "the firewall_marks rule written from this virtual server ({} {}:{}). "
                        "Compare it with your iptables -t mangle rules: any other port "
                        "(e.g. an FTP passive range) needs a rule of its own",
                        v.name, mark, sched::to_string(v.service.protocol),
                        v.service.vip.to_string(), v.service.port));
      } else {
        marks_without_rule.push_back(mark);
        report.warn(s.line, fmt::format("virtual {}: firewall mark {} and no address and port: lbd "
                                        "classifies packets itself; add a firewall_marks rule for "
                                        "mark {} (the iptables rule is not in lvs.cf)",
                                        v.name, mark, mark));
      }
      v.service.vip = {};
      v.service.port = 0;
      v.service.protocol = sched::Protocol::kTcp;
      if (auto it = by_mark.find(mark); it != by_mark.end()) {
        merge_into(report, services[it->second], v);
        services[it->second].comments.push_back(
            fmt::format("and Piranha virtual {} (line {})", v.name, v.line));
        for (size_t i = 1; i < v.comments.size(); ++i)
          services[it->second].comments.push_back(v.comments[i]);
        continue;
      }
      by_mark[mark] = services.size();
    } else {
      for (const Virtual& other : services) {
        const auto& a = other.service;
        if (a.fwmark == 0 && a.protocol == v.service.protocol && a.vip == v.service.vip &&
            a.port == v.service.port && v.has_address && v.has_port) {
          report.error(s.line,
                       fmt::format("virtual {} is the same service as virtual {} (line "
                                   "{}): {}",
                                   v.name, other.name, other.line, detail::service_label(a)));
        }
      }
    }
    services.push_back(std::move(v));
  }
  for (Virtual& v : services) {
    out.services.push_back(std::move(v.service));
    out.service_comments.push_back(std::move(v.comments));
  }
  detail::finish_header(out, globals.hints, marks_without_rule, "lvs.cf");
  detail::sort_by_line(out);
  return out;
}

bool looks_like_lvs_cf(std::string_view text) {
  // Piranha's own keys, written "key = value".
  for (std::string_view key :
       {"serial_no", "network =", "nat_router", "service = lvs", "primary ="}) {
    if (text.find(key) != std::string_view::npos) return true;
  }
  return text.find("virtual ") != std::string_view::npos &&
         text.find("server ") != std::string_view::npos &&
         text.find("{") != std::string_view::npos &&
         text.find("virtual_server") == std::string_view::npos;
}

}  // namespace lb::import
