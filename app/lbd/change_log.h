// The log of what changes the running configuration: every control request
// and SIGHUP reload that changed services, real servers, firewall marks or
// static neighbours logs one line per change (see config::describe_changes),
// and a refused one logs why. These reach syslog/the journal with the rest.
//
// Control thread only.
#pragma once

#include <string_view>

#include <lb/config/model.h>
#include <lb/ctl/dispatcher.h>
#include <lb/ctl/server.h>

#include "control_api.h"

namespace lb::daemon {

// Logs `before` -> `after`'s changes, each line prefixed by `cause`.
void log_changes(std::string_view cause, const config::Config& before, const config::Config& after);

// The ControlServer's handler: `dispatcher` with every request that may
// change the configuration logged. `ctx` is null until the data plane
// exists (requests are then only dispatched).
ctl::ControlServer::Handler logged_handler(const ctl::Dispatcher& dispatcher,
                                           const ControlContext* const& ctx);

}  // namespace lb::daemon
