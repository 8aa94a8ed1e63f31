// Run-time settings of the connection table, the counterpart of IPVS's
// sysctls and `ipvsadm --set`: per-state timeouts and expire_nodest_conn.
//
// `set` changes the running configuration (a new snapshot: established
// connections take a new timeout at their next packet, as the kernel's do)
// without touching the file. A reload applies what the file changed since it
// was last read and keeps the run-time value of every setting the file left
// as it was - as IPVS keeps its sysctls when services change - so editing a
// service in the file never undoes an `ipvsadm --set`.
// Control thread only.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "control_api.h"

namespace lb::daemon {

// {"expire_nodest_conn": bool, "timeouts": {"none": s, ..., "udp": s, "icmp": s}}
nlohmann::json settings_json(const config::Config& cfg);

// args: any of {"expire_nodest_conn": bool, "timeouts": {name: seconds}}.
// All or nothing: every argument is checked before anything changes; throws
// ctl::CtlError (bad_request) naming the first bad one. Returns the new
// settings_json.
nlohmann::json apply_settings(ControlContext& ctx, const nlohmann::json& args);

// For a reload: puts into `next` (the file just read) the running value of
// every setting whose file value is the same in `previous_file` and `next`,
// and returns their names ("timeouts.established") where that differs from
// the file.
std::vector<std::string> keep_run_time_settings(const config::Config& previous_file,
                                                const config::Config& running,
                                                config::Config& next);

}  // namespace lb::daemon
