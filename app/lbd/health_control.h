// Running the configuration's health checks: the health::Monitor thread, the
// numbering of its targets, the verdicts it reaches and what lbctl and the
// metrics see of them.
//
// The verdicts never change the configuration (lbctl config and lbctl save
// show what the operator wrote): scheduling() applies them to a
// configuration to give what the data plane runs (config/health_plan.h).
//
// Control thread only; the Monitor's own thread runs the probes.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include <lb/config/health_plan.h>
#include <lb/config/model.h>
#include <lb/health/monitor.h>

namespace lb::daemon {

class HealthControl {
 public:
  // Starts the Monitor's thread, with nothing to check.
  HealthControl();

  // Readable when verdicts may have changed: call take_events().
  int event_fd() const noexcept { return monitor_.event_fd(); }

  // Throws std::invalid_argument, one line per error, when a check of
  // `config` cannot run; changes nothing.
  void validate(const config::Config& config) const;
  // What the data plane runs for `config`: its checked servers' verdicts
  // applied (servers `config` does not check are as configured).
  config::Config scheduling(const config::Config& config) const;
  // Checks `config`'s real servers from now on. A server checked before
  // keeps its state (also when its check changed); a new one starts unknown.
  // Call after validate() and once the data plane runs scheduling(config).
  void set_config(const config::Config& config);

  // Takes the Monitor's transitions, logs each with its reason, and returns
  // true when scheduling changed (a server went down or came back from down:
  // the data plane must then be given scheduling() of the running
  // configuration again).
  bool take_events();
  // Logs what the data plane now runs because of the verdicts: a sorry
  // server taking over or handing back, once per change.
  void log_sorry_servers(const config::Config& scheduled);

  // The `health` request's result: every checked real server with its
  // check, state, streaks, last result and latency.
  nlohmann::json status_json() const;

 private:
  struct Checked {
    config::CheckedServer server;
    uint64_t state_since_ms = 0;  // steady clock; 0: since it was added
  };

  health::Monitor monitor_;
  uint64_t next_id_ = 1;
  std::map<config::ServerKey, uint64_t> ids_;
  std::unordered_map<uint64_t, Checked> checked_;  // by target id
  std::vector<uint64_t> order_;                    // ids in configuration order
  config::Verdicts verdicts_;                      // kUp / kDown; absent: unknown
  std::set<config::ServerKey> sorry_active_;       // sorry servers now scheduled
};

}  // namespace lb::daemon
