#include <lb/ctl/settings.h>

#include <algorithm>
#include <charconv>
#include <optional>

#include <fmt/format.h>

namespace lb::ctl {

namespace {

constexpr std::string_view kExpireKey = "expire_nodest_conn";
constexpr std::string_view kTimeoutPrefix = "timeouts.";

bool known_timeout(std::string_view name) {
  return std::find(kTimeoutNames.begin(), kTimeoutNames.end(), name) != kTimeoutNames.end();
}

std::optional<bool> parse_bool(std::string_view text) {
  if (text == "yes" || text == "true") return true;
  if (text == "no" || text == "false") return false;
  return std::nullopt;
}

// Plain decimal seconds: no sign, no blanks, no unit.
std::optional<uint32_t> parse_seconds(std::string_view text) {
  uint32_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (value < kMinTimeoutSeconds || value > kMaxTimeoutSeconds) return std::nullopt;
  return value;
}

}  // namespace

std::string set_keys_help() {
  std::string timeouts;
  for (const std::string_view name : kTimeoutNames) {
    if (!timeouts.empty()) timeouts += ", ";
    timeouts += fmt::format("{}{}", kTimeoutPrefix, name);
  }
  return fmt::format("valid keys: {} (yes, no, true or false); {} (seconds, {}..{})", kExpireKey,
                     timeouts, kMinTimeoutSeconds, kMaxTimeoutSeconds);
}

nlohmann::json parse_set_assignments(std::span<const std::string> words) {
  if (words.empty()) throw SetSyntaxError("nothing to set: give at least one KEY=VALUE");
  nlohmann::json args = nlohmann::json::object();
  for (const std::string& word : words) {
    const std::size_t eq = word.find('=');
    if (eq == std::string::npos) {
      throw SetSyntaxError(fmt::format("'{}' is not KEY=VALUE", word));
    }
    const std::string_view key = std::string_view(word).substr(0, eq);
    const std::string_view value = std::string_view(word).substr(eq + 1);
    if (key == kExpireKey) {
      const auto flag = parse_bool(value);
      if (!flag) {
        throw SetSyntaxError(
            fmt::format("'{}': {} takes yes, no, true or false", word, kExpireKey));
      }
      if (args.contains(std::string(kExpireKey))) {
        throw SetSyntaxError(fmt::format("'{}': {} is given twice", word, key));
      }
      args[std::string(kExpireKey)] = *flag;
      continue;
    }
    const std::string_view name =
        key.starts_with(kTimeoutPrefix) ? key.substr(kTimeoutPrefix.size()) : std::string_view();
    if (!known_timeout(name))
      throw SetSyntaxError(fmt::format("'{}': unknown key '{}'", word, key));
    const auto seconds = parse_seconds(value);
    if (!seconds) {
      throw SetSyntaxError(fmt::format("'{}': {} takes whole seconds, {}..{}", word, key,
                                       kMinTimeoutSeconds, kMaxTimeoutSeconds));
    }
    nlohmann::json& timeouts = args["timeouts"];
    if (timeouts.contains(std::string(name))) {
      throw SetSyntaxError(fmt::format("'{}': {} is given twice", word, key));
    }
    timeouts[std::string(name)] = *seconds;
  }
  return args;
}

}  // namespace lb::ctl
