// Helpers for the config tests: load YAML text under a fixed file name and
// look at the errors the way an operator reads them (ConfigError::to_string).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <lb/config/load.h>
#include <lb/sched/scheduler.h>

namespace lb::test {

// The shipped examples (conf/), an absolute path set by meson.
inline const std::filesystem::path kConfDir{LB_CONF_DIR};

inline config::LoadResult load(std::string_view yaml) {
  return config::load_string(yaml, "t.yaml");
}

inline std::vector<std::string> error_lines(const config::LoadResult& result) {
  std::vector<std::string> lines;
  for (const auto& e : result.errors)
    lines.push_back(e.to_string());
  return lines;
}

// The errors of `yaml`, which must not yield a config.
inline std::vector<std::string> errors_of(std::string_view yaml) {
  const auto result = load(yaml);
  if (result.config) return {"<config loaded>"};
  return error_lines(result);
}

// A valid file's first lines: one port on 198.18.1.0/24. Tests append
// sections after it; its `ports` list ends on line 5.
inline constexpr std::string_view kOnePort =
    "ports:\n"
    "  - name: ext\n"
    "    device: net_null0\n"
    "    address: 198.18.1.1/24\n"
    "    gateway: 198.18.1.254\n";

inline std::string with_port(std::string_view rest) {
  return std::string(kOnePort) + std::string(rest);
}

// "dh, fo, lblc, ...": the registry's schedulers as the unknown-scheduler
// message lists them (the registry, not a copy, is the list of names).
inline std::string scheduler_list() {
  std::string out;
  for (const auto& info : sched::schedulers()) {
    if (!out.empty()) out += ", ";
    out += info.name;
  }
  return out;
}

}  // namespace lb::test
