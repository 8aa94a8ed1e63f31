#include "commands.h"

#include <array>
#include <iostream>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <CLI/CLI.hpp>

#include <lb/ctl/connections.h>
#include <lb/ctl/report.h>
#include <lb/ctl/settings.h>

#include "completion_command.h"
#include "connection_pages.h"
#include "edit_commands.h"
#include "import_command.h"

namespace lb::lbctl {

namespace {

int print_version(const Globals& globals, const Arguments&) {
  if (globals.json) {
    print_json({{"lbctl", LBCTL_VERSION}});
  } else {
    std::cout << "lbctl " << LBCTL_VERSION << '\n';
  }
  return kExitOk;
}

void declare_connections(CLI::App& sub, Arguments& args) {
  sub.add_option_function<std::string>(
         "--service", [&args](const std::string& text) { args.service = text; },
         "Only the connections of this virtual service: tcp:VIP:PORT, udp:VIP:PORT or fwmark:N")
      ->type_name("SERVICE");
}

// Every page of the table, printed as it arrives.
int run_connections(const Globals& globals, const Arguments& args) {
  std::optional<ctl::ServiceSelector> service;
  if (args.service) {
    service = ctl::parse_service_selector(*args.service);
    if (!service) {
      throw UsageError(
          fmt::format("--service '{}': expected tcp:VIP:PORT, udp:VIP:PORT or "
                      "fwmark:N (e.g. tcp:198.18.1.100:80, fwmark:7)",
                      *args.service));
    }
  }
  ctl::ConnectionsTable table;
  return print_connections(
      globals, service,
      {.header = &ctl::ConnectionsTable::header,
       .page = [&](const nlohmann::json& entries) { return table.page(entries); },
       .footer = [&] { return table.total(); }});
}

void declare_set(CLI::App& sub, Arguments& args) {
  sub.add_option("assignments", args.assignments,
                 fmt::format("expire_nodest_conn=yes|no and timeouts.NAME=SECONDS ({}..{}), NAME "
                             "one of {}; e.g. `lbctl set timeouts.established=600 "
                             "expire_nodest_conn=yes`",
                             ctl::kMinTimeoutSeconds, ctl::kMaxTimeoutSeconds,
                             fmt::join(ctl::kTimeoutNames, ", ")))
      ->type_name("KEY=VALUE");
}

nlohmann::json set_request(const Arguments& args) {
  try {
    return ctl::parse_set_assignments(args.assignments);
  } catch (const ctl::SetSyntaxError& e) {
    throw UsageError(e.what(), ctl::set_keys_help());
  }
}

const std::array kCommands = {
    CommandSpec{"status", "Show lbd's version, uptime, workers and ports", "status",
                &ctl::format_status},
    CommandSpec{"stats", "Show traffic, drop counters by name, ports and the connection table",
                "stats", &ctl::format_stats},
    CommandSpec{"services", "Show virtual services and their real servers", "services",
                &ctl::format_services},
    CommandSpec{"health",
                "Show each health-checked real server: state, last check result and latency, and "
                "the sorry servers serving",
                "health", &ctl::format_health},
    CommandSpec{"connections",
                "List the connection table (and persistence templates), page by page",
                "connections", nullptr, &declare_connections, nullptr, &run_connections},
    CommandSpec{"settings", "Show the connection timeouts and expire_nodest_conn", "settings",
                &ctl::format_settings},
    CommandSpec{"set",
                "Change connection timeouts and expire_nodest_conn (all or nothing) and show the "
                "new settings",
                "set", &ctl::format_settings, &declare_set, &set_request},
    CommandSpec{"reload",
                "Re-read lbd's configuration file and apply its services, firewall-mark rules and "
                "timeouts (all or nothing; established connections continue)",
                "reload", &ctl::format_reload},
    CommandSpec{"service", "Add, edit or delete a virtual service (live; `lbctl save` keeps it)",
                "", nullptr, &declare_service, nullptr, &run_service},
    CommandSpec{"real", "Add, edit or remove a real server of a service (live)", "", nullptr,
                &declare_real, nullptr, &run_real},
    CommandSpec{"weight", "Set a real server's weight", "", nullptr, &declare_weight, nullptr,
                &run_weight},
    CommandSpec{"drain",
                "Set a real server's weight to 0: no new connections, existing ones "
                "continue",
                "", nullptr, &declare_drain, nullptr, &run_drain},
    CommandSpec{"enable", "Serve a disabled service or real server again", "", nullptr,
                &declare_enable, nullptr, &run_enable},
    CommandSpec{"disable",
                "Stop serving a service or real server without deleting it from the configuration",
                "", nullptr, &declare_enable, nullptr, &run_disable},
    CommandSpec{"lookup",
                "Show which real server a flow gets (existing connection, persistence template or "
                "scheduler), changing nothing",
                "lookup", &format_lookup, &declare_lookup, &lookup_request},
    CommandSpec{"config",
                "Show the running configuration's services, disabled ones included, and whether "
                "live edits are unsaved",
                "config", &format_config},
    CommandSpec{"save",
                "Write the running configuration back to lbd's YAML file (or PATH), keeping its "
                "comments and unchanged text",
                "save", &format_save, &declare_save, &save_request},
    CommandSpec{"import",
                "Convert an LVS configuration (ipvsadm rules, Piranha lvs.cf, ldirectord.cf, "
                "keepalived.conf) to lbd's YAML",
                "", nullptr, &declare_import, nullptr, &run_import},
    CommandSpec{"completion",
                "Print the bash completion script (source <(lbctl completion bash)), or the "
                "running lbd's services and real servers it completes with",
                "", nullptr, &declare_completion, nullptr, &run_completion},
    CommandSpec{"version", "Show lbctl's version", "", nullptr, nullptr, nullptr, &print_version},
};

int call_and_show(const CommandSpec& spec, const Globals& globals, const Arguments& args) {
  const nlohmann::json request = spec.request != nullptr ? spec.request(args) : nullptr;
  const auto result = call_lbd(globals, std::string(spec.rpc), request);
  if (!result) return kExitFailed;
  try {
    if (globals.json) {
      print_json(*result);
    } else {
      std::cout << spec.render(*result);
    }
  } catch (const std::exception& e) {
    std::cerr << fmt::format("lbctl: cannot show lbd's '{}' result: {}\n", spec.rpc, e.what());
    return kExitFailed;
  }
  std::cout.flush();
  return std::cout ? kExitOk : kExitFailed;
}

int run(const CommandSpec& spec, const Globals& globals, const Arguments& args) {
  try {
    return spec.run != nullptr ? spec.run(globals, args) : call_and_show(spec, globals, args);
  } catch (const UsageError& e) {
    std::cerr << fmt::format("lbctl: {}: {}\n", spec.name, e.what());
    if (!e.hint().empty()) std::cerr << e.hint() << '\n';
    std::cerr << fmt::format("Run 'lbctl {} --help' for usage.\n", spec.name);
    return kExitUsage;
  }
}

constexpr const char* kFooter =
    "ipvsadm dialect: when the first argument after lbctl's global options is an option\n"
    "(other than -h/--help/--version), lbctl reads the rest as ipvsadm 1.31 would and\n"
    "prints what ipvsadm prints, e.g. `lbctl -Ln`. Invoked as `ipvsadm` (a symlink to\n"
    "lbctl) it speaks only that dialect, with the socket from $LBD_SOCKET: -A -E -D -C\n"
    "-a -e -d (live edits), -R/-S (rule files), -L/-l with -n, -c, --stats, --rate,\n"
    "--thresholds, --persistent-conn, --tun-info, --exact, --sort, --timeout; -Z;\n"
    "--set tcp tcpfin udp. Invoked as ipvsadm, -h prints ipvsadm's own help.";

bool known_command(std::string_view word) {
  for (const CommandSpec& spec : kCommands) {
    if (spec.name == word) return true;
  }
  return false;
}

// The first word that is neither an option nor the value of -S/--socket:
// where the subcommand should be.
std::optional<std::string> first_word(const std::vector<std::string>& argv) {
  for (std::size_t i = 1; i < argv.size(); ++i) {
    if (argv[i] == "-S" || argv[i] == "--socket") {
      ++i;
    } else if (argv[i].empty() || argv[i][0] != '-') {
      return argv[i];
    }
  }
  return std::nullopt;
}

}  // namespace

std::span<const CommandSpec> commands() {
  return kCommands;
}

std::vector<std::pair<const CLI::App*, const CommandSpec*>> declare_own_dialect(CLI::App& app,
                                                                                Globals& globals,
                                                                                Arguments& args) {
  app.name("lbctl");
  app.footer(kFooter);
  app.require_subcommand(1);
  // Global options are accepted after the subcommand too (`lbctl stats --json`).
  app.fallthrough();
  app.set_version_flag("--version", std::string("lbctl ") + LBCTL_VERSION);

  globals.socket = ctl::kDefaultSocketPath;
  app.add_option("-S,--socket", globals.socket, "lbd's control socket")
      ->envname("LBD_SOCKET")
      ->capture_default_str()
      ->type_name("PATH");
  app.add_flag("--json", globals.json, "Print lbd's result as JSON");

  std::vector<std::pair<const CLI::App*, const CommandSpec*>> subcommands;
  for (const CommandSpec& spec : kCommands) {
    CLI::App* sub = app.add_subcommand(std::string(spec.name), std::string(spec.summary));
    if (spec.declare != nullptr) spec.declare(*sub, args);
    subcommands.emplace_back(sub, &spec);
  }
  return subcommands;
}

int run_own_dialect(std::vector<std::string> argv) {
  CLI::App app{"lbctl: control and inspect lbd, the DPDK L4 load balancer"};
  Globals globals;
  Arguments arguments;
  const auto subcommands = declare_own_dialect(app, globals, arguments);

  // CLI11 wants the arguments after the program name, last one first.
  std::vector<std::string> reversed(argv.rbegin(), argv.rend() - 1);
  try {
    app.parse(reversed);
  } catch (const CLI::CallForVersion& e) {
    std::cout << e.what() << '\n';
    return kExitOk;
  } catch (const CLI::Success& e) {  // --help
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (const auto word = first_word(argv); word && !known_command(*word)) {
      std::cerr << fmt::format("lbctl: unknown command '{}'\nRun 'lbctl --help' for usage.\n",
                               *word);
      return kExitUsage;
    }
    std::cerr << fmt::format("lbctl: {}\nRun 'lbctl --help' for usage.\n", e.what());
    return kExitUsage;
  }
  for (const auto& [sub, spec] : subcommands) {
    if (sub->parsed()) return run(*spec, globals, arguments);
  }
  return kExitUsage;  // unreachable: require_subcommand(1)
}

}  // namespace lb::lbctl
