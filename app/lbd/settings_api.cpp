#include "settings_api.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <lb/conn/tcp_state.h>
#include <lb/ctl/protocol.h>

#include "publish.h"

namespace lb::daemon {

namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& message) {
  throw ctl::CtlError(ctl::errc::kBadRequest, message);
}

}  // namespace

json settings_json(const config::Config& cfg) {
  json timeouts = json::object();
  for (size_t i = 0; i < conn::kTimeoutNames.size(); ++i)
    timeouts[std::string(conn::kTimeoutNames[i])] = cfg.connections.timeouts.by_index(i) / 1000;
  return {{"expire_nodest_conn", cfg.connections.expire_nodest_conn},
          {"timeouts", std::move(timeouts)}};
}

json apply_settings(ControlContext& ctx, const json& args) {
  config::Config next = ctx.config;
  std::vector<std::string> changes;
  for (const auto& [key, value] : args.items()) {
    if (key == "expire_nodest_conn") {
      if (!value.is_boolean()) bad("args.expire_nodest_conn: expected true or false");
      next.connections.expire_nodest_conn = value.get<bool>();
      changes.push_back(fmt::format("expire_nodest_conn={}", value.get<bool>()));
    } else if (key == "timeouts") {
      if (!value.is_object()) bad("args.timeouts: expected an object of timeouts in seconds");
      for (const auto& [name, seconds] : value.items()) {
        const auto* it = std::find(conn::kTimeoutNames.begin(), conn::kTimeoutNames.end(), name);
        if (it == conn::kTimeoutNames.end()) {
          bad(fmt::format("args.timeouts.{}: unknown timeout, expected one of: {}", name,
                          fmt::join(conn::kTimeoutNames, ", ")));
        }
        if (!seconds.is_number_unsigned() || seconds.get<uint64_t>() < 1 ||
            seconds.get<uint64_t>() > conn::kMaxTimeoutS) {
          bad(fmt::format("args.timeouts.{}: expected seconds 1..{}, got {}", name,
                          conn::kMaxTimeoutS, seconds.dump()));
        }
        next.connections.timeouts.by_index(static_cast<size_t>(it - conn::kTimeoutNames.begin())) =
            static_cast<uint32_t>(seconds.get<uint64_t>() * 1000);
        changes.push_back(fmt::format("timeouts.{}={}", name, seconds.get<uint64_t>()));
      }
    } else {
      bad(fmt::format("args.{}: unknown setting, expected expire_nodest_conn or timeouts", key));
    }
  }
  if (!changes.empty()) {
    try {
      publish(ctx, next);
    } catch (const std::invalid_argument& e) {
      throw ctl::CtlError("rejected", fmt::format("{}; nothing was changed", e.what()));
    }
    ctx.config = std::move(next);
    spdlog::info("settings changed: {}", fmt::join(changes, " "));
  }
  return settings_json(ctx.config);
}

std::vector<std::string> keep_run_time_settings(const config::Config& previous_file,
                                                const config::Config& running,
                                                config::Config& next) {
  std::vector<std::string> kept;
  auto& to = next.connections;
  const auto& was = previous_file.connections;
  const auto& now = running.connections;
  for (size_t i = 0; i < conn::kTimeoutNames.size(); ++i) {
    if (to.timeouts.by_index(i) == was.timeouts.by_index(i) &&
        now.timeouts.by_index(i) != was.timeouts.by_index(i)) {
      to.timeouts.by_index(i) = now.timeouts.by_index(i);
      kept.push_back(fmt::format("timeouts.{}", conn::kTimeoutNames[i]));
    }
  }
  if (to.expire_nodest_conn == was.expire_nodest_conn &&
      now.expire_nodest_conn != was.expire_nodest_conn) {
    to.expire_nodest_conn = now.expire_nodest_conn;
    kept.emplace_back("expire_nodest_conn");
  }
  return kept;
}

}  // namespace lb::daemon
