#include <lb/ctl/ipvsadm_timeout.h>

#include <cerrno>
#include <climits>
#include <cstdlib>

#include <fmt/format.h>

#include <lb/ctl/protocol.h>

namespace lb::ctl::ipvsadm {

std::optional<uint32_t> parse_timeout(std::string_view text) {
  // strtol itself, on a terminated copy: its rules for blanks, signs and
  // overflow are what ipvsadm accepts.
  const std::string copy(text);
  // A NUL inside `text` would end strtol early; ipvsadm's argv cannot hold one.
  if (copy.find('\0') != std::string::npos) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long number = std::strtol(copy.c_str(), &end, 10);
  if (end == copy.c_str() || *end != '\0' || errno == ERANGE) return std::nullopt;
  if (number < 0 || number > long{kMaxTimeout}) return std::nullopt;
  return static_cast<uint32_t>(number);
}

std::variant<std::optional<nlohmann::json>, Failure> set_timeout_args(
    std::span<const std::string> values) {
  if (values.size() != kSetTimeoutNames.size()) {
    return Failure{2, "--set option requires 3 timeout values"};
  }
  nlohmann::json timeouts = nlohmann::json::object();
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto seconds = parse_timeout(values[i]);
    if (!seconds) return Failure{2, fmt::format("invalid timeout value `{}' specified", values[i])};
    if (*seconds != 0) timeouts[std::string(kSetTimeoutNames[i])] = *seconds;
  }
  if (timeouts.empty()) return std::optional<nlohmann::json>{};
  return std::optional<nlohmann::json>{nlohmann::json{{"timeouts", std::move(timeouts)}}};
}

std::string format_timeout(const nlohmann::json& settings) {
  const auto seconds = [&](std::string_view name) -> int {
    const std::string where = fmt::format("timeouts.{}", name);
    const auto timeouts = settings.is_object() ? settings.find("timeouts") : settings.end();
    if (timeouts == settings.end() || !timeouts->is_object()) {
      throw CtlError(errc::kBadReply, "lbd's settings result: timeouts: expected an object");
    }
    const auto it = timeouts->find(std::string(name));
    // ipvsadm prints the kernel's int fields with %d.
    if (it == timeouts->end() || !it->is_number_integer() || it->get<int64_t>() < 0 ||
        it->get<int64_t>() > INT_MAX) {
      throw CtlError(errc::kBadReply, fmt::format("lbd's settings result: {}: expected an integer "
                                                  "in 0..{}",
                                                  where, INT_MAX));
    }
    return it->get<int>();
  };
  return fmt::format("Timeout (tcp tcpfin udp): {} {} {}\n", seconds(kSetTimeoutNames[0]),
                     seconds(kSetTimeoutNames[1]), seconds(kSetTimeoutNames[2]));
}

}  // namespace lb::ctl::ipvsadm
