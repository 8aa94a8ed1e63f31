#include "change_log.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <lb/config/changes.h>

namespace lb::daemon {

namespace {

// Commands that only read: copying the configuration around them would be
// wasted on every monitoring poll. A command not listed is treated as one
// that may change the configuration: the cost of a wrong guess is a copy,
// never a change left out of the log.
constexpr std::array<std::string_view, 8> kReadOnly = {
    "status", "services", "stats", "connections", "settings", "config", "lookup", "save"};

bool read_only(std::string_view cmd) {
  return std::find(kReadOnly.begin(), kReadOnly.end(), cmd) != kReadOnly.end();
}

bool registered(const ctl::Dispatcher& dispatcher, const std::string& cmd) {
  const auto names = dispatcher.names();
  return std::binary_search(names.begin(), names.end(), cmd);
}

}  // namespace

void log_changes(std::string_view cause, const config::Config& before,
                 const config::Config& after) {
  for (const auto& line : config::describe_changes(before, after))
    spdlog::info("{}: {}", cause, line);
}

ctl::ControlServer::Handler logged_handler(const ctl::Dispatcher& dispatcher,
                                           const ControlContext* const& ctx) {
  return [&dispatcher, &ctx](const ctl::Request& request) -> nlohmann::json {
    // Unknown commands change nothing, and hostile input must not be able to
    // flood the log through them.
    if (ctx == nullptr || read_only(request.cmd) || !registered(dispatcher, request.cmd)) {
      return dispatcher(request);
    }
    const config::Config before = ctx->config;
    const std::string cause = fmt::format("lbctl {}", request.cmd);
    try {
      nlohmann::json result = dispatcher(request);
      log_changes(cause, before, ctx->config);
      return result;
    } catch (const ctl::CtlError& e) {
      spdlog::warn("{} refused ({}): {}", cause, e.code(), e.what());
      throw;
    }
  };
}

}  // namespace lb::daemon
