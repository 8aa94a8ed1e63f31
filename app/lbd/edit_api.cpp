#include "edit_api.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <lb/config/edit.h>
#include <lb/ctl/protocol.h>

namespace lb::daemon {

namespace {

using nlohmann::json;

json real_json(const sched::RealServerSpec& real) {
  return {{"address", real.addr.to_string()},
          {"port", real.port},
          {"forward", sched::to_string(real.forward)},
          {"weight", real.weight},
          {"upper_threshold", real.upper_threshold},
          {"lower_threshold", real.lower_threshold},
          {"enabled", real.enabled}};
}

// A service in the `edit` request's own form, so that a script can read,
// change and send it back.
json service_json(const sched::ServiceSpec& service) {
  json out = json::object();
  if (service.fwmark != 0) {
    out["fwmark"] = service.fwmark;
  } else {
    out["protocol"] = sched::to_string(service.protocol);
    out["vip"] = service.vip.to_string();
    out["port"] = service.port;
  }
  out["scheduler"] = service.scheduler;
  out["sched_flags"] = sched::sched_flag_names(service.scheduler, service.sched_flags);
  out["persistent"] = service.persistence ? service.persistence->timeout_s : 0;
  if (service.persistence) out["netmask"] = service.persistence->netmask.to_string();
  out["one_packet"] = service.one_packet;
  out["quiesce_server"] = service.quiesce_server;
  out["enabled"] = service.enabled;
  json reals = json::array();
  for (const auto& real : service.real_servers)
    reals.push_back(real_json(real));
  out["real_servers"] = std::move(reals);
  return out;
}

}  // namespace

json edit(ControlContext& ctx, const json& args) {
  for (const auto& [key, value] : args.items()) {
    if (key != "ops") {
      throw ctl::CtlError(ctl::errc::kBadRequest,
                          fmt::format("edit: unknown argument \"{}\", expected: ops", key));
    }
  }
  const auto it = args.find("ops");
  if (it == args.end()) throw ctl::CtlError(ctl::errc::kBadRequest, "edit: \"ops\" is missing");
  config::Config next = ctx.config;
  if (auto error = config::apply_edits(next, *it)) {
    throw ctl::CtlError(error->code, error->message + "; nothing was changed");
  }
  if (const auto errors = config::check(next); !errors.empty()) {
    std::vector<std::string> lines;
    for (const auto& e : errors)
      lines.push_back(e.field.empty() ? e.message : e.field + ": " + e.message);
    throw ctl::CtlError("invalid", fmt::format("{}; nothing was changed", fmt::join(lines, "\n")));
  }
  try {
    ctx.dataplane.reload(next);
  } catch (const std::invalid_argument& e) {
    throw ctl::CtlError("rejected", fmt::format("{}; nothing was changed", e.what()));
  }
  ctx.config = std::move(next);
  ctx.unsaved_edits = true;
  for (const auto& op : *it)
    spdlog::info("live edit: {}", op.dump());
  return {{"applied", it->size()}, {"services", ctx.config.services.size()}};
}

json config_json(const ControlContext& ctx) {
  json services = json::array();
  for (const auto& service : ctx.config.services)
    services.push_back(service_json(service));
  return {{"config_path", ctx.config_path},
          {"unsaved_edits", ctx.unsaved_edits},
          {"services", std::move(services)}};
}

}  // namespace lb::daemon
