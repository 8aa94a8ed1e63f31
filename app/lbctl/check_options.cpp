#include "check_options.h"

#include <algorithm>
#include <array>
#include <charconv>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <lb/config/health.h>
#include <lb/packet/addr.h>

namespace lb::lbctl {

namespace {

using nlohmann::json;

// A check option: its name, the check key it sets, its --help text and type
// word, and how its value becomes JSON.
enum class Kind { kNumber, kDuration, kText, kRegex, kStatuses, kBoolean };

struct CheckOption {
  std::string_view name;
  std::string_view key;
  Kind kind;
  std::string_view type;
  std::string_view help;
};

constexpr std::array kCheckOptions = {
    CheckOption{"--check-port", "port", Kind::kNumber, "N",
                "Port the check probes (default: the real server's)"},
    CheckOption{"--interval", "interval_ms", Kind::kDuration, "DURATION",
                "Between two checks, e.g. 2s or 500ms (default 5s)"},
    CheckOption{"--timeout", "timeout_ms", Kind::kDuration, "DURATION",
                "One check's limit, at most the interval (default 3s)"},
    CheckOption{"--rise", "rise", Kind::kNumber, "N",
                "Checks passed in a row that bring a server up (default 2)"},
    CheckOption{"--fall", "fall", Kind::kNumber, "N",
                "Checks failed in a row that take a server down (default 3)"},
    CheckOption{"--service-timeout", "service_timeout_ms", Kind::kDuration, "DURATION",
                "Piranha's service timeout: failing this long before down (default 0: unused)"},
    CheckOption{"--reentry", "reentry_ms", Kind::kDuration, "DURATION",
                "Piranha's re-entry time: passing this long before up (default 0: unused)"},
    CheckOption{"--check-path", "path", Kind::kText, "URL-PATH",
                "http/https: the path requested (default /)"},
    CheckOption{"--check-host", "host", Kind::kText, "HOST", "http/https: the Host header"},
    CheckOption{"--expect-status", "expect_status", Kind::kStatuses, "CODES",
                "http/https: the statuses that pass, comma-separated (default any 2xx or 3xx)"},
    CheckOption{"--expect-body", "expect_body", Kind::kText, "TEXT",
                "http/https: text the body must contain"},
    CheckOption{"--expect-body-regex", "expect_body", Kind::kRegex, "REGEX",
                "http/https: a regular expression the body must match"},
    CheckOption{"--send", "send", Kind::kText, "TEXT",
                "send_expect/udp: what is sent, with Piranha's escapes (\\r\\n)"},
    CheckOption{"--expect", "expect", Kind::kText, "TEXT",
                "send_expect/udp/program: text the reply or output must contain"},
    CheckOption{"--expect-regex", "expect", Kind::kRegex, "REGEX",
                "send_expect/udp/program: a regular expression the reply must match"},
    CheckOption{"--command", "command", Kind::kText, "COMMAND",
                "program: the command line, the program by its absolute path; %h address, %p port"},
    CheckOption{"--through-tunnel", "through_tunnel", Kind::kBoolean, "yes|no",
                "Probe tunnel real servers through the tunnel, to the VIP"},
};

const CheckOption& option_named(std::string_view name) {
  for (const auto& option : kCheckOptions) {
    if (option.name == name) return option;
  }
  throw std::logic_error(fmt::format("no check option {}", name));
}

json number(std::string_view text, std::string_view option) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() ||
      value > 0xffffffffu) {
    throw UsageError(fmt::format("{} '{}': expected a number", option, text));
  }
  return value;
}

json statuses(std::string_view text, std::string_view option) {
  json list = json::array();
  for (std::size_t start = 0; start <= text.size();) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    list.push_back(number(text.substr(start, comma - start), option));
    start = comma + 1;
  }
  return list;
}

json boolean(std::string_view text, std::string_view option) {
  if (text == "yes" || text == "true") return true;
  if (text == "no" || text == "false") return false;
  throw UsageError(fmt::format("{} '{}': expected yes or no", option, text));
}

json option_value(const CheckOption& option, const std::string& text) {
  switch (option.kind) {
    case Kind::kNumber:
      return number(text, option.name);
    case Kind::kDuration:
      return parse_duration_ms(text, option.name);
    case Kind::kText:
      return text;
    case Kind::kRegex:
      return {{"text", text}, {"regex", true}};
    case Kind::kStatuses:
      return statuses(text, option.name);
    case Kind::kBoolean:
      return boolean(text, option.name);
  }
  return nullptr;
}

