#include "publish.h"

#include <spdlog/spdlog.h>

namespace lb::daemon {

void publish(ControlContext& ctx, const config::Config& next) {
  ctx.health.validate(next);
  const config::Config scheduled = ctx.health.scheduling(next);
  ctx.dataplane.reload(scheduled);
  ctx.health.set_config(next);
  ctx.health.log_sorry_servers(scheduled);
}

void republish(ControlContext& ctx) noexcept {
  try {
    const config::Config scheduled = ctx.health.scheduling(ctx.config);
    ctx.dataplane.reload(scheduled);
    ctx.health.log_sorry_servers(scheduled);
  } catch (const std::exception& e) {
    spdlog::error(
        "health: the data plane refused the verdicts' configuration, it runs the "
        "previous one: {}",
        e.what());
  }
}

}  // namespace lb::daemon
