// lbctl's own dialect: one table of subcommands that drives parsing, help
// and shell completion (completion_command.h).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "globals.h"

namespace CLI {
class App;
}

namespace lb::lbctl {

// The health-check options of `service add|edit` and `real add|edit`
// (check_options.h), kept apart from `fields` until the command runs: they
// combine into one `check` object, and conflicting ones are refused then.
struct CheckArguments {
  std::optional<std::string> type;  // --check TYPE: a new check
  // The check's other options as given ("--interval", "2s"), converted when
  // the command runs so that a bad value is a usage error naming its option.
  std::vector<std::pair<std::string, std::string>> options;
  bool none = false;  // --no-check
};

struct HealthArguments {
  CheckArguments check;
  std::optional<std::string> on_failure;     // --on-failure
  std::optional<std::string> sorry;          // --sorry ADDRESS[:PORT]
  std::optional<std::string> sorry_forward;  // --sorry-forward METHOD
  bool no_sorry = false;                     // --no-sorry
};

// What the subcommands' own options and arguments parse into.
struct Arguments {
  std::optional<std::string> service;    // connections --service
  std::vector<std::string> assignments;  // set KEY=VALUE...
  // The live-edit commands (edit_commands.h): the sub-action (add, edit,
  // delete), positionals, and the settings given as options, in the `edit`
  // request's own field names.
  std::string action;
  std::vector<std::string> words;
  nlohmann::json fields = nlohmann::json::object();
  HealthArguments health;
  // import [--from FORMAT] FILE [-o OUT]
  std::optional<std::string> import_from;
  std::string import_file;
  std::optional<std::string> import_output;
};

struct CommandSpec {
  std::string_view name;
  std::string_view summary;
  // The lbd command whose result is shown; empty for commands lbctl answers
  // itself.
  std::string_view rpc;
  // Human form of the result.
  std::string (*render)(const nlohmann::json& result) = nullptr;
  // The subcommand's own options and positionals, bound to `args`; null for
  // none.
  void (*declare)(CLI::App& sub, Arguments& args) = nullptr;
  // The args sent with `rpc`, from what was parsed; null sends none. May
  // throw UsageError: the command then ends before lbd is contacted.
  nlohmann::json (*request)(const Arguments& args) = nullptr;
  // The whole command instead of one call and `render`: commands lbctl
  // answers itself, and those that take several calls. May throw UsageError.
  int (*run)(const Globals& globals, const Arguments& args) = nullptr;
};

// A subcommand's arguments are wrong: exit 2 with what() and the hint.
class UsageError : public std::invalid_argument {
 public:
  UsageError(const std::string& message, std::string hint = {})
      : std::invalid_argument(message), hint_(std::move(hint)) {}
  const std::string& hint() const noexcept { return hint_; }

 private:
  std::string hint_;
};

std::span<const CommandSpec> commands();

// lbctl's own dialect on `app`: its global options bound to `globals`, one
// subcommand per entry of commands() with its options bound to `args`.
// Returns each subcommand beside its entry. Parsing and the completion
// script both start here, so neither can know a command the other does not.
std::vector<std::pair<const CLI::App*, const CommandSpec*>> declare_own_dialect(CLI::App& app,
                                                                                Globals& globals,
                                                                                Arguments& args);

// Parses argv (lbctl's own dialect) and runs the command; returns the exit
// status.
int run_own_dialect(std::vector<std::string> argv);

}  // namespace lb::lbctl