std::string check_types() {
  std::vector<std::string_view> names;
  for (auto type :
       {health::CheckType::kTcp, health::CheckType::kHttp, health::CheckType::kHttps,
        health::CheckType::kSendExpect, health::CheckType::kUdp, health::CheckType::kProgram})
    names.push_back(config::check_type_name(type));
  return fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace

uint32_t parse_duration_ms(std::string_view text, std::string_view option) {
  const std::size_t digits = text.find_first_not_of("0123456789");
  const std::string_view unit = digits == std::string_view::npos ? "" : text.substr(digits);
  uint64_t factor = 0;
  if (unit == "ms") {
    factor = 1;
  } else if (unit == "s") {
    factor = 1000;
  } else if (unit == "m") {
    factor = 60000;
  }
  uint64_t value = 0;
  const std::string_view count = text.substr(0, digits);
  const auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), value);
  if (unit.empty() && !count.empty() && ec == std::errc{}) {
    throw UsageError(fmt::format("{} '{}': give a unit: {}ms or {}s", option, text, count, count));
  }
  if (factor == 0 || count.empty() || ec != std::errc{} || end != count.data() + count.size() ||
      value > 0xffffffffu / factor) {
    throw UsageError(fmt::format(
        "{} '{}': expected a duration, a whole number with a unit: ms, s or m (e.g. 2s, 500ms)",
        option, text));
  }
  return static_cast<uint32_t>(value * factor);
}

void declare_check_options(CLI::App& cmd, CheckArguments& args, bool service) {
  cmd.add_option_function<std::string>(
         "--check", [&args](const std::string& v) { args.type = v; },
         std::string(service ? "Health check of its real servers: "
                             : "Its own health check, replacing the service's: ") +
             check_types() +
             " (a new check: the settings not given take their defaults; without --check the "
             "settings change the current check)")
      ->type_name("CHECK");
  for (const CheckOption& option : kCheckOptions) {
    cmd.add_option_function<std::string>(
           std::string(option.name),
           [&args, name = option.name](const std::string& v) {
             args.options.emplace_back(name, v);
           },
           std::string(option.help))
        ->type_name(std::string(option.type));
  }
  cmd.add_flag_function(
      "--no-check", [&args](std::int64_t) { args.none = true; },
      service ? "Remove the service's health check"
              : "Remove its own health check (the service's applies again)");
}

void declare_service_health_options(CLI::App& cmd, HealthArguments& args) {
  cmd.add_option_function<std::string>(
         "--on-failure", [&args](const std::string& v) { args.on_failure = v; },
         "What a failed real server becomes: remove (default) or quiesce (weight 0)")
      ->type_name("remove|quiesce");
  cmd.add_option_function<std::string>(
         "--sorry", [&args](const std::string& v) { args.sorry = v; },
         "Sorry server: takes new connections while every real server is down")
      ->type_name("ADDRESS[:PORT]");
  cmd.add_option_function<std::string>(
         "--sorry-forward", [&args](const std::string& v) { args.sorry_forward = v; },
         "The sorry server's forwarding method: nat (default), dr or tunnel")
      ->type_name("METHOD");
  cmd.add_flag_function(
      "--no-sorry", [&args](std::int64_t) { args.no_sorry = true; }, "No sorry server");
}

std::optional<json> check_value(const CheckArguments& args, bool adding) {
  if (args.none) {
    if (args.type || !args.options.empty()) {
      throw UsageError(fmt::format("--no-check and {} contradict each other",
                                   args.type ? "--check" : args.options.front().first));
    }
    return json(nullptr);
  }
  if (!args.type && args.options.empty()) return std::nullopt;
  if (!args.type && adding) {
    throw UsageError(fmt::format("{} sets a check's setting: give the check with --check TYPE",
                                 args.options.front().first));
  }
  json check = json::object();
  if (args.type) check["type"] = *args.type;
  for (std::size_t i = 0; i < args.options.size(); ++i) {
    const auto& [name, text] = args.options[i];
    const CheckOption& option = option_named(name);
    // Two options for one key (--expect and --expect-regex): the operator
    // meant one of them, lbctl cannot tell which. (CLI11 refuses an option
    // given twice.)
    for (std::size_t j = 0; j < i; ++j) {
      if (option_named(args.options[j].first).key == option.key) {
        throw UsageError(
            fmt::format("{} and {} contradict each other", args.options[j].first, name));
      }
    }
    check[std::string(option.key)] = option_value(option, text);
  }
  return check;
}

void add_service_health(const HealthArguments& args, bool adding, json& fields) {
  if (const auto check = check_value(args.check, adding)) fields["health"]["check"] = *check;
  if (args.on_failure) fields["health"]["on_failure"] = *args.on_failure;
  if (args.no_sorry) {
    if (args.sorry || args.sorry_forward) {
      throw UsageError(fmt::format("--no-sorry and {} contradict each other",
                                   args.sorry ? "--sorry" : "--sorry-forward"));
    }
    fields["sorry_server"] = nullptr;
    return;
  }
  if (args.sorry_forward && !args.sorry) {
    throw UsageError("--sorry-forward needs --sorry ADDRESS[:PORT]");
  }
  if (!args.sorry) return;
  const std::string& text = *args.sorry;
  const std::size_t colon = text.find(':');
  json sorry = {{"address", text.substr(0, colon)}};
  if (!packet::Ipv4Addr::parse(sorry["address"].get<std::string>())) {
    throw UsageError(fmt::format("--sorry '{}': expected ADDRESS or ADDRESS:PORT", text));
  }
  if (colon != std::string::npos) sorry["port"] = number(text.substr(colon + 1), "--sorry");
  if (args.sorry_forward) sorry["forward"] = *args.sorry_forward;
  fields["sorry_server"] = sorry;
}

}  // namespace lb::lbctl
