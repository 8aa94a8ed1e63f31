// Giving the data plane a configuration: the one place where the running
// configuration and the health verdicts meet.
//
// Every change of the running configuration (reload, live edit, run-time
// setting) and every change of a verdict goes through here, so the data
// plane always runs scheduling_config(running, verdicts) and a verdict is
// applied within one snapshot publication. Control thread only.
#pragma once

#include <lb/config/model.h>

#include "control_api.h"

namespace lb::daemon {

// Makes `next` the data plane's configuration, with the current verdicts
// applied, and checks its real servers from then on. All or nothing: throws
// std::invalid_argument (a check that cannot run, or the data plane's
// refusal) with nothing changed. The caller then makes `next` ctx.config.
void publish(ControlContext& ctx, const config::Config& next);

// After verdicts changed: the running configuration again, with the new
// verdicts. Logs (never throws) when the data plane refuses it.
void republish(ControlContext& ctx) noexcept;

}  // namespace lb::daemon
