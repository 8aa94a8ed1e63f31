#include "keepalived_checks.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include <lb/config/health.h>

namespace lb::import::detail {

namespace {

using health::CheckSpec;
using health::CheckType;

// keepalived's defaults (keepalived.conf(5)): checks every 60 s, a
// connection given 5 s, one retry before a server is taken down.
constexpr uint32_t kDefaultDelayLoopMs = 60000;
constexpr uint32_t kDefaultConnectTimeoutMs = 5000;
constexpr uint32_t kDefaultRetry = 1;

// The single value of a keyword, or a warning and nullopt.
const std::string* single_value(Report& report, const Statement& s, std::string_view label) {
  if (s.words.size() == 2 && !s.has_block) return &s.words[1];
  report.warn(s.line, fmt::format("{}: {}: expected one value, got \"{}\"; not carried over", label,
                                  s.words[0], flatten(s)));
  return nullptr;
}

// Seconds as keepalived writes them ("3", "2.5") in milliseconds.
std::optional<uint32_t> seconds_ms(Report& report, const Statement& s, std::string_view label) {
  const std::string* text = single_value(report, s, label);
  if (text == nullptr) return std::nullopt;
  const size_t dot = text->find('.');
  const std::string whole = text->substr(0, dot);
  std::string fraction = dot == std::string::npos ? "" : text->substr(dot + 1);
  const auto digits = [](const std::string& t) {
    return std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (whole.empty() || whole.size() > 6 || !digits(whole) || !digits(fraction)) {
    report.error(
        s.line, fmt::format("{}: expected seconds (e.g. 3 or 2.5), got \"{}\"", s.words[0], *text));
    return std::nullopt;
  }
  fraction = (fraction + "000").substr(0, 3);
  return static_cast<uint32_t>(std::stoul(whole) * 1000 + std::stoul(fraction));
}

std::optional<std::string> hex_bytes(std::string_view hex) {
  if (hex.starts_with("0x") || hex.starts_with("0X")) hex.remove_prefix(2);
  if (hex.empty() || hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    const auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    };
    const int high = nibble(hex[i]), low = nibble(hex[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
  }
  return out;
}

// A checker's setting: its own, else its real_server's, else its
// virtual_server's.
const Statement* setting(const Statement& checker, const KaDefaults& real_server,
                         const KaDefaults& virtual_server, std::string_view key) {
  for (const Statement& s : checker.block) {
    if (s.words[0] == key) return &s;
  }
  for (const KaDefaults* scope : {&real_server, &virtual_server}) {
    if (const auto it = scope->keys.find(key); it != scope->keys.end()) return it->second;
  }
  return nullptr;
}

// One url { path; status_code; digest; regex } block.
void read_url(Report& report, const Statement& url, CheckSpec& check, const std::string& where) {
  for (const Statement& s : url.block) {
    const std::string& key = s.words[0];
    if (key == "path") {
      if (const std::string* path = single_value(report, s, where)) {
        if (auto problem = config::path_problem(*path); !problem.empty()) {
          report.warn(s.line,
                      fmt::format("{}: path {}: {}; lbd checks / instead", where, *path, problem));
        } else {
          check.path = *path;
        }
      }
    } else if (key == "status_code") {
      const std::string* text = single_value(report, s, where);
      if (text == nullptr) continue;
      const size_t dash = text->find('-');
      const auto low = report.number(s.line, "status_code", text->substr(0, dash),
                                     config::kMinHttpStatus, config::kMaxHttpStatus);
      const auto high = dash == std::string::npos
                            ? low
                            : report.number(s.line, "status_code", text->substr(dash + 1),
                                            config::kMinHttpStatus, config::kMaxHttpStatus);
      for (uint32_t code = low.value_or(1); low && high && code <= *high; ++code) {
        if (std::find(check.expect_status.begin(), check.expect_status.end(), code) ==
            check.expect_status.end()) {
          check.expect_status.push_back(static_cast<uint16_t>(code));
        }
      }
    } else if (key == "digest") {
      report.warn(s.line, fmt::format("{}: digest: lbd does not compare the body's MD5 digest; "
                                      "not carried over",
                                      where));
    } else if (key == "regex") {
      const std::string* text = single_value(report, s, where);
      if (text == nullptr) continue;
      if (auto problem = config::regex_problem(*text); !problem.empty()) {
        report.warn(s.line, fmt::format("{}: regex: {}; not carried over", where, problem));
      } else {
        check.expect_body = {*text, true};
      }
    } else {
      report.warn(s.line,
                  fmt::format("{}: url: {}: lbd has no equivalent; not carried over", where, key));
    }
  }
}

std::optional<CheckSpec> convert_checker(Report& report, const Statement& c,
                                         const KaDefaults& virtual_server,
                                         const KaDefaults& real_server,
                                         const sched::RealServerSpec& real,
                                         const std::string& label) {
  const std::string& key = c.words[0];
  const std::string where = fmt::format("{}: {}", label, key);
  CheckSpec check;
  if (key == "TCP_CHECK") {
    check.type = CheckType::kTcp;
  } else if (key == "HTTP_GET" || key == "SSL_GET") {
    check.type = key == "HTTP_GET" ? CheckType::kHttp : CheckType::kHttps;
  } else if (key == "MISC_CHECK") {
    check.type = CheckType::kProgram;
  } else if (key == "UDP_CHECK") {
    check.type = CheckType::kUdp;
  } else {
    report.warn(c.line, fmt::format("{}: lbd has no such check; not carried over", where));
    return std::nullopt;
  }
  bool ok = true;
  bool had_url = false;
  std::optional<uint32_t> misc_timeout;
  for (const Statement& s : c.block) {
    const std::string& k = s.words[0];
    if (k == "connect_port") {
      if (const std::string* v = single_value(report, s, where)) {
        if (auto port = report.number(s.line, "connect_port", *v, 1, 65535)) {
          check.port = static_cast<uint16_t>(*port);
        }
      }
    } else if (k == "delay_loop" || k == "connect_timeout" || k == "retry" || k == "nb_get_retry" ||
               k == "virtualhost") {
      // Read below, with the real and virtual servers' defaults.
    } else if (k == "delay_before_retry" || k == "warmup" || k == "alpha") {
      KaDefaults ignored;
      add_ka_setting(report, s, where, ignored);
    } else if (k == "url" && (check.type == CheckType::kHttp || check.type == CheckType::kHttps)) {
      if (had_url) {
        report.warn(s.line, fmt::format("{}: another url: lbd checks one path per real server; "
                                        "the first url is kept",
                                        where));
        continue;
      }
      had_url = true;
      read_url(report, s, check, where);
    } else if (k == "misc_path" && check.type == CheckType::kProgram) {
      const std::string* command = single_value(report, s, where);
      if (command == nullptr) {
        ok = false;
      } else if (auto problem = config::command_problem(*command); !problem.empty()) {
        report.warn(s.line, fmt::format("{}: misc_path: {}; not carried over", where, problem));
        ok = false;
      } else {
        if (command->find_first_of("|&;<>$`\\\"'(){}*?") != std::string::npos) {
          report.warn(s.line, fmt::format("{}: misc_path: lbd runs the command without a shell, "
                                          "so shell syntax in it is passed as it is",
                                          where));
        }
        check.command = *command;
      }
    } else if (k == "misc_timeout" && check.type == CheckType::kProgram) {
      misc_timeout = seconds_ms(report, s, where);
    } else if (k == "misc_dynamic" && check.type == CheckType::kProgram) {
      report.warn(s.line, fmt::format("{}: misc_dynamic: the program's exit status does not set "
                                      "the weight in lbd; not carried over",
                                      where));
    } else if ((k == "payload" || k == "require_reply") && check.type == CheckType::kUdp) {
      const std::string* hex = single_value(report, s, where);
      const auto bytes = hex != nullptr ? hex_bytes(*hex) : std::nullopt;
      if (!bytes) {
        report.warn(s.line,
                    fmt::format("{}: {}: expected hexadecimal bytes; not carried over", where, k));
      } else if (k == "payload") {
        check.send = *bytes;
      } else {
        check.expect = {*bytes, false};
      }
    } else {
      report.warn(s.line, fmt::format("{}: {}: lbd has no equivalent; not carried over", where, k));
    }
  }
  if (check.type == CheckType::kProgram && check.command.empty()) {
    if (ok) report.warn(c.line, fmt::format("{}: no misc_path; not carried over", where));
    return std::nullopt;
  }
  if (!ok) return std::nullopt;

  check.interval_ms = kDefaultDelayLoopMs;
  if (const Statement* s = setting(c, real_server, virtual_server, "delay_loop")) {
    if (auto ms = seconds_ms(report, *s, where); ms && *ms >= config::kMinCheckIntervalMs) {
      check.interval_ms = std::min(*ms, config::kMaxCheckIntervalMs);
    } else if (ms) {
      report.warn(s->line, fmt::format("{}: delay_loop {} ms: lbd checks at most every {} ms",
                                       where, *ms, config::kMinCheckIntervalMs));
      check.interval_ms = config::kMinCheckIntervalMs;
    }
  }
  if (check.type == CheckType::kProgram) {
    // keepalived's misc_timeout defaults to the delay loop.
    check.timeout_ms = misc_timeout.value_or(check.interval_ms);
  } else {
    check.timeout_ms = kDefaultConnectTimeoutMs;
    if (const Statement* s = setting(c, real_server, virtual_server, "connect_timeout")) {
      if (auto ms = seconds_ms(report, *s, where)) check.timeout_ms = *ms;
    }
  }
  if (check.timeout_ms > check.interval_ms) {
    report.warn(c.line, fmt::format("{}: its timeout of {} ms is longer than the delay loop of {} "
                                    "ms: lbd ends a check before the next one starts, so it "
                                    "times out after {} ms",
                                    where, check.timeout_ms, check.interval_ms, check.interval_ms));
    check.timeout_ms = check.interval_ms;
  }
  check.timeout_ms = std::max(check.timeout_ms, config::kMinCheckTimeoutMs);
  check.rise = 1;
  uint32_t retry = kDefaultRetry;
  const Statement* retries = setting(c, real_server, virtual_server, "retry");
  if (retries == nullptr) retries = setting(c, real_server, virtual_server, "nb_get_retry");
  if (retries != nullptr) {
    if (const std::string* v = single_value(report, *retries, where)) {
      retry = report.number(retries->line, retries->words[0], *v, 0, config::kMaxRiseFall - 1)
                  .value_or(kDefaultRetry);
    }
  }
  check.fall = retry + 1;  // the failed check and its retries
  if (check.type == CheckType::kHttp || check.type == CheckType::kHttps) {
    if (const Statement* s = setting(c, real_server, virtual_server, "virtualhost")) {
      if (const std::string* host = single_value(report, *s, where)) {
        if (auto problem = config::host_problem(*host); problem.empty()) {
          check.host = *host;
        } else {
          report.warn(s->line,
                      fmt::format("{}: virtualhost: {}; not carried over", where, problem));
        }
      }
    }
  }
  const bool uses_port =
      check.type != CheckType::kProgram || check.command.find("%p") != std::string::npos;
  if (check.port == 0 && real.port == 0 && uses_port) {
    report.warn(c.line, fmt::format("{}: the real server keeps each packet's port and the checker "
                                    "has no connect_port; not carried over",
                                    where));
    return std::nullopt;
  }
  if (const auto problems = config::check_problems(check); !problems.empty()) {
    report.warn(c.line, fmt::format("{}: {}; not carried over", where, problems.front().message));
    return std::nullopt;
  }
  return check;
}

}  // namespace

bool is_ka_checker(std::string_view key) {
  return key.ends_with("_CHECK") || key == "HTTP_GET" || key == "SSL_GET";
}

bool is_ka_check_setting(std::string_view key) {
  for (std::string_view k :
       {"delay_loop", "connect_timeout", "retry", "nb_get_retry", "virtualhost",
        "inhibit_on_failure", "delay_before_retry", "warmup", "alpha"}) {
    if (k == key) return true;
  }
  return false;
}

void add_ka_setting(Report& report, const Statement& s, std::string_view label,
                    KaDefaults& defaults) {
  const std::string& key = s.words[0];
  if (key == "inhibit_on_failure") {
    defaults.inhibit = &s;
  } else if (key == "delay_before_retry") {
    report.warn(s.line, fmt::format("{}: delay_before_retry: lbd spaces every check by the "
                                    "interval (delay_loop), retries included; not carried over",
                                    label));
  } else if (key == "warmup") {
    report.warn(s.line, fmt::format("{}: warmup: lbd checks from the start, without a random "
                                    "delay; not carried over",
                                    label));
  } else if (key == "alpha") {
    report.warn(s.line, fmt::format("{}: alpha: lbd schedules a real server until its first "
                                    "check says it is down; not carried over",
                                    label));
  } else if (key == "delay_loop" || key == "connect_timeout") {
    // Checked once here, not at each checker that inherits it.
    if (seconds_ms(report, s, label)) defaults.keys[key] = &s;
  } else if (key == "retry" || key == "nb_get_retry") {
    const std::string* v = single_value(report, s, label);
    if (v != nullptr && report.number(s.line, key, *v, 0, config::kMaxRiseFall - 1)) {
      defaults.keys[key] = &s;
    }
  } else {
    defaults.keys[key] = &s;
  }
}

std::optional<CheckSpec> ka_real_check(
    Report& report, const std::vector<const Statement*>& checkers, const KaDefaults& virtual_server,
    const KaDefaults& real_server, const sched::RealServerSpec& real, const std::string& label) {
  std::optional<CheckSpec> chosen;
  std::string chosen_name;
  for (const Statement* checker : checkers) {
    auto check = convert_checker(report, *checker, virtual_server, real_server, real, label);
    if (!check) continue;
    if (chosen) {
      report.warn(checker->line,
                  fmt::format("{}: {}: lbd runs one check per real server; the {} above is kept",
                              label, checker->words[0], chosen_name));
      continue;
    }
    chosen = check;
    chosen_name = checker->words[0];
  }
  return chosen;
}

void finish_ka_health(Report& report, sched::ServiceSpec& service,
                      const std::vector<const Statement*>& inhibit,
                      const std::vector<int>& real_lines, const KaDefaults& virtual_server,
                      const KaSorry& sorry, sched::ForwardMethod forward,
                      const std::string& label) {
  auto& reals = service.real_servers;
  // The same check on every real server is the service's.
  const bool same = !reals.empty() && reals.front().check &&
                    std::all_of(reals.begin(), reals.end(), [&](const sched::RealServerSpec& r) {
                      return r.check == reals.front().check;
                    });
  if (same) {
    service.health.check = reals.front().check;
    for (auto& r : reals)
      r.check.reset();
  }
  // lbd quiesces or removes per service: a real server's inhibit_on_failure
  // quiesces all of them.
  const bool any =
      virtual_server.inhibit != nullptr ||
      std::any_of(inhibit.begin(), inhibit.end(), [](auto* s) { return s != nullptr; });
  if (any) {
    service.health.on_failure = health::OnFailure::kQuiesce;
    for (size_t r = 0; virtual_server.inhibit == nullptr && r < reals.size(); ++r) {
      if (r < inhibit.size() && inhibit[r] != nullptr) continue;
      report.warn(r < real_lines.size() ? real_lines[r] : 0,
                  fmt::format("{} real_server {}:{} has no inhibit_on_failure, but lbd quiesces "
                              "or removes the failed real servers of a service alike: another "
                              "one sets it, so this one is quiesced too",
                              label, reals[r].addr.to_string(), reals[r].port));
    }
  }
  if (sorry.server == nullptr) return;
  const Statement& s = *sorry.server;
  if (s.words.size() != 3) {
    report.error(s.line, "sorry_server: expected ADDRESS PORT");
    return;
  }
  const auto addr = report.address(s.line, "sorry_server", s.words[1]);
  const auto port = report.number(s.line, "sorry_server port", s.words[2], 0, 65535);
  if (!addr || !port) return;
  sched::RealServerSpec server;
  server.addr = *addr;
  server.port = static_cast<uint16_t>(*port);
  server.forward = forward;
  if (sorry.method != nullptr) {
    const std::string m = sorry.method->words.size() == 2 ? sorry.method->words[1] : "";
    if (m == "NAT" || m == "nat") {
      server.forward = sched::ForwardMethod::kNat;
    } else if (m == "DR" || m == "dr") {
      server.forward = sched::ForwardMethod::kDirectRoute;
    } else if (m == "TUN" || m == "tun") {
      server.forward = sched::ForwardMethod::kTunnel;
    } else {
      report.error(sorry.method->line, "sorry_server_lvs_method: expected NAT, DR or TUN");
      return;
    }
  }
  for (const auto& r : reals) {
    if (r.addr == server.addr && r.port == server.port) {
      report.warn(s.line, fmt::format("{} sorry_server {}:{} is also one of its real servers; "
                                      "lbd's sorry server is another server: not carried over",
                                      label, server.addr.to_string(), server.port));
      return;
    }
  }
  service.sorry_server = server;
}

}  // namespace lb::import::detail
