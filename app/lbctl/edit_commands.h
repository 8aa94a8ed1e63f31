// lbctl's live-edit commands: service and real server add/edit/delete,
// weight, drain, enable/disable, and lookup, save and config; each sends
// lbd's `edit` (or `lookup`, `save`, `config`) request. Declared here, listed
// in commands.cpp.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "commands.h"

namespace lb::lbctl {

void declare_service(CLI::App& sub, Arguments& args);
int run_service(const Globals& globals, const Arguments& args);
void declare_real(CLI::App& sub, Arguments& args);
int run_real(const Globals& globals, const Arguments& args);

void declare_weight(CLI::App& sub, Arguments& args);
int run_weight(const Globals& globals, const Arguments& args);
void declare_drain(CLI::App& sub, Arguments& args);
int run_drain(const Globals& globals, const Arguments& args);
void declare_enable(CLI::App& sub, Arguments& args);
int run_enable(const Globals& globals, const Arguments& args);
int run_disable(const Globals& globals, const Arguments& args);

void declare_lookup(CLI::App& sub, Arguments& args);
nlohmann::json lookup_request(const Arguments& args);
std::string format_lookup(const nlohmann::json& result);
void declare_save(CLI::App& sub, Arguments& args);
nlohmann::json save_request(const Arguments& args);
std::string format_save(const nlohmann::json& result);
std::string format_config(const nlohmann::json& result);

}  // namespace lb::lbctl
