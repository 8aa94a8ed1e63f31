#include <lb/config/health.h>

#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <lb/health/check.h>
#include <lb/health/escapes.h>
#include <lb/health/expect.h>

namespace lb::config {

namespace {

using health::CheckType;

constexpr std::array<std::pair<std::string_view, CheckType>, 6> kTypes = {{
    {"tcp", CheckType::kTcp},
    {"http", CheckType::kHttp},
    {"https", CheckType::kHttps},
    {"send_expect", CheckType::kSendExpect},
    {"udp", CheckType::kUdp},
    {"program", CheckType::kProgram},
}};

bool is_http(CheckType type) {
  return type == CheckType::kHttp || type == CheckType::kHttps;
}

// A text carried into a request line or header: printable ASCII, no blank.
bool printable_word(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

}  // namespace

std::string_view check_type_name(CheckType type) noexcept {
  for (const auto& [name, value] : kTypes) {
    if (value == type) return name;
  }
  return "tcp";
}

std::optional<CheckType> parse_check_type(std::string_view name) noexcept {
  for (const auto& [word, value] : kTypes) {
    if (word == name) return value;
  }
  return std::nullopt;
}

std::string check_type_names() {
  std::vector<std::string_view> names;
  for (const auto& [name, value] : kTypes)
    names.push_back(name);
  return fmt::format("{}", fmt::join(names, ", "));
}

std::string_view on_failure_name(health::OnFailure action) noexcept {
  return action == health::OnFailure::kQuiesce ? "quiesce" : "remove";
}

std::optional<health::OnFailure> parse_on_failure(std::string_view name) noexcept {
  if (name == "remove") return health::OnFailure::kRemove;
  if (name == "quiesce") return health::OnFailure::kQuiesce;
  return std::nullopt;
}

health::Checked<std::string> decode_text(std::string_view text) {
  auto bytes = health::decode_escapes(text);
  for (auto& error : bytes.errors)
    error += " (write \\\\ for a backslash)";
  return bytes;
}

std::string key_problem(CheckType type, std::string_view key) {
  const std::string_view name = check_type_name(type);
  if (key == "path" || key == "host" || key == "expect_status" || key == "expect_body") {
    if (!is_http(type)) return fmt::format("{} is only for type http or https, not {}", key, name);
  } else if (key == "send") {
    if (type != CheckType::kSendExpect && type != CheckType::kUdp) {
      return fmt::format("send is only for type send_expect or udp, not {}", name);
    }
  } else if (key == "expect") {
    if (type != CheckType::kSendExpect && type != CheckType::kUdp && type != CheckType::kProgram) {
      return fmt::format("expect is only for type send_expect, udp or program, not {}{}", name,
                         is_http(type) ? " (an HTTP check's body is matched by expect_body)" : "");
    }
  } else if (key == "command") {
    if (type != CheckType::kProgram) {
      return fmt::format("command is only for type program, not {}", name);
    }
  } else if (key == "through_tunnel") {
    if (type != CheckType::kTcp) {
      return fmt::format(
          "through_tunnel is only for type tcp, not {} (through the tunnel lbd opens the "
          "connection itself, without the kernel's TCP)",
          name);
    }
  }
  return {};
}

std::string path_problem(std::string_view path) {
  if (path.empty() || path.front() != '/') {
    return "expected an absolute path starting with / (e.g. /health)";
  }
  if (path.size() > kMaxCheckText) {
    return fmt::format("a path is at most {} characters, got {}", kMaxCheckText, path.size());
  }
  if (!printable_word(path)) {
    return "a path cannot contain blanks or control characters (encode them: %20)";
  }
  return {};
}

std::string host_problem(std::string_view host) {
  if (host.empty() || host.size() > kMaxHostHeader) {
    return fmt::format("expected a host name of 1..{} characters, got {}", kMaxHostHeader,
                       host.size());
  }
  if (!printable_word(host)) return "a host name cannot contain blanks or control characters";
  return {};
}

std::string command_problem(std::string_view command) {
  const size_t start = command.find_first_not_of(" \t");
  if (start == std::string_view::npos) return "expected a command, got only blanks";
  if (command.size() > kMaxCheckText) {
    return fmt::format("a command is at most {} characters, got {}", kMaxCheckText, command.size());
  }
  if (command.find('\0') != std::string_view::npos) {
    return "a command cannot contain a NUL character";
  }
  const std::string_view program = command.substr(start, command.find_first_of(" \t", start));
  if (program.front() != '/') {
    return fmt::format(
        "the program \"{}\" must be given by its absolute path (lbd runs it without a shell or "
        "PATH search)",
        program);
  }
  return {};
}

std::string regex_problem(std::string_view pattern) {
  auto matcher = health::Matcher::compile(health::Expect{std::string(pattern), true});
  return matcher ? std::string() : matcher.errors.front();
}

namespace {

// compile_check names the field first in each error ("expect: invalid regex
// ...", "path \"x\" must ..."): the key to report it at, and its message
// without the "key: " that the report's own place already says. An error
// naming no key of a check is the whole check's, reported at its type.
CheckProblem engine_problem(const std::string& error) {
  const std::string_view word =
      std::string_view(error).substr(0, error.find_first_not_of("abcdefghijklmnopqrstuvwxyz_"));
  if (std::find(std::begin(kCheckKeys), std::end(kCheckKeys), word) == std::end(kCheckKeys)) {
    return {"type", error};
  }
  if (error.compare(word.size(), 2, ": ") == 0) {
    return {std::string(word), error.substr(word.size() + 2)};
  }
  return {std::string(word), error};
}

}  // namespace

std::vector<CheckProblem> check_problems(const health::CheckSpec& check) {
  std::vector<CheckProblem> problems;
  if (check.timeout_ms > check.interval_ms) {
    problems.push_back(
        {"timeout_ms", fmt::format("timeout_ms {} is longer than interval_ms {}: a check must end "
                                   "before the next one starts",
                                   check.timeout_ms, check.interval_ms)});
  }
  if (check.type == CheckType::kProgram && check.command.empty()) {
    problems.push_back(
        {"command", "type program needs a command (the program to run, by its absolute path)"});
  }
  if (check.type == CheckType::kSendExpect && check.send.empty() && check.expect.text.empty()) {
    problems.push_back({"send",
                        "type send_expect needs send or expect (or both); to only connect, use "
                        "type tcp"});
  }
  for (const auto& [key, text] : {std::pair{"send", &check.send},
                                  {"expect", &check.expect.text},
                                  {"expect_body", &check.expect_body.text}}) {
    if (text->size() > kMaxCheckText) {
      problems.push_back(
          {key, fmt::format("{} is at most {} bytes, got {}", key, kMaxCheckText, text->size())});
    }
  }
  // Then whatever the engine refuses (a regex PCRE2 cannot compile, a
  // command it cannot split into words, ...): Monitor::set_targets runs the
  // same compile_check and refuses the whole target set for one bad check. A
  // field already reported above keeps the friendlier message alone.
  for (const auto& error : health::compile_check(check).errors) {
    CheckProblem problem = engine_problem(error);
    const bool reported = std::any_of(problems.begin(), problems.end(),
                                      [&](const CheckProblem& p) { return p.key == problem.key; });
    if (!reported) problems.push_back(std::move(problem));
  }
  return problems;
}

namespace {

// A text for a log line: Piranha's escapes as the file writes them
// (health::encode_escapes, so \xNN for any byte outside printable ASCII), a
// regex as written but for those bytes, so that nothing can garble the line.
std::string shown(std::string_view text, bool regex = false) {
  if (!regex) return health::encode_escapes(text);
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    out += byte < 0x20 || byte >= 0x7f ? fmt::format("\\x{:02x}", byte) : std::string(1, c);
  }
  return out;
}

}  // namespace

std::string describe_check(const health::CheckSpec& check) {
  std::string out(check_type_name(check.type));
  if (check.port != 0) out += fmt::format(" port {}", check.port);
  if (is_http(check.type)) {
    out += " GET " + check.path;
    if (!check.host.empty()) out += " host " + check.host;
    if (!check.expect_status.empty()) {
      out += fmt::format(" expect {}", fmt::join(check.expect_status, ","));
    }
    if (!check.expect_body.text.empty()) {
      out += fmt::format(" body {} \"{}\"", check.expect_body.regex ? "matching" : "containing",
                         shown(check.expect_body.text, check.expect_body.regex));
    }
  }
  if (!check.send.empty()) out += fmt::format(" send \"{}\"", shown(check.send));
  if (check.type == CheckType::kProgram) out += " run \"" + check.command + "\"";
  if (!check.expect.text.empty()) {
    out += fmt::format(" expect {}\"{}\"", check.expect.regex ? "regex " : "",
                       shown(check.expect.text, check.expect.regex));
  }
  if (check.through_tunnel) out += " through the tunnel";
  out += fmt::format(", every {} ms (timeout {} ms, rise {}, fall {}", check.interval_ms,
                     check.timeout_ms, check.rise, check.fall);
  if (check.service_timeout_ms != 0) {
    out += fmt::format(", service timeout {} ms", check.service_timeout_ms);
  }
  if (check.reentry_ms != 0) out += fmt::format(", reentry {} ms", check.reentry_ms);
  return out + ")";
}

}  // namespace lb::config
