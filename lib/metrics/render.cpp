// The families are declared in one place (Families), in page order, so the
// page's layout does not depend on which JSON object is read first; each
// render_* function then reads one control-socket object and adds its
// samples. The JSON is lbd's own, so a missing or mistyped field is a bug
// between the daemon and this file: it is reported with its path, never
// guessed around.
#include <lb/metrics/render.h>

#include <string_view>

#include <fmt/format.h>

#include <lb/metrics/exposition.h>

namespace lb::metrics {

namespace {

using nlohmann::json;
using Type = MetricType;

std::string describe(const json& value) {
  std::string text = value.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

[[noreturn]] void bad(const std::string& where, std::string_view expected, const json& value) {
  throw RenderError(fmt::format("{}: expected {}, got {}", where, expected, describe(value)));
}

std::string child(const std::string& where, std::string_view key) {
  return fmt::format("{}.{}", where, key);
}

std::string element(const std::string& where, size_t index) {
  return fmt::format("{}[{}]", where, index);
}

const json& member(const json& object, std::string_view key, const std::string& where) {
  if (!object.is_object()) bad(where, "an object", object);
  const auto it = object.find(key);
  if (it == object.end()) throw RenderError(child(where, key) + ": missing");
  return *it;
}

uint64_t count(const json& object, std::string_view key, const std::string& where) {
  const json& value = member(object, key, where);
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer() && value.get<int64_t>() >= 0) return value.get<uint64_t>();
  bad(child(where, key), "a non-negative integer", value);
}

// A rate: the estimator's integers, or a fraction where lbd computes one.
Value number(const json& object, std::string_view key, const std::string& where) {
  const json& value = member(object, key, where);
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number_float()) return value.get<double>();
  bad(child(where, key), "a number", value);
}

std::string text(const json& object, std::string_view key, const std::string& where) {
  const json& value = member(object, key, where);
  if (!value.is_string()) bad(child(where, key), "a string", value);
  return value.get<std::string>();
}

bool flag(const json& object, std::string_view key, const std::string& where) {
  const json& value = member(object, key, where);
  if (!value.is_boolean()) bad(child(where, key), "true or false", value);
  return value.get<bool>();
}

const json& list(const json& object, std::string_view key, const std::string& where) {
  const json& value = member(object, key, where);
  if (!value.is_array()) bad(child(where, key), "a list", value);
  return value;
}

const json& object_of(const json& object, std::string_view key, const std::string& where) {
  const json& value = member(object, key, where);
  if (!value.is_object()) bad(child(where, key), "an object", value);
  return value;
}

Labels with(Labels labels, std::string name, std::string value) {
  labels.emplace_back(std::move(name), std::move(value));
  return labels;
}

// A service's or real server's IPVS counters (`stats`) and rate estimates
// (`rates`), under the prefix lbd_service or lbd_real_server.
struct TrafficFamilies {
  Family& connections;
  Family& packets;
  Family& bytes;
  Family& connection_rate;
  Family& packet_rate;
  Family& byte_rate;

  TrafficFamilies(Exposition& page, std::string_view prefix, std::string_view what)
      : connections(page.family(fmt::format("{}_connections_total", prefix), Type::kCounter,
                                fmt::format("Connections scheduled to {}.", what))),
        packets(page.family(fmt::format("{}_packets_total", prefix), Type::kCounter,
                            fmt::format("Packets of {}'s connections; direction in: from "
                                        "clients, out: replies.",
                                        what))),
        bytes(page.family(fmt::format("{}_bytes_total", prefix), Type::kCounter,
                          fmt::format("Bytes of {}'s connections (IP packets, headers "
                                      "included); direction as for packets.",
                                      what))),
        connection_rate(page.family(fmt::format("{}_connection_rate", prefix), Type::kGauge,
                                    fmt::format("New connections per second to {} (IPVS's "
                                                "rate estimate, as ipvsadm --rate shows).",
                                                what))),
        packet_rate(page.family(fmt::format("{}_packet_rate", prefix), Type::kGauge,
                                fmt::format("Packets per second of {}'s connections.", what))),
        byte_rate(page.family(fmt::format("{}_byte_rate", prefix), Type::kGauge,
                              fmt::format("Bytes per second of {}'s connections.", what))) {}

