// The YAML writer (emit.h). Written by hand rather than through yaml-cpp's
// emitter so that the layout is the one conf/*.yaml uses (block services,
// flow-map real servers, comments above entries) and stays stable for golden
// tests. Every key and form written here is one parse.cpp /
// parse_services.cpp reads; keep them in step.
#include <lb/config/emit.h>

#include <algorithm>
#include <string_view>

#include <fmt/format.h>

#include <lb/config/health.h>
#include <lb/conn/tcp_state.h>
#include <lb/health/escapes.h>

namespace lb::config {

namespace {

// Words YAML 1.1/1.2 would resolve to a bool or null when plain.
bool is_special_word(std::string_view text) {
  static constexpr std::string_view kWords[] = {
      "y",    "Y",     "yes",   "Yes",   "YES",  "n",    "N",    "no",   "No",
      "NO",   "on",    "On",    "ON",    "off",  "Off",  "OFF",  "true", "True",
      "TRUE", "false", "False", "FALSE", "null", "Null", "NULL", "~",
  };
  return std::find(std::begin(kWords), std::end(kWords), text) != std::end(kWords);
}

bool is_plain_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-' || c == '/';
}

// A string value as YAML reads it back unchanged: plain when nothing in it
// means something to YAML, otherwise double-quoted with escapes. (Numbers
// are never written through here, so a plain "80" would not be misread as
// an integer where a string is meant: the values are names.)
std::string scalar(std::string_view text) {
  const bool plain = !text.empty() && is_plain_char(text.front()) && text.front() != '-' &&
                     std::all_of(text.begin(), text.end(), is_plain_char) &&
                     !is_special_word(text) && !std::all_of(text.begin(), text.end(), [](char c) {
                       return (c >= '0' && c <= '9') || c == '.';
                     });
  if (plain) return std::string(text);
  std::string out = "\"";
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += ch;
    }
  }
  out += '"';
  return out;
}

