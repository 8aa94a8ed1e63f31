#include "ipvsadm_dialect.h"

#include <iostream>
#include <variant>

#include <fmt/format.h>

#include <lb/ctl/ipvsadm_cmdline.h>
#include <lb/ctl/ipvsadm_conn.h>
#include <lb/ctl/ipvsadm_help.h>
#include <lb/ctl/ipvsadm_list.h>
#include <lb/ctl/ipvsadm_save.h>
#include <lb/ctl/ipvsadm_service.h>
#include <lb/ctl/ipvsadm_timeout.h>
#include <lb/ctl/protocol.h>

#include "connection_pages.h"

namespace lb::lbctl {

namespace {

using ctl::ipvsadm::Command;
using ctl::ipvsadm::CommandLine;
using ctl::ipvsadm::Failure;
using ctl::ipvsadm::ListFormat;
using ctl::ipvsadm::Opt;
using ctl::ipvsadm::Translation;

int finish_output() {
  std::cout.flush();
  return std::cout ? kExitOk : kExitFailed;
}

// print_title's precedence.
ListFormat list_format(const CommandLine& line) {
  if (line.has(Opt::kStats)) return ListFormat::kStats;
  if (line.has(Opt::kRate)) return ListFormat::kRate;
  if (line.has(Opt::kThresholds)) return ListFormat::kThresholds;
  if (line.has(Opt::kPersistentConn)) return ListFormat::kPersistentConn;
  if (line.has(Opt::kTunInfo)) return ListFormat::kTunInfo;
  return ListFormat::kPlain;
}

// One read command: its result as JSON with --json, else as `format`
// prints it. A result that cannot be formatted is reported, exit 1; the
// listing of a service lbd does not have says ipvsadm's "No such service",
// exit 1 (list_service).
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
  } catch (const ctl::CtlError& e) {
    if (e.code() == "no_service") {
      std::cerr << e.what() << '\n';
    } else {
      std::cerr << fmt::format("lbctl: {}\n", e.what());
    }
    return kExitFailed;
  } catch (const std::exception& e) {
    std::cerr << fmt::format("lbctl: {}\n", e.what());
    return kExitFailed;
  }
  return finish_output();
}

int list(const Globals& globals, bool numeric, const ctl::ipvsadm::ListOptions& options = {}) {
  return show(globals, "services", [&](const nlohmann::json& result) {
    return ctl::format_ipvsadm_list(result, numeric, options);
  });
}

// -L -c: print_conn reads only -n and --persistent-conn; the other options
// the parser lets through (--exact, --sort, --nosort, --syncid, --tun-info)
// change nothing in ipvsadm's listing either. A service (lbd's extension)
// limits the listing to that service's connections.
int list_connections(const Globals& globals, const Translation& translation) {
  const CommandLine& line = translation.line;
  ctl::ipvsadm::ConnListing listing(
      line.has(Opt::kNumeric) ? nullptr : &ctl::ipvsadm::system_resolver(),
      line.has(Opt::kPersistentConn));
  return print_connections(
      globals, translation.entry.service,
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
  if (const auto* failure = std::get_if<Failure>(&args)) {
    print_failure(*failure);
    return failure->status;
  }
  const auto& set_args = std::get<std::optional<nlohmann::json>>(args);
  // All three 0 change nothing; ipvsadm still asks the kernel, so lbctl
  // still asks lbd (read-only) and fails if lbd is not there.
  const auto result =
      set_args ? call_lbd(globals, "set", *set_args) : call_lbd(globals, "settings");
  if (!result) return kExitFailed;
  if (globals.json) print_json(*result);
  return finish_output();
}

// An lbd request whose error replies are the kernel's refusals: ipvsadm's
// text for them, status 255, and the next -R line still runs. Not reaching
// lbd (or a reply lbctl cannot read) ends the command as other lbctl
// failures do, exit 1.
CommandResult change(const Globals& globals, Command command, const std::string& cmd,
                     const nlohmann::json& args) {
  try {
    ctl::ControlClient client(globals.socket, globals.timeout);
    const nlohmann::json result = client.call(cmd, args);
    if (globals.json) print_json(result);
    return {finish_output(), false};
  } catch (const ctl::CtlError& e) {
    if (e.code() == ctl::errc::kBadReply || e.code() == "unknown_command") {
      std::cerr << fmt::format("lbctl: lbd answered '{}' with an error: {} ({})\n", cmd, e.what(),
                               e.code());
      return {kExitFailed, true};
    }
    const Failure failure = ctl::ipvsadm::edit_failure(command, e.code(), e.what());
    print_failure(failure);
    return {failure.status, false};
  } catch (const std::exception& e) {
    std::cerr << fmt::format("lbctl: {}\n", e.what());
    return {kExitFailed, true};
  }
}

// -L --daemon lists running sync daemons: lbd runs none, so, once lbd is
// known to be there, the truthful listing is ipvsadm's empty one.
int list_daemon(const Globals& globals) {
  if (!call_lbd(globals, "status")) return kExitFailed;
  return finish_output();
}

CommandResult list_command(const Translation& translation, const Globals& globals) {
  const CommandLine& line = translation.line;
  int status = 0;
  if (line.has(Opt::kConnection)) {
    status = list_connections(globals, translation);
  } else if (line.has(Opt::kService)) {
    ctl::ipvsadm::ListOptions options;
    options.format = list_format(line);
    options.exact = line.has(Opt::kExact);
    options.sort = !line.has(Opt::kNoSort);
    options.service = translation.entry.service;
    status = list(globals, line.has(Opt::kNumeric), options);
  } else if (line.has(Opt::kTimeout)) {
    status = list_timeout(globals);
  } else if (line.has(Opt::kDaemon)) {
    status = list_daemon(globals);
  } else {
    ctl::ipvsadm::ListOptions options;
    options.format = list_format(line);
    options.exact = line.has(Opt::kExact);
    options.sort = !line.has(Opt::kNoSort);
    status = list(globals, line.has(Opt::kNumeric), options);
  }
  // ipvsadm's listings exit(1) on failure.
  return {status, status != 0};
}

}  // namespace

