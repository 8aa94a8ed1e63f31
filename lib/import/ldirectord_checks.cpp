#include "ldirectord_checks.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include <lb/config/health.h>

namespace lb::import::detail {

namespace {

using health::CheckSpec;
using health::CheckType;

// ldirectord's defaults (ld_setup, the POD's "Default:" lines).
constexpr uint32_t kDefaultCheckTimeoutS = 5;
constexpr uint32_t kDefaultNegotiateTimeoutS = 30;
constexpr uint32_t kDefaultIntervalS = 10;

constexpr std::string_view kGlobalKeys[] = {"checktimeout",   "negotiatetimeout", "checkinterval",
                                            "checkcount",     "failurecount",     "quiescent",
                                            "readdquiescent", "fallback"};
constexpr std::string_view kVirtualKeys[] = {
    "checktype",    "service",          "request",       "receive",      "checkport",
    "checktimeout", "negotiatetimeout", "checkinterval", "checkcount",   "failurecount",
    "quiescent",    "virtualhost",      "httpmethod",    "checkcommand", "login",
    "passwd",       "database",         "secret",        "load",         "fallback"};

// ldirectord's ld_port_to_service: the negotiate check a virtual port gets
// when `service` is left out.
std::string_view port_to_service(uint16_t port) {
  static constexpr std::pair<uint16_t, std::string_view> kServices[] = {
      {21, "ftp"},     {25, "smtp"},  {53, "dns"},      {80, "http"},     {110, "pop"},
      {119, "nntp"},   {143, "imap"}, {389, "ldap"},    {443, "https"},   {587, "submission"},
      {993, "imaps"},  {995, "pops"}, {1521, "oracle"}, {1812, "radius"}, {3128, "http_proxy"},
      {3306, "mysql"}, {5060, "sip"}, {5432, "pgsql"},
  };
  for (const auto& [p, name] : kServices) {
    if (p == port) return name;
  }
  return "none";
}

constexpr std::string_view kServiceNames[] = {"dns",   "ftp",       "http", "https", "http_proxy",
                                              "imap",  "imaps",     "ldap", "nntp",  "mysql",
                                              "none",  "oracle",    "pop",  "pops",  "radius",
                                              "pgsql", "simpletcp", "sip",  "smtp",  "submission"};

// Why an address cannot be a server lbd forwards to ("loopback"); empty
// when it can be.
std::string_view address_problem(packet::Ipv4Addr addr) {
  const uint32_t first = addr.host() >> 24;
  if (first == 0) return "in 0.0.0.0/8";
  if (first == 127) return "loopback: the director itself";
  if (first >= 224) return first < 240 ? "multicast" : "reserved";
  return {};
}

class Checks {
 public:
  Checks(Report& report, const LdSettings& global, const LdSettings& local,
         const std::string& label, int line, sched::ServiceSpec& service)
      : report_(report),
        global_(global),
        local_(local),
        label_(label),
        line_(line),
        service_(service) {}

  // The virtual's setting, else the global one.
  const LdSetting* get(std::string_view key) const {
    if (const auto it = local_.find(key); it != local_.end()) return &it->second;
    if (!is_ld_global_check_key(key)) return nullptr;
    const auto it = global_.find(key);
    return it == global_.end() ? nullptr : &it->second;
  }
  const LdSetting* own(std::string_view key) const {
    const auto it = local_.find(key);
    return it == local_.end() ? nullptr : &it->second;
  }
  const LdSetting* global(std::string_view key) const {
    const auto it = global_.find(key);
    return it == global_.end() ? nullptr : &it->second;
  }

  void warn(const LdSetting* at, const std::string& message) const {
    report_.warn(at != nullptr ? at->line : line_, fmt::format("virtual {}: {}", label_, message));
  }
  void error(const LdSetting& at, const std::string& message) const {
    report_.error(at.line, message);
  }

  std::optional<uint32_t> seconds(const LdSetting* s, std::string_view key) const {
    if (s == nullptr) return std::nullopt;
    return report_.number(s->line, key, s->value, 1, 86400);
  }

  // ld_setup: checktimeout and negotiatetimeout default to each other, the
  // virtual's before the global ones.
  uint32_t check_timeout_s() const {
    for (const LdSetting* s : {own("checktimeout"), own("negotiatetimeout"), global("checktimeout"),
                               global("negotiatetimeout")}) {
      if (auto v = seconds(s, "checktimeout")) return *v;
    }
    return kDefaultCheckTimeoutS;
  }
  uint32_t negotiate_timeout_s() const {
    for (const LdSetting* s : {own("negotiatetimeout"), own("checktimeout"),
                               global("negotiatetimeout"), global("checktimeout")}) {
      if (auto v = seconds(s, "negotiatetimeout")) return *v;
    }
    return kDefaultNegotiateTimeoutS;
  }

