// ldirectord.cf -> lbd services, read as ldirectord(8) reads it: global
// `key = value` lines, then `virtual = VIP:PORT` (or a firewall mark) blocks
// whose lines are indented by at least 4 spaces or a tab; a blank or
// unindented line ends a block. `#` starts a comment.
//
// ldirectord's own defaults apply: scheduler wrr, protocol udp for port 53
// and tcp otherwise, weight 1, and a real server without a port gets the
// virtual service's (ipvsadm copies it).
#include <algorithm>

#include <fmt/format.h>

#include <lb/import/formats.h>

#include "ldirectord_checks.h"
#include "values.h"

namespace lb::import {

using detail::Report;

namespace {

// More would be a typo (a /16 range), not a pool.
constexpr uint32_t kMaxRange = 1024;

struct Line {
  int number = 0;
  bool indented = false;
  std::string key;    // empty: not "key = value"
  std::string value;  // trimmed
  std::string text;   // the line without its comment, trimmed
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::string unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"')
    return std::string(v.substr(1, v.size() - 2));
  return std::string(v);
}

std::vector<Line> split_lines(std::string_view text) {
  std::vector<Line> lines;
  int number = 0;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = text.find('\n', start);
    std::string_view raw = text.substr(start, end == std::string_view::npos ? end : end - start);
    ++number;
    Line line;
    line.number = number;
    // ldirectord: s/#.*//, then a block line starts with 4 spaces (a tab counts as 4).
    if (const size_t hash = raw.find('#'); hash != std::string_view::npos)
      raw = raw.substr(0, hash);
    line.indented = raw.starts_with('\t') || raw.starts_with("    ");
    line.text = std::string(trim(raw));
    if (const size_t eq = line.text.find('='); eq != std::string::npos) {
      line.key = std::string(trim(std::string_view(line.text).substr(0, eq)));
      line.value = std::string(trim(std::string_view(line.text).substr(eq + 1)));
    }
    lines.push_back(std::move(line));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return lines;
}

bool one_of(std::string_view key, std::initializer_list<std::string_view> keys) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

std::optional<uint16_t> read_port(Report& report, int line, std::string_view what,
                                  std::string_view text) {
  if (!text.empty() &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    auto n = report.number(line, what, text, 0, 65535);
    return n ? std::optional<uint16_t>(static_cast<uint16_t>(*n)) : std::nullopt;
  }
  if (auto port = detail::well_known_port(text)) return port;
  report.error(line, fmt::format("{}: unknown port or service name \"{}\"; write the port number",
                                 what, text));
  return std::nullopt;
}

struct Virtual {
  int line = 0;
  std::string label;  // as written: "198.18.1.100:80" or "1"
  sched::ServiceSpec service;
  std::optional<std::string> protocol;
  int protocol_line = 0;
  std::optional<uint32_t> persistent;
  std::optional<packet::Ipv4Addr> netmask;
  int netmask_line = 0;
  bool ops = false;
  int ops_line = 0;
  std::vector<std::pair<int, std::string>> reals;  // line, text after "real="
  detail::LdSettings checks;                       // its check settings
  std::vector<detail::LdRealRequest> real_requests;
  std::vector<std::string> comments;
  bool ok = true;
};

// `"REQUEST", "RECEIVE"` after a real server's weight (ldirectord's
// add_real_server: two quoted strings, a comma or blank between them).
std::optional<std::pair<std::string, std::string>> request_pair(std::string_view rest) {
  if (rest.size() < 2 || rest.front() != '"') return std::nullopt;
  const size_t first_end = rest.find('"', 1);
  if (first_end == std::string_view::npos) return std::nullopt;
  std::string_view tail = rest.substr(first_end + 1);
  if (tail.empty() || (tail.front() != ',' && tail.front() != ' ' && tail.front() != '\t')) {
    return std::nullopt;
  }
  tail = trim(tail.substr(1));
  if (tail.size() < 2 || tail.front() != '"' || tail.back() != '"') return std::nullopt;
  return std::pair{std::string(rest.substr(1, first_end - 1)),
                   std::string(tail.substr(1, tail.size() - 2))};
}

void read_real(Report& report, Virtual& v, int line, std::string_view spec) {
  spec = trim(spec);
  const size_t space = spec.find_first_of(" \t");
  const std::string_view target = spec.substr(0, space);
  std::string_view rest = space == std::string_view::npos ? "" : trim(spec.substr(space));
  // ADDRESS[->ADDRESS][:PORT]
  std::string_view hosts = target;
  std::optional<uint16_t> port;
  if (const size_t colon = target.rfind(':'); colon != std::string_view::npos) {
    hosts = target.substr(0, colon);
    port = read_port(report, line, "real port", target.substr(colon + 1));
    if (!port) return;
  }
  const size_t arrow = hosts.find("->");
  const auto first = report.address(line, "real", hosts.substr(0, arrow));
  const auto last = arrow == std::string_view::npos
                        ? first
                        : report.address(line, "real", hosts.substr(arrow + 2));
  if (!first || !last) return;
  if (last->host() < first->host() || last->host() - first->host() >= kMaxRange) {
    report.error(line, fmt::format("real {}: expected a range of 1..{} addresses, first to last",
                                   hosts, kMaxRange));
    return;
  }
  // gate|masq|ipip [WEIGHT] ["REQUEST", "RECEIVE"]
  const size_t word_end = rest.find_first_of(" \t");
  const std::string_view method = rest.substr(0, word_end);
  rest = word_end == std::string_view::npos ? "" : trim(rest.substr(word_end));
  sched::RealServerSpec real;
  if (method == "gate") {
    real.forward = sched::ForwardMethod::kDirectRoute;
  } else if (method == "masq") {
    real.forward = sched::ForwardMethod::kNat;
  } else if (method == "ipip") {
    real.forward = sched::ForwardMethod::kTunnel;
  } else {
    report.error(line, fmt::format("real {}: forward method must be gate, masq or ipip, got \"{}\"",
                                   target, method));
    return;
  }
  if (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') {
    const size_t end = rest.find_first_of(" \t");
    auto weight = report.number(line, "real weight", rest.substr(0, end), 0, 65535);
    if (!weight) return;
    real.weight = *weight;
    rest = end == std::string_view::npos ? "" : trim(rest.substr(end));
  }
  std::optional<std::pair<std::string, std::string>> request;
  if (!rest.empty()) {
    request = request_pair(rest);
    if (!request) {
      report.error(line, fmt::format("real {}: unexpected \"{}\" after the weight (expected "
                                     "\"REQUEST\", \"RECEIVE\")",
                                     target, rest));
      return;
    }
  }
  // ipvsadm gives a real server without a port the virtual service's.
  real.port = port.value_or(0) == 0 ? (v.service.fwmark != 0 ? 0 : v.service.port) : *port;
  for (uint32_t a = first->host(); a <= last->host(); ++a) {
    real.addr = packet::Ipv4Addr::from_host(a);
    sched::RealServerSpec one = real;
    detail::force_port_for_method(report, line, v.service, one);
    const size_t before = v.service.real_servers.size();
    detail::add_real_server(report, line, v.service, one);
    if (request && v.service.real_servers.size() > before) {
      v.real_requests.push_back({before, line, request->first, request->second});
    }
  }
}

void read_virtual_line(Report& report, Virtual& v, const Line& l) {
  const std::string& key = l.key;
  const std::string& value = l.value;
  if (key.empty()) {
    report.error(l.number, fmt::format("expected \"key = value\" in virtual {}, got \"{}\"",
                                       v.label, l.text));
  } else if (key == "real") {
    v.reals.emplace_back(l.number, value);
  } else if (key == "real6" || key == "fallback6") {
    report.warn(l.number, fmt::format("{}: lbd is IPv4 only; not carried over", key));
  } else if (key == "scheduler") {
    v.service.scheduler = report.scheduler(l.number, value);
  } else if (key == "persistent") {
    v.persistent = report.number(l.number, "persistent", value, 0, detail::kMaxPersistence);
  } else if (key == "netmask") {
    v.netmask = report.netmask(l.number, "netmask", value);
    v.netmask_line = l.number;
  } else if (key == "protocol") {
    v.protocol = value;
    v.protocol_line = l.number;
  } else if (key == "ops") {
    if (value != "yes" && value != "no") report.error(l.number, "ops must be 'yes' or 'no'");
    v.ops = value == "yes";
    v.ops_line = l.number;
  } else if (detail::is_ld_check_key(key)) {
    v.checks[key] = {l.number, unquote(value)};
  } else if (one_of(key, {"fallbackcommand", "emailalert", "emailalertfreq", "emailalertstatus",
                          "monitorfile", "cleanstop", "smtp"})) {
    report.warn(l.number, fmt::format("virtual {}: {}: a setting of ldirectord's own daemon; not "
                                      "carried over",
                                      v.label, key));
  } else {
    report.warn(l.number,
                fmt::format("virtual {}: unknown setting \"{}\"; not carried over", v.label, key));
  }
}

// The service once every line of its block is read (the protocol and the
// mark decide the defaults).
void finish_virtual(Report& report, Virtual& v, const detail::LdSettings& globals) {
  sched::ServiceSpec& s = v.service;
  if (s.fwmark != 0) {
    if (v.protocol && *v.protocol != "fwm") {
      report.error(v.protocol_line,
                   "protocol must be fwm if the virtual service is a fwmark (a number)");
    }
  } else if (v.protocol) {
    if (auto p = sched::parse_protocol(*v.protocol)) {
      s.protocol = *p;
    } else {
      report.error(v.protocol_line,
                   fmt::format("protocol must be tcp or udp if the virtual service "
                               "is an address and port, got \"{}\"",
                               *v.protocol));
    }
  } else {
    s.protocol = s.port == 53 ? sched::Protocol::kUdp : sched::Protocol::kTcp;
  }
  if (v.ops) {
    if (s.fwmark == 0 && s.protocol != sched::Protocol::kUdp) {
      report.warn(v.ops_line, fmt::format("virtual {}: ops applies only to UDP services "
                                          "(ldirectord ignores it here); not carried over",
                                          v.label));
    } else {
      s.one_packet = true;
    }
  }
  if (v.persistent && *v.persistent != 0) {
    s.persistence =
        sched::Persistence{*v.persistent, v.netmask.value_or(sched::Persistence{}.netmask)};
  } else if (v.netmask) {
    report.warn(v.netmask_line, fmt::format("virtual {}: netmask without persistent has no effect; "
                                            "not carried over",
                                            v.label));
  }
  for (const auto& [line, spec] : v.reals)
    read_real(report, v, line, spec);
  detail::apply_ldirectord_checks(report, globals, v.checks, v.label, v.line, v.service,
                                  v.real_requests, v.comments);
}

void read_global(Report& report, const Line& l, detail::LdSettings& globals) {
  const std::string& key = l.key;
  if (key.empty()) {
    report.error(l.number,
                 fmt::format("expected \"key = value\" or \"virtual = ...\", got \"{}\"", l.text));
  } else if (key == "readdquiescent") {
    report.warn(l.number,
                "readdquiescent: lbd keeps a quiesced real server in its configuration anyway; "
                "not carried over");
  } else if (detail::is_ld_global_check_key(key)) {
    // Applied to every virtual service that does not set its own.
    globals[key] = {l.number, unquote(l.value)};
  } else if (key == "fallback6") {
    report.warn(l.number, fmt::format("fallback6 {}: lbd is IPv4 only; not carried over", l.value));
  } else if (key == "autoreload") {
    report.warn(l.number,
                "autoreload: lbd re-reads its file on `lbctl reload` (or SIGHUP), not "
                "by itself; not carried over");
  } else if (one_of(key, {"callback", "logfile", "execute", "fork", "supervised", "emailalert",
                          "emailalertfreq", "emailalertstatus", "emailalertfrom", "cleanstop",
                          "smtp", "maintenancedir", "fallbackcommand"})) {
    report.warn(l.number,
                fmt::format("{}: a setting of ldirectord's own daemon; not carried over", key));
  } else {
    report.warn(l.number, fmt::format("unknown setting \"{}\"; not carried over", key));
  }
}

}  // namespace

Imported import_ldirectord(std::string_view text) {
  Imported out;
  Report report(out);
  std::vector<Virtual> virtuals;
  detail::LdSettings globals;
  std::vector<std::string> hints;
  std::vector<uint32_t> marks;
  Virtual* current = nullptr;
  bool skipping = false;  // inside a block that cannot be imported (virtual6)
  for (const Line& l : split_lines(text)) {
    if (l.text.empty()) {
      current = nullptr;  // a blank line ends a virtual block, as in ldirectord
      skipping = false;
      continue;
    }
    if (l.indented && (current != nullptr || skipping)) {
      if (current != nullptr) read_virtual_line(report, *current, l);
      continue;
    }
    current = nullptr;
    skipping = false;
    if (l.indented) {
      report.error(l.number, fmt::format("indented line outside a virtual block (a blank line ends "
                                         "a block): \"{}\"",
                                         l.text));
      continue;
    }
    if (l.key == "virtual6") {
      report.warn(
          l.number,
          fmt::format("virtual6 = {}: lbd is IPv4 only; the block is not carried over", l.value));
      skipping = true;
      continue;
    }
    if (l.key != "virtual") {
      read_global(report, l, globals);
      continue;
    }
    Virtual v;
    v.line = l.number;
    v.label = unquote(l.value);
    v.service.scheduler = "wrr";
    const std::string& target = v.label;
    if (!target.empty() &&
        std::all_of(target.begin(), target.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      auto mark = report.number(l.number, "virtual (firewall mark)", target, 1, 4294967295u);
      v.ok = mark.has_value();
      v.service.fwmark = mark.value_or(0);
      if (mark) {
        marks.push_back(*mark);
        report.warn(l.number, fmt::format("virtual = {}: a firewall-mark service; lbd classifies "
                                          "packets itself and the iptables rule that marked them "
                                          "is not in ldirectord.cf: add a firewall_marks rule for "
                                          "mark {}",
                                          *mark, *mark));
      }
    } else {
      const size_t colon = target.rfind(':');
      auto vip = report.address(l.number, "virtual", target.substr(0, colon));
      std::optional<uint16_t> port;
      if (colon == std::string::npos) {
        report.error(l.number,
                     fmt::format("virtual = {}: expected ADDRESS:PORT or a firewall mark", target));
      } else {
        port = read_port(report, l.number, "virtual port", target.substr(colon + 1));
      }
      v.ok = vip && port;
      if (vip) {
        v.service.vip = *vip;
        hints.push_back(fmt::format("VIP {} (virtual {})", vip->to_string(), target));
      }
      if (port) v.service.port = *port;
      if (v.ok && *port == 0) {
        report.error(l.number, fmt::format("virtual = {}: port 0 is not a service port", target));
        v.ok = false;
      }
    }
    v.comments.push_back(fmt::format("ldirectord virtual = {} (line {})", target, l.number));
    virtuals.push_back(std::move(v));
    current = &virtuals.back();
  }
  std::vector<int> service_lines;
  for (Virtual& v : virtuals) {
    if (!v.ok) continue;
    finish_virtual(report, v, globals);
    for (size_t i = 0; i < out.services.size(); ++i) {
      const auto& a = out.services[i];
      const auto& b = v.service;
      if (a.fwmark == b.fwmark &&
          (a.fwmark != 0 || (a.protocol == b.protocol && a.vip == b.vip && a.port == b.port))) {
        report.error(v.line, fmt::format("duplicate virtual server: {} (also at line {})",
                                         detail::service_label(b), service_lines[i]));
      }
    }
    out.services.push_back(v.service);
    out.service_comments.push_back(v.comments);
    service_lines.push_back(v.line);
  }
  detail::finish_header(out, hints, marks, "ldirectord.cf");
  detail::sort_by_line(out);
  return out;
}

bool looks_like_ldirectord(std::string_view text) {
  // `virtual=` / `virtual =` at the start of a line, `real=` lines.
  for (std::string_view key : {"\nvirtual=", "\nvirtual =", "real=", "real ="}) {
    if (text.find(key) != std::string_view::npos) return true;
  }
  return text.starts_with("virtual=") || text.starts_with("virtual =");
}

}  // namespace lb::import
