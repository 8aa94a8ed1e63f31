// The control socket's commands: JSON views of the running data plane, as
// documented in lib/ctl (status, services, stats), and reload.
//
// Control thread only.
#pragma once

#include <chrono>
#include <string>

#include <lb/config/model.h>
#include <lb/ctl/dispatcher.h>
#include <lb/dataplane/dataplane.h>

#include "health_control.h"

namespace lb::daemon {

struct ControlContext {
  dataplane::Dataplane& dataplane;
  HealthControl& health;  // the checks of `config`'s real servers, and their verdicts
  std::string config_path;
  // The running configuration, as configured: the data plane runs it with
  // the health verdicts applied (publish.h).
  config::Config config;
  std::chrono::steady_clock::time_point started;
  // What the file said at the last (re)load: run-time settings (`set`) that
  // a reload's file does not change are kept (see settings_api.h).
  config::Config file;
  // Live edits (`edit`) since the last load or `save`: a reload from the file
  // discards them, and says so.
  bool unsaved_edits = false;
};

// Registers every command lbd serves.
void register_commands(ctl::Dispatcher& dispatcher, ControlContext& ctx);

nlohmann::json status_json(const ControlContext& ctx);
nlohmann::json services_json(const dataplane::Dataplane& dp);
nlohmann::json stats_json(const dataplane::Dataplane& dp);
// The Prometheus page (lib/metrics) from the three objects above, so that it
// shows what `lbctl --json status/services/stats` would at this moment.
std::string metrics_page(const ControlContext& ctx);
// Re-reads the configuration file and applies it (see reload.h). Throws
// ctl::CtlError: invalid_config (every error, one per line),
// restart_required, or rejected.
nlohmann::json reload(ControlContext& ctx);

}  // namespace lb::daemon
