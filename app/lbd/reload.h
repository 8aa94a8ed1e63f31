// Reloading the configuration file while lbd runs.
//
// Services, firewall-mark rules, connection timeouts and static neighbours
// change live: a new snapshot is published and established connections
// continue. Everything else (ports, lcores, memory, table sizes, the control
// socket, the metrics endpoint) is fixed when lbd starts; a file that changes
// it is refused with the list of what would need a restart. Control thread
// only.
#pragma once

#include <string>
#include <vector>

#include <lb/config/model.h>

namespace lb::daemon {

// What differs between the running and the new configuration that a reload
// cannot apply, as "ports[0].address" style field names; empty when none.
std::vector<std::string> needs_restart(const config::Config& running, const config::Config& next);

}  // namespace lb::daemon
