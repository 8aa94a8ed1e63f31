#include "control_api.h"

#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <lb/config/load.h>
#include <lb/metrics/render.h>
#include <lb/sched/model.h>

#include "connections_api.h"
#include "edit_api.h"
#include "lookup_api.h"
#include "publish.h"
#include "reload.h"
#include "settings_api.h"
#include "traffic_api.h"

namespace lb::daemon {

using nlohmann::json;

json status_json(const ControlContext& ctx) {
  const auto& dp = ctx.dataplane;
  json ports = json::array();
  for (size_t i = 0; i < dp.ports().size(); ++i) {
    const auto& p = dp.ports()[i];
    json port = {{"name", p.name},
                 {"device", p.device},
                 {"mac", p.mac.to_string()},
                 {"address", p.address.to_string()},
                 {"mtu", p.mtu},
                 {"link_up", dp.port_stats(i).link_up}};
    if (p.gateway) port["gateway"] = p.gateway->to_string();
    if (!p.tap_name.empty()) port["exception_interface"] = p.tap_name;
    ports.push_back(std::move(port));
  }
  const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::steady_clock::now() - ctx.started);
  return {{"version", LBD_VERSION},
          {"pid", static_cast<int64_t>(getpid())},
          {"uptime_s", uptime.count()},
          {"workers", std::vector<uint32_t>(dp.worker_lcores().begin(), dp.worker_lcores().end())},
          {"ports", std::move(ports)},
          {"services", dp.snapshot().services.services().size()}};
}

json services_json(const dataplane::Dataplane& dp) {
  const stats::TrafficBook& book = dp.traffic();
  const auto service_traffic = book.services();
  json services = json::array();
  for (const auto& svc : dp.snapshot().services.services()) {
    const auto& spec = svc->spec();
    const stats::ServiceKey key = dataplane::traffic_key(spec);
    json reals = json::array();
    for (const auto& d : svc->dests()) {
      const auto& c = *d.counters;
      reals.push_back({{"address", d.addr.to_string()},
                       {"port", packet::ntoh16(d.port_be)},
                       {"forward", sched::to_string(d.forward)},
                       {"weight", d.weight},
                       {"active_conns", c.active_conns()},
                       {"inactive_conns", c.inactive_conns()},
                       {"persistent_conns", c.persist.load(std::memory_order_relaxed)},
                       {"upper_threshold", c.upper_threshold.load(std::memory_order_relaxed)},
                       {"lower_threshold", c.lower_threshold.load(std::memory_order_relaxed)},
                       {"stats", traffic_json(book.dest(d.id))},
                       {"rates", rates_json(book.dest_rates(d.id))}});
    }
    json service = json::object();
    if (spec.fwmark != 0) {
      service["fwmark"] = spec.fwmark;
    } else {
      service["protocol"] = sched::to_string(spec.protocol);
      service["vip"] = spec.vip.to_string();
      service["port"] = spec.port;
    }
    service["scheduler"] = spec.scheduler;
    service["sched_flags"] = sched::sched_flag_names(spec.scheduler, spec.sched_flags);
    if (spec.persistence) {
      service["persistent"] = spec.persistence->timeout_s;
      service["netmask"] = spec.persistence->netmask.to_string();
    }
    service["one_packet"] = spec.one_packet;
    const auto t = service_traffic.find(key);
    service["stats"] = traffic_json(t != service_traffic.end() ? t->second : stats::Traffic{});
    service["rates"] = rates_json(book.service_rates(key));
    service["real_servers"] = std::move(reals);
    services.push_back(std::move(service));
  }
  return {{"conn_table_size", dp.connections().capacity()}, {"services", std::move(services)}};
}