void print_failure(const Failure& failure) {
  std::cerr << failure.message << '\n';
}

CommandResult run_ipvsadm_command(const Translation& translation, const Globals& globals,
                                  const std::string& program) {
  const CommandLine& line = translation.line;
  switch (line.command) {
    case Command::kList:
      return list_command(translation, globals);
    case Command::kSave: {
      const int status = show(globals, "services", [&](const nlohmann::json& result) {
        return ctl::ipvsadm::format_save(result, line.has(Opt::kNumeric));
      });
      return {status, status != 0};
    }
    case Command::kAdd:
    case Command::kEdit:
    case Command::kDelete:
    case Command::kFlush:
    case Command::kAddServer:
    case Command::kEditServer:
    case Command::kDeleteServer:
      return change(globals, line.command, "edit",
                    {{"ops", nlohmann::json::array({translation.op})}});
    case Command::kZero:
      return change(globals, line.command, "zero", ctl::ipvsadm::zero_args(translation.entry));
    case Command::kSetTimeout: {
      const int status = set_timeouts(globals, line);
      return {status, status == kExitFailed};
    }
    case Command::kStartDaemon:
      std::cerr << "lbctl: ipvsadm command '" << line.command_spelling
                << "' is not supported: lbd has no connection sync daemon\n";
      return {kExitUsage, true};
    case Command::kStopDaemon:
      // ipvsadm's answer when no daemon runs (ESRCH), which is lbd's case.
      std::cerr << "No daemon is running\n";
      return {255, false};
    case Command::kVersion:
      std::cout << ctl::ipvsadm::version_line();
      return {finish_output(), true};
    case Command::kHelp:
      std::cout << ctl::ipvsadm::usage_text(program);
      return {finish_output(), true};
    case Command::kRestore:
      return {restore_rules(globals, program, std::cin), true};
  }
  return {kExitUsage, true};
}

int run_ipvsadm_dialect(const std::vector<std::string>& argv, const Globals& globals) {
  // `ipvsadm` alone lists with names resolved (ipvsadm.c main).
  if (argv.size() <= 1) return list(globals, /*numeric=*/false);

  const auto translated = ctl::ipvsadm::translate_command_line(
      argv, ctl::ipvsadm::Extensions{.connections_of_service = true});
  if (const auto* failure = std::get_if<Failure>(&translated)) {
    print_failure(*failure);
    return failure->status;
  }
  return run_ipvsadm_command(std::get<Translation>(translated), globals, argv[0]).status;
}

}  // namespace lb::lbctl
