// lbd: the load balancer daemon.
//
//   lbd --config FILE            run (SIGHUP or `lbctl reload` re-reads FILE)
//   lbd --config FILE --check-config   validate and exit (0 when valid)
//
// Logs go to stderr, and to syslog with `logging.syslog` (lib/log); under
// systemd (Type=notify, conf/lbd.service) lbd reports READY=1 once it
// serves, STOPPING=1 when it stops.
//
// Start-up order: configuration (all errors reported, nothing started on any),
// control socket and metrics address, EAL, data plane (ports, tables,
// snapshot), workers, metrics endpoint, health checks; then the control thread serves lbctl
// and metrics scrapes and does housekeeping until SIGINT/SIGTERM, when
// everything stops in reverse order.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <rte_eal.h>

#include <lb/config/load.h>
#include <lb/ctl/dispatcher.h>
#include <lb/ctl/server.h>
#include <lb/dataplane/dataplane.h>
#include <lb/dataplane/eal.h>
#include <lb/log/setup.h>

#include "change_log.h"
#include "control_api.h"
#include "event_loop.h"
#include "metrics_server.h"
#include "publish.h"
#include "sd_notify.h"

namespace {

using namespace std::chrono_literals;

int run(const lb::config::Config& cfg, const std::string& config_path, const std::string& argv0) {
  lb::daemon::EventLoop::block_signals();
  const auto logging = lb::log::setup(cfg.logging);
  spdlog::info("lbd {} starting (pid {}): configuration {}, logging to {}", LBD_VERSION, getpid(),
               config_path, logging.summary);
  // The socket first: a second lbd pointed at a running one's socket stops
  // here, before it touches DPDK or any device.
  lb::ctl::Dispatcher dispatcher;
  const lb::daemon::ControlContext* served = nullptr;  // set once the data plane exists
  lb::ctl::ServerOptions options;
  if (cfg.control.socket_group) options.group = *cfg.control.socket_group;
  options.max_clients = cfg.control.max_clients;
  options.idle_timeout = std::chrono::milliseconds(cfg.control.idle_timeout_ms);
  lb::ctl::ControlServer server(cfg.control.socket, lb::daemon::logged_handler(dispatcher, served),
                                options);
  std::optional<lb::daemon::MetricsServer> metrics;
  if (cfg.metrics.listen) metrics.emplace(*cfg.metrics.listen);

  const auto eal_args = lb::dataplane::eal_args(cfg, argv0);
  spdlog::info("DPDK EAL arguments: {}", fmt::join(eal_args.begin() + 1, eal_args.end(), " "));
  lb::dataplane::init_eal(eal_args);
  int rc = 0;
  try {
    // The health checks' thread runs on the control core (it inherits the
    // main lcore's affinity and blocked signals). With no verdict yet every
    // server is scheduled as configured; a service without any enabled real
    // server starts on its sorry server.
    lb::daemon::HealthControl health;
    health.validate(cfg);
    lb::dataplane::Dataplane dp(health.scheduling(cfg));
    lb::daemon::ControlContext ctx{dp, health, config_path, cfg, std::chrono::steady_clock::now(),
                                   cfg};
    lb::daemon::register_commands(dispatcher, ctx);
    served = &ctx;

    lb::daemon::EventLoop loop(10ms);
    loop.watch(server.fd(), [&server] { server.process(); });
    if (metrics) {
      metrics->start();
      loop.watch(metrics->fd(), [&metrics, &ctx] {
        metrics->process([&ctx] { return lb::daemon::metrics_page(ctx); });
      });
      spdlog::info("metrics endpoint: http://{}/metrics", metrics->address().to_string());
    }
    loop.watch(health.event_fd(), [&ctx] {
      if (ctx.health.take_events()) lb::daemon::republish(ctx);
    });
    dp.start();
    // Once the ports run: probes leave through their exception paths.
    health.set_config(cfg);
    health.log_sorry_servers(health.scheduling(cfg));
    spdlog::info("lbd {} ready: {} service(s), control socket {}", LBD_VERSION, cfg.services.size(),
                 cfg.control.socket);
    lb::daemon::log_changes("start", lb::config::Config{}, cfg);
    lb::daemon::notify_systemd(
        fmt::format("READY=1\nSTATUS=serving {} service(s)", cfg.services.size()));
    const int sig = loop.run([&dp] { dp.tick(); },
                             [&ctx] {
                               const lb::config::Config before = ctx.config;
                               try {
                                 lb::daemon::reload(ctx);
                                 lb::daemon::log_changes("SIGHUP reload", before, ctx.config);
                               } catch (const std::exception& e) {
                                 spdlog::error("SIGHUP: reload refused:\n{}", e.what());
                               }
                             });
    served = nullptr;
    lb::daemon::notify_systemd("STOPPING=1");
    spdlog::info("{} received: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
    if (metrics) metrics->stop();
    dp.stop();
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    rc = 1;
  }
  rte_eal_cleanup();
  if (rc == 0) spdlog::info("stopped");
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lbd: userspace L4 load balancer (IPVS replacement) on DPDK"};
  std::string config_path;
  bool check_only = false;
  app.add_option("-c,--config", config_path, "YAML configuration file")->required();
  app.add_flag("--check-config", check_only, "validate the configuration and exit");
  app.set_version_flag("--version", std::string("lbd ") + LBD_VERSION);
  CLI11_PARSE(app, argc, argv);

  lb::log::setup_early();
  const auto loaded = lb::config::load_file(config_path);
  if (!loaded.config) {
    for (const auto& e : loaded.errors)
      fmt::print(stderr, "{}\n", e.to_string());
    fmt::print(stderr, "lbd: {} error(s) in {}; nothing started\n", loaded.errors.size(),
               config_path);
    return 1;
  }
  const auto& cfg = *loaded.config;
  if (check_only) {
    fmt::print("{}: configuration OK ({} port(s), {} service(s))\n", config_path, cfg.ports.size(),
               cfg.services.size());
    return 0;
  }
  try {
    return run(cfg, config_path, argv[0]);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
}