json stats_json(const dataplane::Dataplane& dp) {
  json workers = json::array();
  for (size_t w = 0; w < dp.worker_stats().size(); ++w) {
    const auto& s = dp.worker_stats()[w];
    json drops = json::object();
    for (size_t i = 0; i < dataplane::kDropCount; ++i)
      drops[std::string(dataplane::kDropNames[i])] = s.drops[i].get();
    json events = json::object();
    for (size_t i = 0; i < dataplane::kEventCount; ++i)
      events[std::string(dataplane::kEventNames[i])] = s.events[i].get();
    workers.push_back({{"lcore", dp.worker_lcores()[w]},
                       {"rx_packets", s.rx_packets.get()},
                       {"rx_bytes", s.rx_bytes.get()},
                       {"tx_packets", s.tx_packets.get()},
                       {"tx_bytes", s.tx_bytes.get()},
                       {"busy_cycles", s.busy_cycles.get()},
                       {"idle_cycles", s.idle_cycles.get()},
                       {"drops", std::move(drops)},
                       {"events", std::move(events)}});
  }
  json ports = json::array();
  for (size_t i = 0; i < dp.ports().size(); ++i) {
    const auto ps = dp.port_stats(i);
    ports.push_back({{"name", dp.ports()[i].name},
                     {"rx_packets", ps.rx_packets},
                     {"rx_bytes", ps.rx_bytes},
                     {"tx_packets", ps.tx_packets},
                     {"tx_bytes", ps.tx_bytes},
                     {"rx_missed", ps.rx_missed},
                     {"rx_errors", ps.rx_errors},
                     {"tx_errors", ps.tx_errors}});
  }
  const auto cs = dp.connections().stats();
  uint64_t created = 0, templates = 0, refused = 0, reused = 0, flushed = 0;
  for (const auto& s : dp.worker_stats()) {
    created += s.events[static_cast<size_t>(dataplane::Event::conn_created)].get();
    templates += s.events[static_cast<size_t>(dataplane::Event::templates_created)].get();
    reused += s.events[static_cast<size_t>(dataplane::Event::conn_reused)].get();
    flushed += s.events[static_cast<size_t>(dataplane::Event::conn_flushed)].get();
    refused += s.drops[static_cast<size_t>(dataplane::Drop::conn_table_full)].get();
  }
  return {{"workers", std::move(workers)},
          {"ports", std::move(ports)},
          {"traffic",
           {{"stats", traffic_json(dp.traffic().total())},
            {"rates", rates_json(dp.traffic().total_rates())}}},
          {"connections",
           {{"capacity", cs.capacity},
            {"in_use", cs.in_use},
            {"awaiting_reclaim", cs.retired},
            {"inserted", created},
            {"templates_inserted", templates},
            {"refused_full", refused},
            {"expired", cs.expired},
            {"templates_expired", cs.templates_expired},
            {"flushed", cs.flushed + flushed},
            {"reused", reused},
            {"bytes_per_connection", dp.connections().bytes_per_connection()},
            {"memory_bytes", dp.connections().bytes()}}}};
}

std::string metrics_page(const ControlContext& ctx) {
  return metrics::render(status_json(ctx), services_json(ctx.dataplane), stats_json(ctx.dataplane),
                         ctx.health.status_json());
}

json reload(ControlContext& ctx) {
  auto loaded = config::load_file(ctx.config_path);
  if (!loaded.config) {
    std::vector<std::string> lines;
    for (const auto& e : loaded.errors)
      lines.push_back(e.to_string());
    throw ctl::CtlError("invalid_config", fmt::format("{}", fmt::join(lines, "\n")));
  }
  const auto fixed = needs_restart(ctx.config, *loaded.config);
  if (!fixed.empty()) {
    throw ctl::CtlError("restart_required",
                        fmt::format("{}: changing {} needs a restart of lbd; nothing was changed",
                                    ctx.config_path, fmt::join(fixed, ", ")));
  }
  config::Config next = *loaded.config;
  const auto kept = keep_run_time_settings(ctx.file, ctx.config, next);
  try {
    publish(ctx, next);
  } catch (const std::invalid_argument& e) {
    throw ctl::CtlError("rejected",
                        fmt::format("{}: {}; nothing was changed", ctx.config_path, e.what()));
  }
  const bool discarded = ctx.unsaved_edits;
  ctx.file = std::move(*loaded.config);
  ctx.config = std::move(next);
  ctx.unsaved_edits = false;
  if (discarded) spdlog::warn("reload from {} discarded unsaved live edits", ctx.config_path);
  spdlog::info("configuration reloaded from {}: {} service(s){}", ctx.config_path,
               ctx.config.services.size(),
               kept.empty() ? "" : fmt::format("; kept run-time {}", fmt::join(kept, " ")));
  return {{"services", ctx.config.services.size()},
          {"firewall_mark_rules", ctx.config.mark_rules.size()},
          {"kept_settings", kept},
          {"discarded_live_edits", discarded}};
}

void register_commands(ctl::Dispatcher& dispatcher, ControlContext& ctx) {
  dispatcher.add("status", [&ctx](const json&) { return status_json(ctx); });
  dispatcher.add("services", [&ctx](const json&) { return services_json(ctx.dataplane); });
  dispatcher.add("stats", [&ctx](const json&) { return stats_json(ctx.dataplane); });
  dispatcher.add("reload", [&ctx](const json&) { return reload(ctx); });
  dispatcher.add("health", [&ctx](const json&) { return ctx.health.status_json(); });
  dispatcher.add("connections",
                 [&ctx](const json& args) { return connections_json(ctx.dataplane, args); });
  dispatcher.add("settings", [&ctx](const json&) { return settings_json(ctx.config); });
  dispatcher.add("set", [&ctx](const json& args) { return apply_settings(ctx, args); });
  dispatcher.add("edit", [&ctx](const json& args) { return edit(ctx, args); });
  dispatcher.add("config", [&ctx](const json&) { return config_json(ctx); });
  dispatcher.add("save", [&ctx](const json& args) { return save(ctx, args); });
  dispatcher.add("zero",
                 [&ctx](const json& args) { return zero(ctx.dataplane, ctx.config, args); });
  dispatcher.add("lookup", [&ctx](const json& args) { return lookup_json(ctx.dataplane, args); });
}

}  // namespace lb::daemon
