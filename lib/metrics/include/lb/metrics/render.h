// lbd's metrics page, rendered from the very JSON objects its control socket
// answers `status`, `services`, `stats` and `health` with (app/lbd/control_api.cpp).
// Rendering from them, rather than from the data plane, makes every number
// on the page the number `lbctl --json status/services/stats` shows at the
// same moment, and keeps this library pure: the daemon takes the three
// snapshots on its control thread and hands them over.
//
// Series (README.md "Metrics" lists them for operators):
//   process     lbd_up, lbd_build_info{version}, lbd_uptime_seconds, lbd_services
//   ports       lbd_port_info{port,device,mac,address}, lbd_port_link_up{port},
//               lbd_port_{receive,transmit}_{packets,bytes}_total{port},
//               lbd_port_receive_{missed,errors}_total, lbd_port_transmit_errors_total
//   services    lbd_service_info{service,scheduler}; with `stats`:
//               lbd_service_connections_total, lbd_service_{packets,bytes}_total{direction};
//               with `rates`: lbd_service_connection_rate,
//               lbd_service_{packet,byte}_rate{direction}
//   real servers  lbd_real_server_info{service,real,forward}, lbd_real_server_weight,
//               lbd_real_server_{active,inactive,persistent}_connections, and
//               lbd_real_server_* as for services from `stats` and `rates`
//   health      lbd_real_server_health{service,real,state} (up, down, unknown: 1 for
//               the current state), lbd_real_server_health_checks_total,
//               lbd_real_server_health_check_success, lbd_real_server_health_check_latency_seconds,
//               lbd_sorry_server_serving{service,real}
//   workers     lbd_worker_{receive,transmit}_{packets,bytes}_total{worker,lcore},
//               lbd_worker_{busy,idle}_cycles_total, lbd_drops_total{worker,lcore,reason},
//               lbd_events_total{worker,lcore,event}
//   table       lbd_connection_table_{capacity,in_use,awaiting_reclaim,...}
//
// `service` is "tcp:VIP:PORT", "udp:VIP:PORT" or "fwmark:MARK" (ipvsadm's
// service notation), `real` "ADDRESS:PORT"; direction "in" is client to real
// server, "out" the replies, as IPVS counts them. Rates are per second.
#pragma once

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace lb::metrics {

// The JSON lacks a field the page needs or has it with the wrong type: says
// which ("stats.workers[1].rx_packets: expected a non-negative integer, got
// \"12\""). Optional objects (a service's `stats` and `rates`) are simply left
// out when absent.
class RenderError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// `health` is the `health` request's result; null: no health series.
std::string render(const nlohmann::json& status, const nlohmann::json& services,
                   const nlohmann::json& stats, const nlohmann::json& health = nullptr);

}  // namespace lb::metrics