  sched::ServiceSpec& service() { return service_; }
  const sched::ServiceSpec& service() const { return service_; }
  Report& report() const { return report_; }

 private:
  Report& report_;
  const LdSettings& global_;
  const LdSettings& local_;
  const std::string& label_;
  int line_;
  sched::ServiceSpec& service_;
};

// `request` as a path: ldirectord prefixes a relative one with "/"; a full
// URL names another server, so only its path is kept.
std::optional<std::string> request_path(const Checks& c, const LdSetting& request) {
  std::string path = request.value;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (!path.starts_with(scheme)) continue;
    const size_t slash = path.find('/', scheme.size());
    const std::string kept = slash == std::string::npos ? "/" : path.substr(slash);
    c.warn(&request, fmt::format("request {}: ldirectord fetches that URL, lbd requests its path "
                                 "{} from each real server",
                                 path, kept));
    path = kept;
  }
  if (path.empty() || path.front() != '/') path = "/" + path;
  if (auto problem = config::path_problem(path); !problem.empty()) {
    c.warn(&request,
           fmt::format("request {}: {}; the check is not carried over", request.value, problem));
    return std::nullopt;
  }
  return path;
}

// `receive`, a Perl regex in ldirectord, as PCRE2 (the health engine's) takes
// it.
std::optional<health::Expect> receive_expect(const Checks& c, const LdSetting& receive) {
  if (auto problem = config::regex_problem(receive.value); !problem.empty()) {
    c.warn(&receive,
           fmt::format("receive {}: {}; the check is not carried over", receive.value, problem));
    return std::nullopt;
  }
  return health::Expect{receive.value, true};
}

// A simpletcp `request`, Piranha's escapes decoded as lbd's file reads them.
std::optional<std::string> request_bytes(const Checks& c, const LdSetting& request) {
  auto bytes = config::decode_text(request.value);
  if (!bytes) {
    c.warn(&request, fmt::format("request {}: {}; the check is not carried over", request.value,
                                 bytes.errors.front()));
    return std::nullopt;
  }
  return std::move(*bytes.value);
}

// The negotiate check: HTTP(S) and simpletcp carry over; the protocol
// exchanges lbd has no check for fall back to a TCP connect.
std::optional<CheckSpec> negotiate_check(const Checks& c, std::string_view service_name,
                                         uint32_t timeout_s) {
  const LdSetting* request = c.own("request");
  const LdSetting* receive = c.own("receive");
  CheckSpec check;
  check.timeout_ms = timeout_s * 1000;
  if (service_name == "http" || service_name == "https") {
    check.type = service_name == "http" ? CheckType::kHttp : CheckType::kHttps;
    if (request) {
      auto path = request_path(c, *request);
      if (!path) return std::nullopt;
      check.path = *path;
    }
    if (receive) {
      auto expect = receive_expect(c, *receive);
      if (!expect) return std::nullopt;
      check.expect_body = *expect;
    }
    if (const LdSetting* host = c.own("virtualhost")) {
      if (auto problem = config::host_problem(host->value); problem.empty()) {
        check.host = host->value;
      } else {
        c.warn(host, fmt::format("virtualhost {}: {}; not carried over", host->value, problem));
      }
    }
    if (const LdSetting* method = c.own("httpmethod"); method && method->value != "GET") {
      c.warn(method, fmt::format("httpmethod = {}: lbd's check requests with GET", method->value));
    }
    return check;
  }
  if (service_name == "simpletcp") {
    check.type = CheckType::kSendExpect;
    if (request) {
      auto send = request_bytes(c, *request);
      if (!send) return std::nullopt;
      check.send = std::move(*send);
    }
    if (receive) {
      auto expect = receive_expect(c, *receive);
      if (!expect) return std::nullopt;
      check.expect = *expect;
    }
    if (check.send.empty() && check.expect.text.empty()) check.type = CheckType::kTcp;
    return check;
  }
  const LdSetting* at = c.own("service");
  if (c.service().fwmark == 0 && c.service().protocol == sched::Protocol::kUdp) {
    c.warn(at, fmt::format("the negotiate check of service {} has no lbd equivalent; not carried "
                           "over: the real servers are not checked",
                           service_name));
    return std::nullopt;
  }
  c.warn(at, fmt::format("the negotiate check of service {} (its protocol exchange) has no lbd "
                         "equivalent; checked by a TCP connect instead",
                         service_name));
  check.type = CheckType::kTcp;
  return check;
}

// The checkcommand, run with the four arguments ldirectord passes: the
// virtual server's address (or mark) and port, the real server's address
// and port.
std::optional<CheckSpec> external_check(const Checks& c, std::string_view checktype,
                                        const LdSetting* at, uint32_t timeout_s) {
  const LdSetting* command = c.own("checkcommand");
  const std::string program = command != nullptr ? command->value : "/bin/true";
  if (auto problem = config::command_problem(program); !problem.empty()) {
    c.warn(command != nullptr ? command : at,
           fmt::format("checkcommand {}: {}; not carried over: the real servers are not checked",
                       program, problem));
    return std::nullopt;
  }
  const sched::ServiceSpec& s = c.service();
  if (checktype == "external-perl") {
    c.warn(at,
           "checktype = external-perl: lbd runs checkcommand as a program, not inside Perl: it "
           "must be executable (#!/usr/bin/perl)");
  }
  if (s.fwmark != 0) {
    c.warn(at, fmt::format("checkcommand of a firewall-mark service: lbd passes the mark {} and "
                           "port 0 as the virtual server's address and port",
                           s.fwmark));
  }
  CheckSpec check;
  check.type = CheckType::kProgram;
  check.timeout_ms = timeout_s * 1000;
  check.command = fmt::format("{} {} {} %h %p", program,
                              s.fwmark != 0 ? std::to_string(s.fwmark) : s.vip.to_string(),
                              s.fwmark != 0 ? 0 : s.port);
  return check;
}

// The check the virtual's checktype and service ask for, before the
// settings every type shares.
std::optional<CheckSpec> typed_check(Checks& c) {
  const LdSetting* type_setting = c.own("checktype");
  const std::string checktype = type_setting != nullptr ? type_setting->value : "negotiate";
  const sched::ServiceSpec& s = c.service();
  std::string service_name(s.fwmark != 0 ? "none" : port_to_service(s.port));
  if (const LdSetting* named = c.own("service")) {
    if (std::find(std::begin(kServiceNames), std::end(kServiceNames), named->value) ==
        std::end(kServiceNames)) {
      c.error(*named,
              "service must be dns, ftp, http, https, http_proxy, imap, imaps, ldap, nntp, mysql, "
              "none, oracle, pop, pops, radius, pgsql, simpletcp, sip, smtp or submission");
      return std::nullopt;
    }
    service_name = named->value;
  }
  const bool combined =
      !checktype.empty() && std::all_of(checktype.begin(), checktype.end(),
                                        [](char ch) { return ch >= '0' && ch <= '9'; });
  if (checktype == "negotiate" || combined) {
    if (combined) {
      c.warn(type_setting, fmt::format("checktype = {}: lbd runs the negotiate check every time "
                                       "(ldirectord: once every {} connect checks)",
                                       checktype, checktype));
    }
    if (service_name == "none") return std::nullopt;  // ldirectord does not monitor it
    return negotiate_check(c, service_name, c.negotiate_timeout_s());
  }
  if (checktype == "connect") {
    if (s.fwmark == 0 && s.protocol == sched::Protocol::kUdp) {
      c.warn(type_setting,
             "checktype = connect on a UDP service: ldirectord pings the real servers (ICMP), "
             "and lbd has no ICMP check; not carried over: the real servers are not checked");
      return std::nullopt;
    }
    CheckSpec check;
    check.timeout_ms = c.check_timeout_s() * 1000;
    return check;
  }
  if (checktype == "external" || checktype == "external-perl") {
    return external_check(c, checktype, type_setting, c.check_timeout_s());
  }
  if (checktype == "ping") {
    c.warn(type_setting,
           "checktype = ping: lbd has no ICMP check; not carried over: the real "
           "servers are not checked");
    return std::nullopt;
  }
  if (checktype == "off") {
    c.warn(type_setting,
           "checktype = off: ldirectord activates none of the real servers (nor the fallback): "
           "they are kept with enabled: false");
    for (auto& real : c.service().real_servers)
      real.enabled = false;
    return std::nullopt;
  }
  if (checktype == "on") return std::nullopt;  // always up: not checked
  c.error(*type_setting,
          fmt::format("checktype must be connect, external, external-perl, negotiate, off, on, "
                      "ping or a number, got \"{}\"",
                      checktype));
  return std::nullopt;
}

// fallback = ADDRESS[:PORT] [gate|masq|ipip]: ldirectord forwards with
// gate when no method is given, to the virtual's port when no port is.
void apply_fallback(Checks& c, const LdSetting& fallback) {
  sched::ServiceSpec& s = c.service();
  if (c.own("checktype") != nullptr && c.own("checktype")->value == "off") return;
  const size_t space = fallback.value.find_first_of(" \t");
  const std::string target = fallback.value.substr(0, space);
  std::string method = space == std::string::npos
                           ? ""
                           : fallback.value.substr(fallback.value.find_first_not_of(" \t", space));
  const size_t colon = target.rfind(':');
  const auto addr = packet::Ipv4Addr::parse(target.substr(0, colon));
  if (!addr) {
    c.warn(&fallback, fmt::format("fallback {}: expected an IPv4 address (host names are not "
                                  "resolved); not carried over",
                                  fallback.value));
    return;
  }
  if (auto problem = address_problem(*addr); !problem.empty()) {
    c.warn(&fallback, fmt::format("fallback {}: {} is {}; lbd's sorry server is another host: not "
                                  "carried over",
                                  fallback.value, addr->to_string(), problem));
    return;
  }
  sched::RealServerSpec sorry;
  sorry.addr = *addr;
  sorry.port = s.fwmark != 0 ? 0 : s.port;
  if (colon != std::string::npos) {
    const std::string port = target.substr(colon + 1);
    std::optional<uint16_t> number = well_known_port(port);
    if (!number && !port.empty() && port.size() <= 5 &&
        std::all_of(port.begin(), port.end(), [](char ch) { return ch >= '0' && ch <= '9'; }) &&
        std::stoul(port) <= 65535) {
      number = static_cast<uint16_t>(std::stoul(port));
    }
    if (!number) {
      c.error(fallback,
              fmt::format("fallback {}: invalid port for fallback server", fallback.value));
      return;
    }
    sorry.port = *number;
  }
  if (method.empty() || method == "gate") {
    sorry.forward = sched::ForwardMethod::kDirectRoute;
  } else if (method == "masq") {
    sorry.forward = sched::ForwardMethod::kNat;
  } else if (method == "ipip") {
    sorry.forward = sched::ForwardMethod::kTunnel;
  } else {
    c.error(fallback, "forward method must be gate, masq or ipip");
    return;
  }
  force_port_for_method(c.report(), fallback.line, s, sorry, "fallback server");
  for (const auto& real : s.real_servers) {
    if (real.addr == sorry.addr && real.port == sorry.port) {
      c.warn(&fallback, fmt::format("fallback {} is also one of the real servers; lbd's sorry "
                                    "server is another server: not carried over",
                                    fallback.value));
      return;
    }
  }
  s.sorry_server = sorry;
}

// A real server's own request/receive: the service's check with its path
// (or send) and expected text.
void apply_real_request(Checks& c, const CheckSpec& service_check, const LdRealRequest& rr) {
  sched::RealServerSpec& real = c.service().real_servers.at(rr.index);
  const LdSetting request{rr.line, rr.request};
  const LdSetting receive{rr.line, rr.receive};
  CheckSpec check = service_check;
  if (check.type == CheckType::kHttp || check.type == CheckType::kHttps) {
    auto path = request_path(c, request);
    auto expect = receive_expect(c, receive);
    if (!path || !expect) return;
    check.path = *path;
    check.expect_body = *expect;
  } else if (check.type == CheckType::kSendExpect) {
    auto send = request_bytes(c, request);
    auto expect = receive_expect(c, receive);
    if (!send || !expect) return;
    check.send = std::move(*send);
    check.expect = *expect;
  } else {
    c.report().warn(rr.line,
                    fmt::format("real {}: its request/receive pair is for ldirectord's negotiate "
                                "checks of http, https and simpletcp; not carried over",
                                real.addr.to_string()));
    return;
  }
  if (check != service_check) real.check = check;
}

}  // namespace

