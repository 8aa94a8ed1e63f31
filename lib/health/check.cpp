#include <lb/health/check.h>

#include <fmt/format.h>

#include <lb/health/command.h>

namespace lb::health {

namespace {

// A path or Host header goes into the request line verbatim: a blank or a
// control character would change the request's meaning.
bool request_safe(const std::string& s) {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return false;
  }
  return true;
}

void add_matcher(const Expect& e, const char* field, Matcher& into,
                 std::vector<std::string>& errors) {
  auto m = Matcher::compile(e);
  if (m) {
    into = std::move(*m.value);
  } else {
    for (auto& err : m.errors)
      errors.push_back(fmt::format("{}: {}", field, err));
  }
}

}  // namespace

const char* to_string(CheckType type) noexcept {
  switch (type) {
    case CheckType::kTcp:
      return "tcp";
    case CheckType::kHttp:
      return "http";
    case CheckType::kHttps:
      return "https";
    case CheckType::kSendExpect:
      return "send-expect";
    case CheckType::kUdp:
      return "udp";
    case CheckType::kProgram:
      return "program";
  }
  return "?";
}

Checked<CompiledCheck> compile_check(const CheckSpec& spec) {
  std::vector<std::string> errors;
  CompiledCheck c;
  c.spec = spec;
  if (spec.interval_ms == 0) errors.emplace_back("interval_ms must be at least 1");
  if (spec.timeout_ms == 0) errors.emplace_back("timeout_ms must be at least 1");
  if (spec.rise == 0) errors.emplace_back("rise must be at least 1");
  if (spec.fall == 0) errors.emplace_back("fall must be at least 1");

  switch (spec.type) {
    case CheckType::kTcp:
      break;
    case CheckType::kHttp:
    case CheckType::kHttps:
      if (spec.path.empty() || spec.path.front() != '/' || !request_safe(spec.path)) {
        errors.push_back(fmt::format(
            "path \"{}\" must start with / and hold no blank or control character", spec.path));
      }
      if (!request_safe(spec.host)) {
        errors.push_back(
            fmt::format("host \"{}\" must hold no blank or control character", spec.host));
      }
      for (const uint16_t s : spec.expect_status) {
        if (s < 100 || s > 599) {
          errors.push_back(fmt::format("expect_status {} is not an HTTP status (100-599)", s));
        }
      }
      add_matcher(spec.expect_body, "expect_body", c.expect_body, errors);
      break;
    case CheckType::kSendExpect:
    case CheckType::kUdp:
      add_matcher(spec.expect, "expect", c.expect, errors);
      break;
    case CheckType::kProgram: {
      add_matcher(spec.expect, "expect", c.expect, errors);
      auto words = split_command(spec.command);
      if (words) {
        c.command = std::move(*words.value);
      } else {
        for (auto& err : words.errors)
          errors.push_back(fmt::format("command: {}", err));
      }
      break;
    }
  }
  if (!errors.empty()) return Checked<CompiledCheck>{std::nullopt, std::move(errors)};
  return Checked<CompiledCheck>::ok(std::move(c));
}

std::vector<std::string> target_errors(const Target& target) {
  auto compiled = compile_check(target.spec);
  std::vector<std::string> errors = std::move(compiled.errors);
  if (target.check_port() == 0 && target.spec.type != CheckType::kProgram) {
    errors.emplace_back("no port to check: the real server's port is 0 and the check sets none");
  }
  return errors;
}

}  // namespace lb::health
