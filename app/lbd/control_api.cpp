#include "control_api.h"

#include <unistd.h>

#include <lb/sched/model.h>

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
  json services = json::array();
  for (const auto& svc : dp.snapshot().services.services()) {
    const auto& spec = svc->spec();
    json reals = json::array();
    for (const auto& d : svc->dests()) {
      reals.push_back({{"address", d.addr.to_string()},
                       {"port", packet::ntoh16(d.port_be)},
                       {"forward", sched::to_string(d.forward)},
                       {"weight", d.weight},
                       {"active_conns", d.counters->active_conns()},
                       {"inactive_conns", d.counters->inactive_conns()}});
    }
    services.push_back({{"protocol", sched::to_string(spec.protocol)},
                        {"vip", spec.vip.to_string()},
                        {"port", spec.port},
                        {"scheduler", spec.scheduler},
                        {"real_servers", std::move(reals)}});
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
  return {{"workers", std::move(workers)},
          {"ports", std::move(ports)},
          {"connections",
           {{"capacity", cs.capacity},
            {"in_use", cs.in_use},
            {"awaiting_reclaim", cs.retired},
            {"expired", cs.expired},
            {"bytes_per_connection", dp.connections().bytes_per_connection()}}}};
}

void register_commands(ctl::Dispatcher& dispatcher, const ControlContext& ctx) {
  dispatcher.add("status", [&ctx](const json&) { return status_json(ctx); });
  dispatcher.add("services", [&ctx](const json&) { return services_json(ctx.dataplane); });
  dispatcher.add("stats", [&ctx](const json&) { return stats_json(ctx.dataplane); });
}

}  // namespace lb::daemon
