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

bool with_lbd(const Globals& globals, std::string_view cmd,
              const std::function<void(ctl::ControlClient& client)>& body) {
  try {
    ctl::ControlClient client(globals.socket, globals.timeout);
    body(client);
    return true;
  } catch (const ctl::CtlError& e) {
    if (e.code() == ctl::errc::kBadReply) {
      // lbd answered, but not in a form lbctl understands: not lbd's error.
      std::cerr << fmt::format("lbctl: {}\n", e.what());
    } else {
      std::cerr << fmt::format("lbctl: lbd answered '{}' with an error: {} ({})\n", cmd, e.what(),
                               e.code());
    }
  } catch (const std::exception& e) {
    std::cerr << fmt::format("lbctl: {}\n", e.what());
  }
  return false;
}

std::optional<nlohmann::json> call_lbd(const Globals& globals, const std::string& cmd,
                                       const nlohmann::json& args) {
  std::optional<nlohmann::json> result;
  if (!with_lbd(globals, cmd, [&](ctl::ControlClient& client) { result = client.call(cmd, args); }))
    return std::nullopt;
  return result;
}

void print_json(const nlohmann::json& result) {
  std::cout << result.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

}  // namespace lb::lbctl
