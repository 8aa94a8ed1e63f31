// The control socket's commands: JSON views of the running data plane, as
// documented in lib/ctl (status, services, stats).
//
// Control thread only.
#pragma once

#include <chrono>

#include <lb/config/model.h>
#include <lb/ctl/dispatcher.h>
#include <lb/dataplane/dataplane.h>

namespace lb::daemon {

struct ControlContext {
  const dataplane::Dataplane& dataplane;
  const config::Config& config;
  std::chrono::steady_clock::time_point started;
};

// Registers every command lbd serves.
void register_commands(ctl::Dispatcher& dispatcher, const ControlContext& ctx);

nlohmann::json status_json(const ControlContext& ctx);
nlohmann::json services_json(const dataplane::Dataplane& dp);
nlohmann::json stats_json(const dataplane::Dataplane& dp);

}  // namespace lb::daemon
