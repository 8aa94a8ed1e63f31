// Traffic counters and rates on the control socket: the `stats`/`rates`
// objects of `services` entries and of `stats`, and `zero` (`ipvsadm -Z`).
//
// Control thread only.
#pragma once

#include <nlohmann/json.hpp>

#include <lb/config/model.h>
#include <lb/dataplane/dataplane.h>
#include <lb/stats/traffic.h>

namespace lb::daemon {

// {"conns","inpkts","outpkts","inbytes","outbytes"}
nlohmann::json traffic_json(const stats::Traffic& t);
// {"cps","inpps","outpps","inbps","outbps"}, per second (bps: bytes).
nlohmann::json rates_json(const stats::Rates& r);

// args: {} zeroes every counter and rate; {"service": SELECTOR} one
// service's and its real servers' (SELECTOR as in `edit`). Throws
// ctl::CtlError no_service / bad_request.
nlohmann::json zero(dataplane::Dataplane& dp, const config::Config& running,
                    const nlohmann::json& args);

}  // namespace lb::daemon
