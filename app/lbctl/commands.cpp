#include "commands.h"

#include <array>
#include <iostream>
#include <optional>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <lb/ctl/report.h>

namespace lb::lbctl {

namespace {

int print_version(const Globals& globals) {
  if (globals.json) {
    print_json({{"lbctl", LBCTL_VERSION}});
  } else {
    std::cout << "lbctl " << LBCTL_VERSION << '\n';
  }
  return kExitOk;
}

const std::array kCommands = {
    CommandSpec{"status", "Show lbd's version, uptime, workers and ports", "status",
                &ctl::format_status},
    CommandSpec{"stats", "Show traffic, drop counters by name, ports and the connection table",
                "stats", &ctl::format_stats},
    CommandSpec{"services", "Show virtual services and their real servers", "services",
                &ctl::format_services},
    CommandSpec{"reload",
                "Re-read lbd's configuration file and apply its services, firewall-mark rules and "
                "timeouts (all or nothing; established connections continue)",
                "reload", &ctl::format_reload},
    CommandSpec{"version", "Show lbctl's version", "", nullptr, &print_version},
};

int run(const CommandSpec& spec, const Globals& globals) {
  if (spec.run_local != nullptr) return spec.run_local(globals);
  const auto result = call_lbd(globals, std::string(spec.rpc));
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

constexpr const char* kFooter =
    "ipvsadm dialect: when the first argument after lbctl's global options is an option\n"
    "(other than -h/--help/--version), lbctl reads the rest as ipvsadm 1.31 would and\n"
    "prints what ipvsadm prints, e.g. `lbctl -Ln`. Invoked as `ipvsadm` (a symlink to\n"
    "lbctl) it speaks only that dialect, with the socket from $LBD_SOCKET. Supported\n"
    "so far: -L/-l/--list with -n/--numeric, --thresholds, --persistent-conn (and\n"
    "--exact, --sort).";

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

int run_own_dialect(std::vector<std::string> argv) {
  CLI::App app{"lbctl: control and inspect lbd, the DPDK L4 load balancer"};
  app.name("lbctl");
  app.footer(kFooter);
  app.require_subcommand(1);
  // Global options are accepted after the subcommand too (`lbctl stats --json`).
  app.fallthrough();
  app.set_version_flag("--version", std::string("lbctl ") + LBCTL_VERSION);

  Globals globals;
  globals.socket = ctl::kDefaultSocketPath;
  app.add_option("-S,--socket", globals.socket, "lbd's control socket")
      ->envname("LBD_SOCKET")
      ->capture_default_str();
  app.add_flag("--json", globals.json, "Print lbd's result as JSON");

  std::vector<std::pair<const CLI::App*, const CommandSpec*>> subcommands;
  for (const CommandSpec& spec : kCommands) {
    subcommands.emplace_back(app.add_subcommand(std::string(spec.name), std::string(spec.summary)),
                             &spec);
  }

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
    if (sub->parsed()) return run(*spec, globals);
  }
  return kExitUsage;  // unreachable: require_subcommand(1)
}

}  // namespace lb::lbctl
