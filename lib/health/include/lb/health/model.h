// What a health check is, as the configuration describes it: the checks of
// Piranha's nanny (TCP connect, send/expect, "sending program"),
// ldirectord (connect, negotiate http/https, external) and keepalived
// (TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK, UDP), and the policy that turns
// their results into a real server's state.
//
// Pure values: lib/config parses them from YAML (per service, overridable per
// real server), lib/import fills them from lvs.cf, ldirectord.cf and
// keepalived.conf, lib/health runs them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lb::health {

enum class CheckType : uint8_t {
  kTcp,         // connect; success when the handshake completes
  kHttp,        // GET path; status (and body) checked
  kHttps,       // the same over TLS (certificates are not verified, as ldirectord/keepalived)
  kSendExpect,  // TCP: send a string, expect a string or regex in the reply
  kUdp,         // send a datagram, expect a reply (matching `expect` if given)
  kProgram,     // run a command (%h, %p = real server address, port)
};

// What a failed real server becomes: removed from scheduling (nanny,
// keepalived's default), or kept at weight 0 so its established connections
// continue and no new ones arrive (ldirectord quiescent=yes, keepalived
// inhibit_on_failure).
enum class OnFailure : uint8_t { kRemove, kQuiesce };

// An expected string: a substring, or a regex searched in the text (Piranha
// use_regex, ldirectord receive). Regexes are PCRE2 (Perl-compatible, as
// ldirectord's; ECMAScript patterns mean the same). Empty: anything matches.
struct Expect {
  std::string text;
  bool regex = false;
  friend bool operator==(const Expect&, const Expect&) = default;
};

struct CheckSpec {
  CheckType type = CheckType::kTcp;
  uint16_t port = 0;  // 0: the real server's port (a port-0 real server needs one)

  // Schedule and verdict.
  uint32_t interval_ms = 5000;  // between the starts of two checks
  uint32_t timeout_ms = 3000;   // one check's limit (connect + exchange, or the program)
  uint32_t rise = 2;            // consecutive successes that bring a down server up
  uint32_t fall = 3;            // consecutive failures that take an up server down
  // Piranha's times, when set (0 = unused): a failing server goes down only
  // once it has failed for service_timeout_ms ("timeout"), a recovered one
  // comes back only once it has passed for reentry_ms ("reentry"); both in
  // addition to fall/rise.
  uint32_t service_timeout_ms = 0;
  uint32_t reentry_ms = 0;

  // kHttp / kHttps
  std::string path = "/";
  std::string host;                     // Host header; empty: the address checked
  std::vector<uint16_t> expect_status;  // empty: any 2xx or 3xx
  Expect expect_body;                   // searched in the body

  // kSendExpect / kUdp: bytes to send (escapes \n \r \t \\ already decoded)
  // and what the reply must contain.
  std::string send;
  Expect expect;

  // kProgram: a command line (split on blanks, '...' and "..." quote; no
  // shell); success is exit status 0 and, when `expect` is set, its output
  // (stdout) matching it.
  std::string command;

  // For a tunnelled real server: probe it as a client would reach it, with
  // the VIP as the inner destination (IPIP from the appliance).
  bool through_tunnel = false;

  friend bool operator==(const CheckSpec&, const CheckSpec&) = default;
};

// A service's health settings; a real server may replace `check`.
struct HealthSpec {
  std::optional<CheckSpec> check;  // none: the service's real servers are not checked
  OnFailure on_failure = OnFailure::kRemove;
  friend bool operator==(const HealthSpec&, const HealthSpec&) = default;
};

// A real server's state as the checks judge it.
enum class State : uint8_t {
  kUnknown,  // not yet checked: scheduled (as configured) until the first verdict
  kUp,
  kDown,
};

}  // namespace lb::health