  void add(const json& entry, const Labels& labels, const std::string& where) {
    if (entry.contains("stats")) {
      const std::string at = child(where, "stats");
      const json& s = object_of(entry, "stats", where);
      connections.add(labels, count(s, "conns", at));
      packets.add(with(labels, "direction", "in"), count(s, "inpkts", at));
      packets.add(with(labels, "direction", "out"), count(s, "outpkts", at));
      bytes.add(with(labels, "direction", "in"), count(s, "inbytes", at));
      bytes.add(with(labels, "direction", "out"), count(s, "outbytes", at));
    }
    if (entry.contains("rates")) {
      const std::string at = child(where, "rates");
      const json& r = object_of(entry, "rates", where);
      connection_rate.add(labels, number(r, "cps", at));
      packet_rate.add(with(labels, "direction", "in"), number(r, "inpps", at));
      packet_rate.add(with(labels, "direction", "out"), number(r, "outpps", at));
      // IPVS's inbps/outbps are bytes per second, whatever the name says.
      byte_rate.add(with(labels, "direction", "in"), number(r, "inbps", at));
      byte_rate.add(with(labels, "direction", "out"), number(r, "outbps", at));
    }
  }
};

struct Families {
  explicit Families(Exposition& p) : page(p) {}

  Exposition& page;
  Family& family(std::string name, Type type, std::string help) {
    return page.family(std::move(name), type, std::move(help));
  }

  // status
  Family& up = family("lbd_up", Type::kGauge, "1: lbd is running and serving this endpoint.");
  Family& build_info =
      family("lbd_build_info", Type::kGauge, "Always 1; the version label says which lbd runs.");
  Family& uptime = family("lbd_uptime_seconds", Type::kGauge, "Seconds since lbd started.");
  Family& service_count = family("lbd_services", Type::kGauge, "Virtual services configured.");
  Family& port_info = family("lbd_port_info", Type::kGauge,
                             "Always 1; a port lbd owns, its DPDK device, MAC and address.");
  Family& port_link_up =
      family("lbd_port_link_up", Type::kGauge, "1 when the port's link is up, 0 when down.");

  // stats.ports
  Family& port_rx_packets = family("lbd_port_receive_packets_total", Type::kCounter,
                                   "Packets the port received (the NIC's counter).");
  Family& port_rx_bytes =
      family("lbd_port_receive_bytes_total", Type::kCounter, "Bytes the port received.");
  Family& port_tx_packets =
      family("lbd_port_transmit_packets_total", Type::kCounter, "Packets the port sent.");
  Family& port_tx_bytes =
      family("lbd_port_transmit_bytes_total", Type::kCounter, "Bytes the port sent.");
  Family& port_rx_missed =
      family("lbd_port_receive_missed_total", Type::kCounter,
             "Packets the NIC dropped because no receive descriptor was free (workers too slow).");
  Family& port_rx_errors =
      family("lbd_port_receive_errors_total", Type::kCounter, "Erroneous frames the NIC received.");
  Family& port_tx_errors =
      family("lbd_port_transmit_errors_total", Type::kCounter, "Frames the NIC failed to send.");

  // services
  Family& service_info =
      family("lbd_service_info", Type::kGauge, "Always 1; a virtual service and its scheduler.");
  TrafficFamilies service_traffic{page, "lbd_service", "the virtual service"};
  Family& real_info =
      family("lbd_real_server_info", Type::kGauge,
             "Always 1; a real server of a virtual service and its forwarding method.");
  Family& real_weight = family("lbd_real_server_weight", Type::kGauge,
                               "The real server's weight (0: quiesced, gets no new connections).");
  Family& real_active = family("lbd_real_server_active_connections", Type::kGauge,
                               "Active connections (IPVS ActiveConn: TCP ESTABLISHED).");
  Family& real_inactive =
      family("lbd_real_server_inactive_connections", Type::kGauge,
             "Inactive connections (IPVS InActConn: every other state, and UDP).");
  Family& real_persistent = family("lbd_real_server_persistent_connections", Type::kGauge,
                                   "Persistence templates pointing at the real server.");
  TrafficFamilies real_traffic{page, "lbd_real_server", "the real server"};

