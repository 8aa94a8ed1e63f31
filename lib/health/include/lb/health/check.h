// A check ready to run: what to probe (Target) and its CheckSpec validated
// and compiled once (regexes, command words), so a bad spec is reported when
// the configuration is applied and never becomes a failing check.
//
// lib/config can call compile_check on each parsed CheckSpec to report its
// errors with the file and line; Monitor::set_targets compiles again and
// refuses the whole set when any target is wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <lb/health/checked.h>
#include <lb/health/expect.h>
#include <lb/health/model.h>
#include <lb/packet/addr.h>

namespace lb::health {

struct Target {
  uint64_t id = 0;  // the caller's name for it, unique within a Monitor
  packet::Ipv4Addr addr;
  uint16_t port = 0;  // the real server's port; spec.port, when set, is the one checked
  CheckSpec spec;
  // Probes leave from this address when set (the appliance address facing the
  // real server); from whatever the kernel's routing picks otherwise.
  std::optional<packet::Ipv4Addr> source;
  // through_tunnel on an IPIP real server: the VIP its TCP check connects to
  // through the tunnel (the server's address is the outer destination).
  std::optional<packet::Ipv4Addr> tunnel_vip{};

  uint16_t check_port() const noexcept { return spec.port != 0 ? spec.port : port; }
  friend bool operator==(const Target&, const Target&) = default;
};

struct CompiledCheck {
  CheckSpec spec;
  Matcher expect;                    // kSendExpect, kUdp, kProgram
  Matcher expect_body;               // kHttp, kHttps
  std::vector<std::string> command;  // kProgram: words, %h and %p not yet replaced
};

// Every error of the spec, each naming its field: "interval_ms must be at
// least 1", "expect: invalid regex /(/ at offset 1: missing closing
// parenthesis", "command: unterminated ' at offset 3 in the command".
Checked<CompiledCheck> compile_check(const CheckSpec& spec);

// compile_check's errors plus the target's own ("no port to check ...").
std::vector<std::string> target_errors(const Target& target);

const char* to_string(
    CheckType type) noexcept;  // "tcp", "http", "https", "send-expect", "udp", "program"

}  // namespace lb::health
