// health_targets and scheduling_config: who is checked, from which address,
// with which check, and what each verdict does to what the data plane runs
// (never to the configuration itself).
#include <catch2/catch.hpp>

#include <lb/config/health_plan.h>

#include "config_test.h"

using lb::config::Config;
using lb::config::health_targets;
using lb::config::scheduling_config;
using lb::config::server_key;
using lb::config::Verdicts;
using lb::health::CheckType;
using lb::health::State;
using lb::packet::Ipv4Addr;

namespace {

// Two ports: ext 198.18.1.1/24 with a gateway, int 198.18.2.1/24. A checked
// HTTP service with three real servers (the third has its own TCP check on
// port 9000) and a sorry server; a UDP service without checks.
Config two_ports(const std::string& on_failure = "remove") {
  const auto result = lb::test::load(
      "ports:\n"
      "  - {name: ext, device: net_null0, address: 198.18.1.1/24, gateway: 198.18.1.254}\n"
      "  - {name: int, device: net_null1, address: 198.18.2.1/24}\n"
      "services:\n"
      "  - protocol: tcp\n"
      "    vip: 198.18.1.100\n"
      "    port: 80\n"
      "    scheduler: rr\n"
      "    health:\n"
      "      check: {type: http, path: /health, interval_ms: 1000, timeout_ms: 500}\n"
      "      on_failure: " +
      on_failure +
      "\n"
      "    sorry_server: {address: 198.18.2.99, port: 8080}\n"
      "    real_servers:\n"
      "      - {address: 198.18.2.11, port: 8080, weight: 3}\n"
      "      - {address: 198.18.2.12, port: 8080}\n"
      "      - {address: 203.0.113.13, port: 8080, check: {type: tcp, port: 9000}}\n"
      "  - protocol: udp\n"
      "    vip: 198.18.1.100\n"
      "    port: 53\n"
      "    real_servers:\n"
      "      - {address: 198.18.2.11, port: 5353}\n");
  INFO(Catch::Detail::stringify(lb::test::error_lines(result)));
  REQUIRE(result.config);
  return *result.config;
}

Ipv4Addr ip(const char* text) {
  return *Ipv4Addr::parse(text);
}

const lb::sched::ServiceSpec& http(const Config& config) {
  return config.services.at(0);
}

Verdicts verdicts(const Config& config, std::initializer_list<State> states) {
  Verdicts out;
  auto state = states.begin();
  for (const auto& real : http(config).real_servers) {
    if (state == states.end()) break;
    out[server_key(http(config), real)] = *state++;
  }
  return out;
}

}  // namespace

TEST_CASE("health_targets: every checked real server with its check and probe source") {
  const Config config = two_ports();
  const auto targets = health_targets(config);
  REQUIRE(targets.size() == 3);  // the UDP service has no check

  CHECK(targets[0].target.addr == ip("198.18.2.11"));
  CHECK(targets[0].target.port == 8080);
  CHECK(targets[0].target.check_port() == 8080);
  CHECK(targets[0].target.spec.type == CheckType::kHttp);
  CHECK(targets[0].target.spec.path == "/health");
  // On int's subnet: from int's address, through int's exception path.
  CHECK(targets[0].target.source == ip("198.18.2.1"));
  CHECK(targets[0].target.id == 0);

  // Its own check replaces the service's; off every subnet: from the port
  // with the gateway.
  CHECK(targets[2].target.spec.type == CheckType::kTcp);
  CHECK(targets[2].target.check_port() == 9000);
  CHECK(targets[2].target.source == ip("198.18.1.1"));
  CHECK(lb::config::describe(targets[2].key) ==
        "tcp 198.18.1.100:80 real server 203.0.113.13:8080");
}

TEST_CASE("health_targets: disabled servers and services, and ports without exception path") {
  Config config = two_ports();
  config.services[0].real_servers[1].enabled = false;
  CHECK(health_targets(config).size() == 2);
  config.services[0].enabled = false;
  CHECK(health_targets(config).empty());

  config = two_ports();
  for (auto& port : config.ports)
    port.exception_path = false;
  for (const auto& checked : health_targets(config))
    CHECK_FALSE(checked.target.source.has_value());
}

