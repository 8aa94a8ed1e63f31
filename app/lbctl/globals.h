// What every lbctl command needs to know, from lbctl's global options.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <lb/ctl/client.h>

namespace lb::lbctl {

// Exit statuses (ipvsadm's own failures keep ipvsadm's statuses).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // lbd unreachable or answered with an error
inline constexpr int kExitUsage = 2;

struct Globals {
  std::string socket = ctl::kDefaultSocketPath;
  bool json = false;  // print results as JSON instead of tables
  std::chrono::milliseconds timeout = ctl::kDefaultTimeout;
};

// The socket to use when no -S/--socket is given: $LBD_SOCKET, else the
// default path.
std::string default_socket();

// Calls lbd's `cmd` with `args` (null: none). On failure prints
// "lbctl: <reason>" to stderr and returns nullopt (the caller exits with
// kExitFailed).
std::optional<nlohmann::json> call_lbd(const Globals& globals, const std::string& cmd,
                                       const nlohmann::json& args = nullptr);

// Runs `body` on one connection to lbd, for commands that take several
// calls. Whatever it throws is reported as call_lbd reports failures, `cmd`
// naming the lbd command in the message; returns false then.
bool with_lbd(const Globals& globals, std::string_view cmd,
              const std::function<void(ctl::ControlClient& client)>& body);

// Prints a result as lbctl --json does: indented, one trailing newline.
void print_json(const nlohmann::json& result);

}  // namespace lb::lbctl