// One comment line per line of `text`, control characters made visible so
// that none can end the comment early.
void append_comment(std::string& out, std::string_view indent, std::string_view text) {
  size_t start = 0;
  while (true) {
    const size_t end = text.find('\n', start);
    const std::string_view line =
        text.substr(start, end == std::string_view::npos ? end : end - start);
    std::string clean;
    for (const char ch : line) {
      const auto c = static_cast<unsigned char>(ch);
      if ((c < 0x20 && c != '\t') || c == 0x7f) {
        clean += fmt::format("\\x{:02x}", c);
      } else {
        clean += ch;
      }
    }
    out += indent;
    out += clean.empty() ? "#" : "# " + clean;
    out += '\n';
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
}

// ipvsadm -b names that parse_sched_flag takes back for this scheduler. sh
// and mh name their first two flags; the third is flag-3 for every scheduler.
std::vector<std::string> sched_flag_list(std::string_view scheduler, uint8_t flags) {
  std::vector<std::string> names;
  const bool named = scheduler == "sh" || scheduler == "mh";
  for (const auto& name : sched::sched_flag_names(scheduler, flags))
    names.emplace_back(name);
  if (named && (flags & sched::kSchedFlag3) != 0) names.emplace_back("flag-3");
  return names;
}

// A text whose backslashes must reach the parser as written (a regex, or
// Piranha-escaped text): plain when nothing in it means something to YAML,
// single-quoted (no escapes) when printable, otherwise double-quoted with
// YAML's escapes, which give the same text back.
std::string literal(std::string_view text) {
  std::string out = scalar(text);
  const bool printable =
      std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
  if (out.front() != '"' || !printable) return out;
  out = "'";
  for (const char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

// An expected text: the parser decodes Piranha's escapes in a plain text,
// not in a regex.
std::string expect_text(const health::Expect& expect) {
  if (!expect.regex) return literal(health::encode_escapes(expect.text));
  return fmt::format("{{text: {}, regex: true}}", literal(expect.text));
}

// A check as a flow map: its type, then the keys that differ from a check
// of that type with nothing else given.
std::string check_text(const health::CheckSpec& check) {
  health::CheckSpec defaults;
  defaults.type = check.type;
  std::vector<std::string> fields;
  fields.push_back(fmt::format("type: {}", check_type_name(check.type)));
  const auto number = [&](std::string_view key, uint32_t value, uint32_t fallback) {
    if (value != fallback) fields.push_back(fmt::format("{}: {}", key, value));
  };
  number("port", check.port, defaults.port);
  number("interval_ms", check.interval_ms, defaults.interval_ms);
  number("timeout_ms", check.timeout_ms, default_timeout_ms(check.interval_ms));
  number("rise", check.rise, defaults.rise);
  number("fall", check.fall, defaults.fall);
  number("service_timeout_ms", check.service_timeout_ms, defaults.service_timeout_ms);
  number("reentry_ms", check.reentry_ms, defaults.reentry_ms);
  if (check.path != defaults.path) fields.push_back("path: " + scalar(check.path));
  if (!check.host.empty()) fields.push_back("host: " + scalar(check.host));
  if (!check.expect_status.empty()) {
    fields.push_back(fmt::format("expect_status: [{}]", fmt::join(check.expect_status, ", ")));
  }
  if (!check.expect_body.text.empty()) {
    fields.push_back("expect_body: " + expect_text(check.expect_body));
  }
  if (!check.send.empty()) fields.push_back("send: " + literal(health::encode_escapes(check.send)));
  if (!check.expect.text.empty()) fields.push_back("expect: " + expect_text(check.expect));
  if (!check.command.empty()) fields.push_back("command: " + scalar(check.command));
  if (check.through_tunnel) fields.emplace_back("through_tunnel: true");
  return fmt::format("{{{}}}", fmt::join(fields, ", "));
}

// address, port (and weight) and forward, in the order the parser's
// documentation lists them; a sorry server has no weight.
std::vector<std::string> endpoint_fields(const sched::RealServerSpec& real,
                                         const sched::ServiceSpec& service, bool weight) {
  std::vector<std::string> fields;
  fields.push_back("address: " + real.addr.to_string());
  // What the parser gives a server without a port.
  const uint16_t default_port = service.fwmark != 0 ? 0 : service.port;
  if (real.port != default_port) fields.push_back(fmt::format("port: {}", real.port));
  if (weight && real.weight != 1) fields.push_back(fmt::format("weight: {}", real.weight));
  if (real.forward != sched::ForwardMethod::kNat) {
    fields.push_back(fmt::format("forward: {}", sched::to_string(real.forward)));
  }
  return fields;
}

std::string real_server_entry(const sched::RealServerSpec& real,
                              const sched::ServiceSpec& service) {
  std::vector<std::string> fields = endpoint_fields(real, service, true);
  if (real.upper_threshold != 0) {
    fields.push_back(fmt::format("upper_threshold: {}", real.upper_threshold));
  }
  if (real.lower_threshold != 0) {
    fields.push_back(fmt::format("lower_threshold: {}", real.lower_threshold));
  }
  if (!real.enabled) fields.emplace_back("enabled: false");
  if (real.check) fields.push_back("check: " + check_text(*real.check));
  return fmt::format("{{{}}}", fmt::join(fields, ", "));
}

void append_service(std::string& out, const sched::ServiceSpec& service) {
  // The first key goes on the "- " line, the others under it.
  bool first = true;
  const auto key = [&](std::string_view name, const std::string& value) {
    out += first ? "  - " : "    ";
    first = false;
    out += name;
    out += value.empty() ? ":" : ": " + value;
    out += '\n';
  };
  if (service.fwmark != 0) {
    key("fwmark", std::to_string(service.fwmark));
  } else {
    key("protocol", std::string(sched::to_string(service.protocol)));
    key("vip", service.vip.to_string());
    key("port", std::to_string(service.port));
  }
  if (service.scheduler != "wlc") key("scheduler", scalar(service.scheduler));
  if (const auto flags = sched_flag_list(service.scheduler, service.sched_flags); !flags.empty()) {
    key("scheduler_flags", fmt::format("[{}]", fmt::join(flags, ", ")));
  }
  if (service.persistence) {
    const sched::Persistence& p = *service.persistence;
    if (p.netmask == sched::Persistence{}.netmask) {
      key("persistence", std::to_string(p.timeout_s));
    } else {
      key("persistence",
          fmt::format("{{timeout: {}, netmask: {}}}", p.timeout_s, p.netmask.to_string()));
    }
  }
  if (service.one_packet) key("one_packet", "true");
  if (service.quiesce_server) key("quiesce_server", "true");
  if (!service.enabled) key("enabled", "false");
  if (service.health != health::HealthSpec{}) {
    key("health", "");
    if (service.health.check) out += "      check: " + check_text(*service.health.check) + "\n";
    if (service.health.on_failure != health::OnFailure::kRemove) {
      out += fmt::format("      on_failure: {}\n", on_failure_name(service.health.on_failure));
    }
  }
  if (service.sorry_server) {
    key("sorry_server",
        fmt::format("{{{}}}",
                    fmt::join(endpoint_fields(*service.sorry_server, service, false), ", ")));
  }
  if (!service.real_servers.empty()) {
    key("real_servers", "");
    for (const auto& real : service.real_servers)
      out += "      - " + real_server_entry(real, service) + "\n";
  }
}

bool every_port(const sched::MarkRule& rule) {
  return rule.port_min == 0 && rule.port_max == 65535;
}

bool same_match_but_ports(const sched::MarkRule& a, const sched::MarkRule& b) {
  const auto same_prefix = [](const packet::Ipv4Prefix& x, const packet::Ipv4Prefix& y) {
    return x.addr == y.addr && x.len == y.len;
  };
  const bool same_source = a.source.has_value() == b.source.has_value() &&
                           (!a.source || same_prefix(*a.source, *b.source));
  return a.mark == b.mark && a.protocol == b.protocol &&
         same_prefix(a.destination, b.destination) && same_source;
}

std::string prefix_text(const packet::Ipv4Prefix& prefix) {
  return prefix.len == 32 ? prefix.addr.to_string() : prefix.to_string();
}

std::string port_range_text(const sched::MarkRule& rule) {
  const uint16_t min = std::max<uint16_t>(rule.port_min, 1);
  const uint16_t max = std::max(rule.port_max, min);
  return min == max ? std::to_string(min) : fmt::format("{}-{}", min, max);
}

}  // namespace

std::string emit_services(std::span<const sched::ServiceSpec> services,
                          std::span<const std::vector<std::string>> comments) {
  if (services.empty()) return "services: []\n";
  std::string out = "services:\n";
  for (size_t i = 0; i < services.size(); ++i) {
    if (i > 0) out += '\n';
    if (i < comments.size()) {
      for (const auto& line : comments[i])
        append_comment(out, "  ", line);
    }
    append_service(out, services[i]);
  }
  return out;
}

std::string emit_mark_rules(std::span<const sched::MarkRule> rules) {
  if (rules.empty()) return {};
  std::string out = "firewall_marks:\n";
  for (size_t i = 0; i < rules.size();) {
    const sched::MarkRule& rule = rules[i];
    std::vector<std::string> ports;
    size_t next = i + 1;
    if (!every_port(rule)) {
      ports.push_back(port_range_text(rule));
      while (next < rules.size() && !every_port(rules[next]) &&
             same_match_but_ports(rule, rules[next])) {
        ports.push_back(port_range_text(rules[next]));
        ++next;
      }
    }
    std::vector<std::string> fields;
    fields.push_back(fmt::format("mark: {}", rule.mark));
    if (rule.protocol)
      fields.push_back(fmt::format("protocol: {}", sched::to_string(*rule.protocol)));
    fields.push_back("destination: " + prefix_text(rule.destination));
    if (!ports.empty()) fields.push_back(fmt::format("ports: [{}]", fmt::join(ports, ", ")));
    if (rule.source) fields.push_back("source: " + prefix_text(*rule.source));
    out += fmt::format("  - {{{}}}\n", fmt::join(fields, ", "));
    i = next;
  }
  return out;
}

std::string emit_connections(const ConnectionConfig& connections) {
  const ConnectionConfig defaults;
  std::string body;
  if (connections.table_size != defaults.table_size) {
    body += fmt::format("  table_size: {}\n", connections.table_size);
  }
  std::string timeouts;
  for (size_t i = 0; i < conn::kTimeoutNames.size(); ++i) {
    const uint32_t ms = connections.timeouts.by_index(i);
    if (ms == defaults.timeouts.by_index(i)) continue;
    const uint32_t seconds = std::max<uint32_t>((ms + 999) / 1000, 1);
    timeouts += fmt::format("    {}: {}\n", conn::kTimeoutNames[i], seconds);
  }
  if (!timeouts.empty()) body += "  timeouts:  # seconds\n" + timeouts;
  if (connections.expire_nodest_conn != defaults.expire_nodest_conn) {
    body += fmt::format("  expire_nodest_conn: {}\n", connections.expire_nodest_conn);
  }
  return body.empty() ? body : "connections:\n" + body;
}

}  // namespace lb::config
