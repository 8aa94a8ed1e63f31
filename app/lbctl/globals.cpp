#include "globals.h"

#include <fmt/format.h>

#include <cstdlib>
#include <iostream>

#include <lb/ctl/protocol.h>

namespace lb::lbctl {

std::string default_socket() {
  const char* env = std::getenv("LBD_SOCKET");
  return env != nullptr && *env != '\0' ? env : ctl::kDefaultSocketPath;
}

std::optional<nlohmann::json> call_lbd(const Globals& globals, const std::string& cmd) {
  try {
    return ctl::call(globals.socket, cmd, nullptr, globals.timeout);
  } catch (const ctl::CtlError& e) {
    std::cerr << fmt::format("lbctl: lbd answered '{}' with an error: {} ({})\n", cmd, e.what(),
                             e.code());
  } catch (const std::exception& e) {
    std::cerr << fmt::format("lbctl: {}\n", e.what());
  }
  return std::nullopt;
}

void print_json(const nlohmann::json& result) {
  std::cout << result.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

}  // namespace lb::lbctl