  // health
  Family& health_state =
      family("lbd_real_server_health", Type::kGauge,
             "1 for the checked real server's health state (up, down, or unknown: not judged "
             "yet), 0 for the other two.");
  Family& health_checks = family("lbd_real_server_health_checks_total", Type::kCounter,
                                 "Health checks of the real server that have completed.");
  Family& health_success = family("lbd_real_server_health_check_success", Type::kGauge,
                                  "1 when the real server's last health check passed, 0 when not.");
  Family& health_latency = family("lbd_real_server_health_check_latency_seconds", Type::kGauge,
                                  "How long the real server's last health check took.");
  Family& sorry_serving =
      family("lbd_sorry_server_serving", Type::kGauge,
             "1 while the sorry server takes its service's new connections (no real server can).");

  // stats.workers
  Family& worker_rx_packets = family("lbd_worker_receive_packets_total", Type::kCounter,
                                     "Packets the worker received from its queues.");
  Family& worker_rx_bytes =
      family("lbd_worker_receive_bytes_total", Type::kCounter, "Bytes the worker received.");
  Family& worker_tx_packets =
      family("lbd_worker_transmit_packets_total", Type::kCounter, "Packets the worker sent.");
  Family& worker_tx_bytes =
      family("lbd_worker_transmit_bytes_total", Type::kCounter, "Bytes the worker sent.");
  Family& worker_busy = family("lbd_worker_busy_cycles_total", Type::kCounter,
                               "TSC cycles the worker spent in poll rounds that received packets.");
  Family& worker_idle = family("lbd_worker_idle_cycles_total", Type::kCounter,
                               "TSC cycles the worker spent in poll rounds that received nothing.");
  Family& drops = family("lbd_drops_total", Type::kCounter,
                         "Packets the worker dropped, by reason (lbctl stats explains each).");
  Family& events =
      family("lbd_events_total", Type::kCounter, "Notable things the worker did, by event.");

