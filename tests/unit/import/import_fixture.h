// The import tests' helpers: the sample files, and each importer's result
// as lines that show which field differs, the YAML loaded back.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <lb/config/health.h>
#include <lb/config/load.h>
#include <lb/import/formats.h>

// A failed comparison of diagnostics shows each one, not "{?}".
template <>
struct Catch::StringMaker<std::pair<int, std::string>> {
  static std::string convert(const std::pair<int, std::string>& d) {
    return fmt::format("{{{}, \"{}\"}}", d.first, d.second);
  }
};

namespace lb::test {

using lb::import::Imported;
using lb::sched::MarkRule;
using lb::sched::ServiceSpec;
using Lines = std::vector<std::string>;
using Diagnostics = std::vector<std::pair<int, std::string>>;

inline const std::filesystem::path kData{LB_IMPORT_DATA};

inline std::string read(const std::string& name) {
  std::ifstream in(kData / name, std::ios::binary);
  REQUIRE(in);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline Diagnostics diagnostics(const std::vector<lb::import::Warning>& list) {
  Diagnostics out;
  for (const auto& w : list)
    out.emplace_back(w.line, w.message);
  return out;
}

// Every field in one line each, so that a difference shows which one.
inline Lines dump(const std::vector<ServiceSpec>& services) {
  Lines out;
  for (const auto& s : services) {
    out.push_back(fmt::format(
        "fwm={} {} {}:{} sched={} flags={} persist={} ops={} quiesce={} en={}", s.fwmark,
        lb::sched::to_string(s.protocol), s.vip.to_string(), s.port, s.scheduler, s.sched_flags,
        s.persistence
            ? fmt::format("{}/{}", s.persistence->timeout_s, s.persistence->netmask.to_string())
            : "none",
        s.one_packet, s.quiesce_server, s.enabled));
    for (const auto& r : s.real_servers) {
      out.push_back(fmt::format("  {}:{} w={} fwd={} x={} y={} en={}", r.addr.to_string(), r.port,
                                r.weight, lb::sched::to_string(r.forward), r.upper_threshold,
                                r.lower_threshold, r.enabled));
    }
  }
  return out;
}

// Each service's health settings and its real servers' own checks, one
// line each, in describe_check's words.
inline Lines dump_health(const std::vector<ServiceSpec>& services) {
  Lines out;
  for (const auto& s : services) {
    out.push_back(fmt::format(
        "{} check={} on_failure={} sorry={}",
        s.fwmark != 0
            ? fmt::format("fwm={}", s.fwmark)
            : fmt::format("{} {}:{}", lb::sched::to_string(s.protocol), s.vip.to_string(), s.port),
        s.health.check ? lb::config::describe_check(*s.health.check) : "none",
        lb::config::on_failure_name(s.health.on_failure),
        s.sorry_server
            ? fmt::format("{}:{}/{}", s.sorry_server->addr.to_string(), s.sorry_server->port,
                          lb::sched::to_string(s.sorry_server->forward))
            : "none"));
    for (const auto& r : s.real_servers) {
      if (r.check) {
        out.push_back(fmt::format("  {}:{} check={}", r.addr.to_string(), r.port,
                                  lb::config::describe_check(*r.check)));
      }
    }
  }
  return out;
}

inline Lines dump(const std::vector<MarkRule>& rules) {
  Lines out;
  for (const auto& r : rules) {
    out.push_back(fmt::format("mark={} proto={} dst={} ports={}-{}", r.mark,
                              r.protocol ? lb::sched::to_string(*r.protocol) : "any",
                              r.destination.to_string(), r.port_min, r.port_max));
  }
  return out;
}

// The YAML of `imported`, below `prefix` (what the operator adds), loaded.
inline lb::config::Config load_with(const Imported& imported, const std::string& name,
                                    const std::string& prefix) {
  const auto* format = lb::import::find_format(name);
  REQUIRE(format != nullptr);
  const std::string yaml = prefix + lb::import::render_yaml(imported, "sample", *format);
  const auto result = lb::config::load_string(yaml, "imported.yaml");
  Lines errors;
  for (const auto& e : result.errors)
    errors.push_back(e.to_string());
  INFO(yaml);
  CHECK(errors == Lines{});
  REQUIRE(result.config);
  return *result.config;
}

}  // namespace lb::test
