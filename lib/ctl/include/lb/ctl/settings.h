// lbd's run-time settings as the control socket names them: the `settings`
// result and the args of `set`, and lbctl's `set KEY=VALUE...` syntax for
// them.
//
//   settings -> {"expire_nodest_conn": bool, "timeouts": {"none": 2, ...}}
//   set args    {"expire_nodest_conn": bool, "timeouts": {NAME: seconds}}
//               (both optional; lbd applies all or nothing)
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <lb/conn/tcp_state.h>

namespace lb::ctl {

// The timeouts by name, in the order lbd's configuration lists them (the
// TCP states' kernel names in lower case, then UDP and ICMP).
using conn::kTimeoutNames;
// The range `set` accepts, in seconds (the kernel's upper limit, 31 days).
inline constexpr uint32_t kMinTimeoutSeconds = 1;
inline constexpr uint32_t kMaxTimeoutSeconds = conn::kMaxTimeoutS;

// A word of `lbctl set` that is not KEY=VALUE with a known key and a valid
// value; what() names the word and what was expected.
class SetSyntaxError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// `expire_nodest_conn=yes|no|true|false` and `timeouts.NAME=SECONDS` words
// -> the `set` args. Throws SetSyntaxError for an empty list, a malformed
// word, an unknown key, a bad value or a key given twice.
nlohmann::json parse_set_assignments(std::span<const std::string> words);

// One line naming every key `lbctl set` takes and its values.
std::string set_keys_help();

}  // namespace lb::ctl