TEST_CASE("scheduling_config: unknown and up servers are scheduled as configured") {
  const Config config = two_ports();
  CHECK(scheduling_config(config, {}).services[0].real_servers == config.services[0].real_servers);
  const Config up = scheduling_config(config, verdicts(config, {State::kUp, State::kUnknown}));
  CHECK(up.services[0].real_servers == config.services[0].real_servers);
}

TEST_CASE("scheduling_config: a down server is removed, or quiesced to weight 0") {
  const Config config = two_ports();
  const Config removed = scheduling_config(config, verdicts(config, {State::kDown, State::kUp}));
  const auto& reals = removed.services[0].real_servers;
  REQUIRE(reals.size() == 3);  // still listed; not scheduled
  CHECK_FALSE(reals[0].enabled);
  CHECK(reals[0].weight == 3);
  CHECK(reals[1].enabled);
  // The configuration itself is untouched.
  CHECK(config.services[0].real_servers[0].enabled);

  const Config quiesce_config = two_ports("quiesce");
  const Config quiesced =
      scheduling_config(quiesce_config, verdicts(quiesce_config, {State::kDown, State::kUp}));
  CHECK(quiesced.services[0].real_servers[0].enabled);
  CHECK(quiesced.services[0].real_servers[0].weight == 0);
  CHECK(quiesced.services[0].real_servers[1].weight == 1);
}

TEST_CASE("scheduling_config: the sorry server serves while no real server can") {
  const Config config = two_ports();
  const auto sorry = *http(config).sorry_server;
  const auto has_sorry = [&](const Config& c) {
    const auto& reals = c.services[0].real_servers;
    return std::find(reals.begin(), reals.end(), sorry) != reals.end();
  };
  CHECK_FALSE(has_sorry(scheduling_config(config, verdicts(config, {State::kDown, State::kDown}))));
  const Config all_down =
      scheduling_config(config, verdicts(config, {State::kDown, State::kDown, State::kDown}));
  CHECK(has_sorry(all_down));
  CHECK(all_down.services[0].real_servers.size() == 4);
  // Quiesced servers are down too: the sorry server takes the new connections.
  const Config quiesce_config = two_ports("quiesce");
  CHECK(has_sorry(scheduling_config(
      quiesce_config, verdicts(quiesce_config, {State::kDown, State::kDown, State::kDown}))));
  // A disabled server does not count; none enabled is none usable.
  Config disabled = config;
  for (auto& real : disabled.services[0].real_servers)
    real.enabled = false;
  CHECK(has_sorry(scheduling_config(disabled, {})));
  // Services without a sorry server are left alone.
  CHECK(scheduling_config(config, {}).services[1].real_servers == config.services[1].real_servers);
}

TEST_CASE("health_targets: through_tunnel connects to the VIP inside IPIP, for tunnel servers") {
  const auto result = lb::test::load(
      "ports:\n"
      "  - {name: ext, device: net_null0, address: 198.18.1.1/24, gateway: 198.18.1.254}\n"
      "services:\n"
      "  - protocol: tcp\n"
      "    vip: 198.18.1.101\n"
      "    port: 80\n"
      "    health: {check: {type: tcp, through_tunnel: true}}\n"
      "    real_servers:\n"
      "      - {address: 198.18.3.11, forward: tunnel}\n");
  INFO(Catch::Detail::stringify(lb::test::error_lines(result)));
  REQUIRE(result.config);
  const auto targets = health_targets(*result.config);
  REQUIRE(targets.size() == 1);
  CHECK(targets[0].target.addr == ip("198.18.3.11"));
  CHECK(targets[0].target.tunnel_vip == ip("198.18.1.101"));
  CHECK(targets[0].target.check_port() == 80);
  CHECK(targets[0].target.source == ip("198.18.1.1"));
  // Without through_tunnel: the server's own address, no tunnel.
  Config direct = *result.config;
  direct.services[0].health.check->through_tunnel = false;
  CHECK_FALSE(health_targets(direct)[0].target.tunnel_vip.has_value());
}
