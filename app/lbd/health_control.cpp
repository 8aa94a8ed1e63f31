#include "health_control.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <lb/config/health.h>

namespace lb::daemon {

using nlohmann::json;

namespace {

const char* state_name(health::State state) noexcept {
  switch (state) {
    case health::State::kUp:
      return "up";
    case health::State::kDown:
      return "down";
    case health::State::kUnknown:
      break;
  }
  return "unknown";
}

// The verdicts about the servers `config` checks; any other is stale (a
// server no longer checked is scheduled as configured).
config::Verdicts verdicts_for(const config::Config& config, const config::Verdicts& verdicts) {
  config::Verdicts out;
  for (const auto& checked : config::health_targets(config)) {
    if (const auto it = verdicts.find(checked.key); it != verdicts.end()) out.insert(*it);
  }
  return out;
}

json service_json(const config::ServerKey& key) {
  if (key.fwmark != 0) return {{"fwmark", key.fwmark}};
  return {{"protocol", sched::to_string(key.protocol)},
          {"vip", key.vip.to_string()},
          {"port", key.vport}};
}

}  // namespace

HealthControl::HealthControl() = default;

void HealthControl::validate(const config::Config& config) const {
  std::vector<std::string> errors;
  for (const auto& checked : config::health_targets(config)) {
    for (const auto& error : health::target_errors(checked.target)) {
      errors.push_back(fmt::format("{}: health check: {}", config::describe(checked.key), error));
    }
  }
  if (!errors.empty()) throw std::invalid_argument(fmt::format("{}", fmt::join(errors, "\n")));
}

config::Config HealthControl::scheduling(const config::Config& config) const {
  return config::scheduling_config(config, verdicts_for(config, verdicts_));
}

void HealthControl::set_config(const config::Config& config) {
  const auto plan = config::health_targets(config);
  std::map<config::ServerKey, uint64_t> ids;
  std::unordered_map<uint64_t, Checked> checked;
  std::vector<uint64_t> order;
  std::vector<health::Target> targets;
  for (const auto& server : plan) {
    const auto known = ids_.find(server.key);
    const uint64_t id = known != ids_.end() ? known->second : next_id_++;
    ids.emplace(server.key, id);
    const auto before = checked_.find(id);
    checked[id] = Checked{server, before != checked_.end() ? before->second.state_since_ms : 0};
    order.push_back(id);
    targets.push_back(server.target);
    targets.back().id = id;
    if (server.target.spec.through_tunnel && !server.target.tunnel_vip) {
      spdlog::warn(
          "health: {}: through_tunnel needs a VIP (not a firewall mark) and a tunnel real "
          "server; checked at its own address",
          config::describe(server.key));
    }
  }
  if (const auto errors = monitor_.set_targets(std::move(targets)); !errors.empty()) {
    // validate() ran the same rules: this is a bug, not an operator's error.
    spdlog::error(
        "health: the checks of the new configuration were refused, the previous ones "
        "go on:\n{}",
        fmt::join(errors, "\n"));
    return;
  }
  ids_ = std::move(ids);
  checked_ = std::move(checked);
  order_ = std::move(order);
  config::Verdicts kept;
  for (const auto& [key, id] : ids_) {
    if (const auto it = verdicts_.find(key); it != verdicts_.end()) kept.insert(*it);
  }
  verdicts_ = std::move(kept);
}

bool HealthControl::take_events() {
  bool changed = false;
  for (const auto& event : monitor_.drain()) {
    const auto it = checked_.find(event.target_id);
    if (it == checked_.end()) continue;  // no longer checked
    Checked& entry = it->second;
    const auto& server = entry.server;
    const auto& t = event.transition;
    entry.state_since_ms = event.at_ms;
    verdicts_[server.key] = t.to;
    // Unknown and up are both scheduled as configured: only down matters.
    changed |= (t.from == health::State::kDown) != (t.to == health::State::kDown);
    const std::string effect =
        t.to == health::State::kUp
            ? (t.from == health::State::kUnknown ? "scheduled" : "back in scheduling")
            : (server.on_failure == health::OnFailure::kQuiesce
                   ? "quiesced: weight 0, its connections continue"
                   : "removed from scheduling");
    const std::string streak =
        t.consecutive > 1 ? fmt::format(", {} {} in a row", t.consecutive,
                                        t.to == health::State::kUp ? "successes" : "failures")
                          : "";
    const auto level = t.to == health::State::kDown ? spdlog::level::warn : spdlog::level::info;
    spdlog::log(level, "health: {} is {} ({}): {}{}, {} ms", config::describe(server.key),
                state_name(t.to), effect, t.reason, streak, event.result.latency_ms);
  }
  return changed;
}

void HealthControl::log_sorry_servers(const config::Config& scheduled) {
  std::set<config::ServerKey> active;
  for (const auto& service : scheduled.services) {
    if (!service.sorry_server) continue;
    const auto& reals = service.real_servers;
    if (std::find(reals.begin(), reals.end(), *service.sorry_server) == reals.end()) continue;
    active.insert(config::server_key(service, *service.sorry_server));
  }
  for (const auto& key : active) {
    if (!sorry_active_.contains(key)) {
      spdlog::warn(
          "health: no real server of {} can serve: the sorry server {}:{} takes new connections",
          config::describe_service(key), key.addr.to_string(), key.port);
    }
  }
  for (const auto& key : sorry_active_) {
    if (!active.contains(key)) {
      spdlog::info(
          "health: {} has real servers again: the sorry server {}:{} takes no new "
          "connections",
          config::describe_service(key), key.addr.to_string(), key.port);
    }
  }
  sorry_active_ = std::move(active);
}

json HealthControl::status_json() const {
  const auto snapshot = monitor_.status();
  std::unordered_map<uint64_t, const health::TargetStatus*> status;
  for (const auto& target : snapshot.targets)
    status.emplace(target.id, &target);
  json servers = json::array();
  for (const uint64_t id : order_) {
    const Checked& entry = checked_.at(id);
    const auto& server = entry.server;
    json out = {{"service", service_json(server.key)},
                {"address", server.key.addr.to_string()},
                {"port", server.key.port},
                {"check", config::describe_check(server.target.spec)},
                {"check_type", config::check_type_name(server.target.spec.type)},
                {"check_port", server.target.check_port()},
                {"interval_ms", server.target.spec.interval_ms},
                {"rise", server.target.spec.rise},
                {"fall", server.target.spec.fall},
                {"on_failure", config::on_failure_name(server.on_failure)}};
    if (server.target.source) out["source"] = server.target.source->to_string();
    const auto it = status.find(id);
    if (it == status.end()) {  // set_targets refused (logged): not running
      out["state"] = "unknown";
      servers.push_back(std::move(out));
      continue;
    }
    const health::TargetStatus& s = *it->second;
    out["state"] = state_name(s.state);
    if (entry.state_since_ms != 0) {
      out["state_age_ms"] = snapshot.now_ms - std::min(snapshot.now_ms, entry.state_since_ms);
    }
    out["successes"] = s.successes;
    out["failures"] = s.failures;
    out["checks"] = s.checks;
    out["in_flight"] = s.in_flight;
    if (s.last) {
      out["last"] = {{"ok", s.last->ok},
                     {"reason", s.last->reason},
                     {"latency_ms", s.last->latency_ms},
                     {"age_ms", snapshot.now_ms - std::min(snapshot.now_ms, s.last_check_ms)}};
    }
    servers.push_back(std::move(out));
  }
  json sorry = json::array();
  for (const auto& key : sorry_active_) {
    sorry.push_back(
        {{"service", service_json(key)}, {"address", key.addr.to_string()}, {"port", key.port}});
  }
  return {{"servers", std::move(servers)}, {"sorry_servers_serving", std::move(sorry)}};
}

}  // namespace lb::daemon
