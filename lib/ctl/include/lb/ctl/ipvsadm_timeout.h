// ipvsadm 1.31's `-L --timeout` and `--set tcp tcpfin udp`, over lbd's
// `settings` and `set` (reference/ipvsadm-formats.md §7; ipvsadm.c
// parse_timeout, string_to_number, list_timeout).
//
// ipvsadm's three timeouts are three of lbd's: tcp = established, tcpfin =
// fin_wait, udp = udp. Pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include <lb/conn/tcp_state.h>
#include <lb/ctl/ipvsadm_cmdline.h>

namespace lb::ctl::ipvsadm {

// MAX_TIMEOUT (ipvsadm.c): 31 days.
inline constexpr uint32_t kMaxTimeout = conn::kMaxTimeoutS;

// lbd's names for --set's three values, in --set's order.
inline constexpr std::array<std::string_view, 3> kSetTimeoutNames = {"established", "fin_wait",
                                                                     "udp"};

// string_to_number(text, 0, kMaxTimeout): strtol's base-10 syntax (leading
// blanks and a sign allowed, nothing after the digits), nullopt otherwise.
std::optional<uint32_t> parse_timeout(std::string_view text);

// The `set` args for `--set tcp tcpfin udp`: {"timeouts": {...}} holding only
// the non-zero values (0 = leave unchanged), or nullopt when all three are 0
// (nothing to change). A Failure with ipvsadm's text and status 2 for the
// wrong number of values or an invalid one.
std::variant<std::optional<nlohmann::json>, Failure> set_timeout_args(
    std::span<const std::string> values);

// "Timeout (tcp tcpfin udp): 900 120 300\n" from a `settings` result.
// Throws CtlError (bad_reply) naming the missing or ill-typed field.
std::string format_timeout(const nlohmann::json& settings_result);

}  // namespace lb::ctl::ipvsadm