  // stats.connections
  Family& table_capacity =
      family("lbd_connection_table_capacity", Type::kGauge, "Connections the table can hold.");
  Family& table_in_use =
      family("lbd_connection_table_in_use", Type::kGauge,
             "Live entries in the table: connections, persistence templates, fragment records.");
  Family& table_reclaim =
      family("lbd_connection_table_awaiting_reclaim", Type::kGauge,
             "Expired entries waiting for their RCU grace period before reuse.");
  Family& table_inserted =
      family("lbd_connection_table_inserted_total", Type::kCounter, "Connections created.");
  Family& table_templates_inserted = family("lbd_connection_table_templates_inserted_total",
                                            Type::kCounter, "Persistence templates created.");
  Family& table_refused = family("lbd_connection_table_refused_full_total", Type::kCounter,
                                 "New flows dropped because the table was full.");
  Family& table_expired = family("lbd_connection_table_expired_total", Type::kCounter,
                                 "Connections the sweeper expired (idle timeout).");
  Family& table_templates_expired = family("lbd_connection_table_templates_expired_total",
                                           Type::kCounter, "Persistence templates timed out.");
  Family& table_flushed =
      family("lbd_connection_table_flushed_total", Type::kCounter,
             "Connections removed because their real server left (expire_nodest_conn).");
  Family& table_reused = family("lbd_connection_table_reused_total", Type::kCounter,
                                "SYNs that reopened a closed connection and scheduled it afresh.");
  Family& table_entry_bytes =
      family("lbd_connection_table_entry_bytes", Type::kGauge,
             "DPDK memory the table took per connection (records and both hash keys).");
  Family& table_memory =
      family("lbd_connection_table_memory_bytes", Type::kGauge, "DPDK memory the table took.");
};

void render_status(Families& f, const json& status) {
  const std::string where = "status";
  f.up.add({}, uint64_t{1});
  f.build_info.add({{"version", text(status, "version", where)}}, uint64_t{1});
  f.uptime.add({}, count(status, "uptime_s", where));
  f.service_count.add({}, count(status, "services", where));
  const json& ports = list(status, "ports", where);
  for (size_t i = 0; i < ports.size(); ++i) {
    const std::string at = element(child(where, "ports"), i);
    const std::string name = text(ports[i], "name", at);
    f.port_info.add({{"port", name},
                     {"device", text(ports[i], "device", at)},
                     {"mac", text(ports[i], "mac", at)},
                     {"address", text(ports[i], "address", at)}},
                    uint64_t{1});
    f.port_link_up.add({{"port", name}}, uint64_t{flag(ports[i], "link_up", at) ? 1u : 0u});
  }
}

// ipvsadm's notation for a service: what `lbctl` and ipvsadm -L show.
std::string service_label(const json& service, const std::string& where) {
  if (service.contains("fwmark")) return fmt::format("fwmark:{}", count(service, "fwmark", where));
  return fmt::format("{}:{}:{}", text(service, "protocol", where), text(service, "vip", where),
                     count(service, "port", where));
}

void render_services(Families& f, const json& result) {
  const std::string where = "services";
  const json& services = list(result, "services", where);
  for (size_t i = 0; i < services.size(); ++i) {
    const json& service = services[i];
    const std::string at = element(child(where, "services"), i);
    const Labels labels{{"service", service_label(service, at)}};
    f.service_info.add(with(labels, "scheduler", text(service, "scheduler", at)), uint64_t{1});
    f.service_traffic.add(service, labels, at);
    const json& reals = list(service, "real_servers", at);
    for (size_t r = 0; r < reals.size(); ++r) {
      const json& real = reals[r];
      const std::string rat = element(child(at, "real_servers"), r);
      const Labels rlabels =
          with(labels, "real",
               fmt::format("{}:{}", text(real, "address", rat), count(real, "port", rat)));
      f.real_info.add(with(rlabels, "forward", text(real, "forward", rat)), uint64_t{1});
      f.real_weight.add(rlabels, count(real, "weight", rat));
      f.real_active.add(rlabels, count(real, "active_conns", rat));
      f.real_inactive.add(rlabels, count(real, "inactive_conns", rat));
      f.real_persistent.add(rlabels, count(real, "persistent_conns", rat));
      f.real_traffic.add(real, rlabels, rat);
    }
  }
}

void render_health(Families& f, const json& result) {
  const std::string where = "health";
  const json& servers = list(result, "servers", where);
  for (size_t i = 0; i < servers.size(); ++i) {
    const json& server = servers[i];
    const std::string at = element(child(where, "servers"), i);
    const Labels labels{
        {"service", service_label(object_of(server, "service", at), child(at, "service"))},
        {"real", fmt::format("{}:{}", text(server, "address", at), count(server, "port", at))}};
    const std::string state = text(server, "state", at);
    for (const char* name : {"up", "down", "unknown"}) {
      f.health_state.add(with(labels, "state", name), uint64_t{state == name ? 1u : 0u});
    }
    if (server.contains("checks")) f.health_checks.add(labels, count(server, "checks", at));
    if (server.contains("last")) {
      const json& last = object_of(server, "last", at);
      const std::string lat = child(at, "last");
      f.health_success.add(labels, uint64_t{flag(last, "ok", lat) ? 1u : 0u});
      f.health_latency.add(labels, static_cast<double>(count(last, "latency_ms", lat)) / 1000.0);
    }
  }
  const json& sorry = list(result, "sorry_servers_serving", where);
  for (size_t i = 0; i < sorry.size(); ++i) {
    const std::string at = element(child(where, "sorry_servers_serving"), i);
    f.sorry_serving.add(
        {{"service", service_label(object_of(sorry[i], "service", at), child(at, "service"))},
         {"real",
          fmt::format("{}:{}", text(sorry[i], "address", at), count(sorry[i], "port", at))}},
        uint64_t{1});
  }
}

void render_counters(Family& family, const Labels& labels, const char* label, const json& object,
                     const std::string& where) {
  for (const auto& [name, value] : object.items()) {
    if (!value.is_number_unsigned() && !(value.is_number_integer() && value.get<int64_t>() >= 0)) {
      bad(child(where, name), "a non-negative integer", value);
    }
    family.add(with(labels, label, name), value.get<uint64_t>());
  }
}

void render_stats(Families& f, const json& stats) {
  const std::string where = "stats";
  const json& workers = list(stats, "workers", where);
  for (size_t w = 0; w < workers.size(); ++w) {
    const json& worker = workers[w];
    const std::string at = element(child(where, "workers"), w);
    const Labels labels{{"worker", std::to_string(w)},
                        {"lcore", std::to_string(count(worker, "lcore", at))}};
    f.worker_rx_packets.add(labels, count(worker, "rx_packets", at));
    f.worker_rx_bytes.add(labels, count(worker, "rx_bytes", at));
    f.worker_tx_packets.add(labels, count(worker, "tx_packets", at));
    f.worker_tx_bytes.add(labels, count(worker, "tx_bytes", at));
    f.worker_busy.add(labels, count(worker, "busy_cycles", at));
    f.worker_idle.add(labels, count(worker, "idle_cycles", at));
    render_counters(f.drops, labels, "reason", object_of(worker, "drops", at), child(at, "drops"));
    render_counters(f.events, labels, "event", object_of(worker, "events", at),
                    child(at, "events"));
  }
  const json& ports = list(stats, "ports", where);
  for (size_t i = 0; i < ports.size(); ++i) {
    const json& port = ports[i];
    const std::string at = element(child(where, "ports"), i);
    const Labels labels{{"port", text(port, "name", at)}};
    f.port_rx_packets.add(labels, count(port, "rx_packets", at));
    f.port_rx_bytes.add(labels, count(port, "rx_bytes", at));
    f.port_tx_packets.add(labels, count(port, "tx_packets", at));
    f.port_tx_bytes.add(labels, count(port, "tx_bytes", at));
    f.port_rx_missed.add(labels, count(port, "rx_missed", at));
    f.port_rx_errors.add(labels, count(port, "rx_errors", at));
    f.port_tx_errors.add(labels, count(port, "tx_errors", at));
  }
  const std::string at = child(where, "connections");
  const json& c = object_of(stats, "connections", where);
  f.table_capacity.add({}, count(c, "capacity", at));
  f.table_in_use.add({}, count(c, "in_use", at));
  f.table_reclaim.add({}, count(c, "awaiting_reclaim", at));
  f.table_inserted.add({}, count(c, "inserted", at));
  f.table_templates_inserted.add({}, count(c, "templates_inserted", at));
  f.table_refused.add({}, count(c, "refused_full", at));
  f.table_expired.add({}, count(c, "expired", at));
  f.table_templates_expired.add({}, count(c, "templates_expired", at));
  f.table_flushed.add({}, count(c, "flushed", at));
  f.table_reused.add({}, count(c, "reused", at));
  f.table_entry_bytes.add({}, count(c, "bytes_per_connection", at));
  f.table_memory.add({}, count(c, "memory_bytes", at));
}

}  // namespace

std::string render(const json& status, const json& services, const json& stats,
                   const json& health) {
  Exposition page;
  Families families(page);
  render_status(families, status);
  render_services(families, services);
  render_stats(families, stats);
  if (!health.is_null()) render_health(families, health);
  return page.text();
}

}  // namespace lb::metrics
