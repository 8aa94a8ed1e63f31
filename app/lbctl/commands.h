// lbctl's own dialect: one table of subcommands that drives parsing, help
// and (later) shell completion.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "globals.h"

namespace lb::lbctl {

struct CommandSpec {
  std::string_view name;
  std::string_view summary;
  // The lbd command whose result is shown; empty for commands lbctl answers
  // itself.
  std::string_view rpc;
  // Human form of the result (rpc commands) ...
  std::string (*render)(const nlohmann::json& result) = nullptr;
  // ... or the whole command (local ones).
  int (*run_local)(const Globals& globals) = nullptr;
};

std::span<const CommandSpec> commands();

// Parses argv (lbctl's own dialect) and runs the command; returns the exit
// status.
int run_own_dialect(std::vector<std::string> argv);

}  // namespace lb::lbctl
