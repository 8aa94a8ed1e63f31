// The control socket's `lookup`: which real server a flow gets, from the
// live snapshot and connection table, in the order a worker decides it: an
// existing connection, then the service (a firewall-mark rule first), a
// persistence template, and the scheduler.
//
// Read-only: nothing is created and no scheduler moves (Scheduler::peek).
// Control thread only.
#pragma once

#include <nlohmann/json.hpp>

#include <lb/dataplane/dataplane.h>

namespace lb::daemon {

// args: {"protocol": "tcp"|"udp", "client": "A.B.C.D", "client_port": N,
//        "vip": "A.B.C.D", "port": N}
// -> {"decided_by": "connection"|"template"|"scheduler"|"none", "service": ...,
//     "real_server": {"address","port"} (absent when none or unpredictable), ...}.
// Throws ctl::CtlError bad_request naming the bad argument.
nlohmann::json lookup_json(const dataplane::Dataplane& dp, const nlohmann::json& args);

}  // namespace lb::daemon
