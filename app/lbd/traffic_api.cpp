#include "traffic_api.h"

#include <spdlog/spdlog.h>

#include <lb/config/edit.h>
#include <lb/ctl/protocol.h>

namespace lb::daemon {

using nlohmann::json;

json traffic_json(const stats::Traffic& t) {
  return {{"conns", t.conns},
          {"inpkts", t.inpkts},
          {"outpkts", t.outpkts},
          {"inbytes", t.inbytes},
          {"outbytes", t.outbytes}};
}

json rates_json(const stats::Rates& r) {
  return {{"cps", r.cps},
          {"inpps", r.inpps},
          {"outpps", r.outpps},
          {"inbps", r.inbps},
          {"outbps", r.outbps}};
}

json zero(dataplane::Dataplane& dp, const config::Config& running, const json& args) {
  if (!args.is_object()) throw ctl::CtlError("bad_request", "args must be an object");
  for (const auto& [key, value] : args.items()) {
    if (key != "service") {
      throw ctl::CtlError("bad_request", "zero: unknown field \"" + key + "\", expected: service");
    }
  }
  if (!args.contains("service")) {
    dp.zero_traffic();
    spdlog::info("traffic counters zeroed");
    return {{"zeroed", "all"}};
  }
  const auto found = config::find_service(running, args["service"]);
  if (found.error) throw ctl::CtlError(found.error->code, found.error->message);
  dp.zero_traffic(dataplane::traffic_key(*found.service));
  const std::string label = config::service_label(*found.service);
  spdlog::info("traffic counters of service {} zeroed", label);
  return {{"zeroed", label}};
}

}  // namespace lb::daemon