bool is_ld_check_key(std::string_view key) {
  return std::find(std::begin(kVirtualKeys), std::end(kVirtualKeys), key) != std::end(kVirtualKeys);
}

bool is_ld_global_check_key(std::string_view key) {
  return std::find(std::begin(kGlobalKeys), std::end(kGlobalKeys), key) != std::end(kGlobalKeys);
}

void apply_ldirectord_checks(Report& report, const LdSettings& global, const LdSettings& local,
                             const std::string& label, int line, sched::ServiceSpec& service,
                             const std::vector<LdRealRequest>& real_requests,
                             std::vector<std::string>& comments) {
  Checks c(report, global, local, label, line, service);
  // The settings of ldirectord's protocol checks (FTP, IMAP, LDAP, SQL,
  // RADIUS logins and queries) that lbd has no equivalent for. Secrets are
  // never copied into the YAML.
  for (std::string_view key : {"login", "passwd", "database", "secret", "load"}) {
    if (const LdSetting* s = c.own(key)) {
      c.warn(s, fmt::format("{}: a setting of ldirectord's negotiate checks lbd has no "
                            "equivalent for; not carried over",
                            key));
      const bool secret = key == "passwd" || key == "secret";
      comments.push_back(
          fmt::format("not carried over: {} = {}", key, secret ? "(not copied)" : s->value));
    }
  }
  if (const LdSetting* s = c.get("checkcount")) {
    c.warn(s,
           "checkcount: ldirectord's ping retries within one check; not carried over (see "
           "failurecount)");
  }
  health::OnFailure on_failure = health::OnFailure::kQuiesce;  // ldirectord's default
  if (const LdSetting* s = c.get("quiescent")) {
    if (s->value == "no") {
      on_failure = health::OnFailure::kRemove;
    } else if (s->value != "yes") {
      c.error(*s, "quiescent must be 'yes' or 'no'");
    }
  }
  if (const LdSetting* s = c.get("fallback")) apply_fallback(c, *s);

  std::optional<CheckSpec> check = typed_check(c);
  if (check) {
    uint32_t interval_s = kDefaultIntervalS;
    if (const LdSetting* s = c.get("checkinterval")) {
      interval_s = c.seconds(s, "checkinterval").value_or(kDefaultIntervalS);
    }
    check->interval_ms = interval_s * 1000;
    // ldirectord's own default negotiate timeout (30 s) over its default
    // interval (10 s) is shortened silently: only a timeout the file gives
    // is worth a warning.
    const bool timeout_given =
        c.get("checktimeout") != nullptr || c.get("negotiatetimeout") != nullptr;
    if (check->timeout_ms > check->interval_ms && timeout_given) {
      c.warn(nullptr, fmt::format("the check's timeout of {} s is longer than its interval of {} "
                                  "s: lbd ends a check before the next one starts, so it times "
                                  "out after {} s",
                                  check->timeout_ms / 1000, interval_s, interval_s));
    }
    check->timeout_ms = std::min(check->timeout_ms, check->interval_ms);
    check->rise = 1;
    check->fall = 1;
    if (const LdSetting* s = c.get("failurecount")) {
      const auto count = report.number(s->line, "failurecount", s->value, 1, 4294967295u);
      if (count && *count > config::kMaxRiseFall) {
        c.warn(s, fmt::format("failurecount = {}: lbd's fall is at most {}; {} it is", *count,
                              config::kMaxRiseFall, config::kMaxRiseFall));
      }
      check->fall = std::min<uint32_t>(count.value_or(1), config::kMaxRiseFall);
    }
    if (const LdSetting* s = c.own("checkport")) {
      if (auto port = report.number(s->line, "checkport", s->value, 1, 65535)) {
        check->port = static_cast<uint16_t>(*port);
      }
    }
    // ld_checkport: a real server without a port is checked on the port of
    // the service's protocol.
    const bool portless = std::any_of(service.real_servers.begin(), service.real_servers.end(),
                                      [](const sched::RealServerSpec& r) { return r.port == 0; });
    const bool needs_port = check->type != CheckType::kProgram;
    if (check->port == 0 && portless && needs_port) {
      const LdSetting* named = c.own("service");
      if (auto port = named != nullptr ? well_known_port(named->value) : std::nullopt) {
        check->port = *port;
      } else {
        c.warn(nullptr,
               "its real servers keep each packet's port and there is no checkport (or "
               "service) to say which port to check; the check is not carried over");
        check.reset();
      }
    }
  }
  if (check) {
    if (const auto problems = config::check_problems(*check); !problems.empty()) {
      c.warn(nullptr, problems.front().message + "; the check is not carried over");
      check.reset();
    }
  }
  if (check) {
    service.health.check = check;
    service.health.on_failure = on_failure;
    for (const LdRealRequest& rr : real_requests)
      apply_real_request(c, *check, rr);
  } else {
    for (const LdRealRequest& rr : real_requests) {
      report.warn(rr.line, fmt::format("real {}: its request/receive pair: the service has no "
                                       "check it could change; not carried over",
                                       service.real_servers.at(rr.index).addr.to_string()));
    }
  }
}

}  // namespace lb::import::detail
