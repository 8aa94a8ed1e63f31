// The health-check options of lbctl's live edits: `--check TYPE` and the
// check's settings for `service add|edit` and `real add|edit`, and a
// service's `--on-failure`, `--sorry` and `--no-sorry`. They become the
// `health`, `sorry_server` and `check` fields of the `edit` request, in the
// YAML's own names and units (conf/README.md, `services`); lbd checks the
// values, lbctl only what the options themselves say (a duration's unit,
// options that contradict each other).
#pragma once

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include <CLI/CLI.hpp>

#include "commands.h"

namespace lb::lbctl {

// --check TYPE, the check's settings and --no-check; `service`: the
// service's check (otherwise a real server's own).
void declare_check_options(CLI::App& cmd, CheckArguments& args, bool service);
// --on-failure, --sorry, --sorry-forward, --no-sorry (services only).
void declare_service_health_options(CLI::App& cmd, HealthArguments& args);

// The `check` value for the request: null for --no-check, an object, or
// nothing when no check option was given. `adding`: the service or real
// server is new, so settings without --check have no check to change.
// Throws UsageError.
std::optional<nlohmann::json> check_value(const CheckArguments& args, bool adding);
// Adds `health` and `sorry_server` to a service's fields as the options say.
void add_service_health(const HealthArguments& args, bool adding, nlohmann::json& fields);

// "2s", "500ms", "1m" as milliseconds; a number without a unit is refused
// (seconds or milliseconds? the file's keys say _ms, ipvsadm's say seconds).
uint32_t parse_duration_ms(std::string_view text, std::string_view option);

}  // namespace lb::lbctl
