#include "ipvsadm_dialect.h"

#include <iostream>
#include <variant>

#include <fmt/format.h>

#include <lb/ctl/ipvsadm_cmdline.h>
#include <lb/ctl/ipvsadm_conn.h>
#include <lb/ctl/ipvsadm_list.h>
#include <lb/ctl/ipvsadm_service.h>
#include <lb/ctl/ipvsadm_timeout.h>

#include "connection_pages.h"

namespace lb::lbctl {

namespace {

using ctl::ipvsadm::CommandLine;
using ctl::ipvsadm::Failure;
using ctl::ipvsadm::ListFormat;
using ctl::ipvsadm::Opt;

int fail(const Failure& failure) {
  std::cerr << failure.message << '\n';
  return failure.status;
}

// What the `-L` listing honours today. --exact only changes the
// --stats/--rate numbers, so the formats served are already exact; --sort is
// a no-op in ipvsadm itself.
bool supported_list_option(const ctl::ipvsadm::ParsedOption& option) {
  if (!option.spec->sets) return option.spec->long_name == "sort";
  switch (*option.spec->sets) {
    case Opt::kNumeric:
    case Opt::kExact:
    case Opt::kThresholds:
    case Opt::kPersistentConn:
      return true;
    default:
      return false;
  }
}

// print_title's precedence: --thresholds before --persistent-conn.
ListFormat list_format(const CommandLine& line) {
  if (line.has(Opt::kThresholds)) return ListFormat::kThresholds;
  if (line.has(Opt::kPersistentConn)) return ListFormat::kPersistentConn;
  return ListFormat::kPlain;
}

// One read command: its result as JSON with --json, else as `format`
// prints it; a result that cannot be formatted is reported, exit 1.
template <class Format>
int show(const Globals& globals, const std::string& cmd, Format&& format) {
  const auto result = call_lbd(globals, cmd);
  if (!result) return kExitFailed;
  if (globals.json) {
    print_json(*result);
    return kExitOk;
  }
  try {
    std::cout << format(*result);
  } catch (const std::exception& e) {
    std::cerr << fmt::format("lbctl: {}\n", e.what());
    return kExitFailed;
  }
  std::cout.flush();
  return std::cout ? kExitOk : kExitFailed;
}

int list(const Globals& globals, bool numeric, ListFormat format = ListFormat::kPlain) {
  return show(globals, "services", [&](const nlohmann::json& result) {
    return ctl::format_ipvsadm_list(result, numeric, format);
  });
}

// -L -c: print_conn reads only -n and --persistent-conn; the other options
// the parser lets through (--exact, --sort, --nosort, --syncid, --tun-info)
// change nothing in ipvsadm's listing either. A service (lbd's extension)
// limits the listing to that service's connections.
int list_connections(const Globals& globals, const CommandLine& line) {
  std::optional<ctl::ServiceSelector> service;
  for (const auto& option : line.options) {
    if (option.spec->sets != Opt::kService) continue;
    auto parsed = ctl::ipvsadm::parse_service_option(option);
    if (const auto* failure = std::get_if<Failure>(&parsed)) return fail(*failure);
    service = std::get<ctl::ServiceSelector>(std::move(parsed));
  }
  ctl::ipvsadm::ConnListing listing(
      line.has(Opt::kNumeric) ? nullptr : &ctl::ipvsadm::system_resolver(),
      line.has(Opt::kPersistentConn));
  return print_connections(
      globals, service,
      {.header = [&] { return listing.title(); },
       .page = [&](const nlohmann::json& entries) { return listing.page(entries); },
       .footer = {}});
}

// -L --timeout: nothing else on the line changes list_timeout's one line.
int list_timeout(const Globals& globals) {
  return show(globals, "settings",
              [](const nlohmann::json& result) { return ctl::ipvsadm::format_timeout(result); });
}

// --set tcp tcpfin udp: silent on success, as ipvsadm.
int set_timeouts(const Globals& globals, const CommandLine& line) {
  auto args = ctl::ipvsadm::set_timeout_args(line.values);
  if (const auto* failure = std::get_if<Failure>(&args)) return fail(*failure);
  const auto& set_args = std::get<std::optional<nlohmann::json>>(args);
  // All three 0 change nothing; ipvsadm still asks the kernel, so lbctl
  // still asks lbd (read-only) and fails if lbd is not there.
  const auto result =
      set_args ? call_lbd(globals, "set", *set_args) : call_lbd(globals, "settings");
  if (!result) return kExitFailed;
  if (globals.json) print_json(*result);
  std::cout.flush();
  return std::cout ? kExitOk : kExitFailed;
}

}  // namespace

int run_ipvsadm_dialect(const std::vector<std::string>& argv, const Globals& globals) {
  // `ipvsadm` alone lists with names resolved (ipvsadm.c main).
  if (argv.size() <= 1) return list(globals, /*numeric=*/false);

  const auto parsed = ctl::ipvsadm::parse_command_line(
      argv, ctl::ipvsadm::Extensions{.connections_of_service = true});
  if (const auto* failure = std::get_if<Failure>(&parsed)) return fail(*failure);
  const auto& line = std::get<CommandLine>(parsed);
  if (line.command == ctl::ipvsadm::Command::kSetTimeout) return set_timeouts(globals, line);
  if (line.command != ctl::ipvsadm::Command::kList) {
    std::cerr << fmt::format("lbctl: ipvsadm command '{}' is not supported yet\n",
                             line.command_spelling);
    return kExitUsage;
  }
  if (line.has(Opt::kConnection)) return list_connections(globals, line);
  if (line.has(Opt::kTimeout)) return list_timeout(globals);
  for (const auto& option : line.options) {
    if (!supported_list_option(option)) {
      std::cerr << fmt::format("lbctl: ipvsadm option '{}' is not supported yet\n",
                               option.spelling);
      return kExitUsage;
    }
  }
  return list(globals, line.has(Opt::kNumeric), list_format(line));
}

}  // namespace lb::lbctl
