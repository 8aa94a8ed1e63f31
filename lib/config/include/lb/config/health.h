// The rules a health check's settings follow, as lbd reads them: the words
// for check types and failure actions, each field's range, the keys each
// type takes and the rules relating a check's fields.
//
// Shared by the file parser (parse_health.cpp), live edits (edit_health.cpp)
// and the importers, so that all three accept exactly the same checks and
// say the same thing about the others. Pure functions on values. Piranha's
// escapes in the texts sent and expected are lib/health's own
// (lb/health/escapes.h), and so is the last word on a check: check_problems
// includes everything health::compile_check refuses, so a configuration lbd
// accepts is one its health Monitor runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <lb/health/checked.h>
#include <lb/health/model.h>

namespace lb::config {

// Ranges, in the model's units (milliseconds).
inline constexpr uint32_t kMinCheckIntervalMs = 100;
inline constexpr uint32_t kMaxCheckIntervalMs = 3600000;  // an hour
inline constexpr uint32_t kMinCheckTimeoutMs = 10;
inline constexpr uint32_t kMaxCheckTimeoutMs = kMaxCheckIntervalMs;
inline constexpr uint32_t kMaxRiseFall = 100;
inline constexpr uint32_t kMaxPiranhaTimeMs = 86400000;  // a day; 0 = unused
// send, expect, expect_body, command, path: a check is a probe, not a payload.
inline constexpr size_t kMaxCheckText = 4096;
inline constexpr size_t kMaxHostHeader = 255;
inline constexpr uint32_t kMinHttpStatus = 100;
inline constexpr uint32_t kMaxHttpStatus = 599;

// A check's timeout when none is given: the model's default (3000 ms), or
// the interval when that is shorter, so that `interval_ms: 1000` alone is a
// valid check. A timeout at this default follows the interval when a live
// edit changes only the interval.
constexpr uint32_t default_timeout_ms(uint32_t interval_ms) noexcept {
  return interval_ms < health::CheckSpec{}.timeout_ms ? interval_ms
                                                      : health::CheckSpec{}.timeout_ms;
}

std::string_view check_type_name(health::CheckType type) noexcept;
std::optional<health::CheckType> parse_check_type(std::string_view name) noexcept;
// "tcp, http, https, send_expect, udp, program"
std::string check_type_names();

std::string_view on_failure_name(health::OnFailure action) noexcept;  // "remove", "quiesce"
std::optional<health::OnFailure> parse_on_failure(std::string_view name) noexcept;

// `send`, `expect` or `expect_body` as written (not a regex) -> the bytes,
// by health::decode_escapes (Piranha's \n \r \t and \\, and \xHH), or why
// not, with a hint: "a backslash at offset 4 ends the string: nothing to
// escape (write \\ for a backslash)". health::encode_escapes is the inverse.
health::Checked<std::string> decode_text(std::string_view text);

// The keys of a check map, by the file's names, in the order the file and
// the emitter use.
inline constexpr std::string_view kCheckKeys[] = {"type",
                                                  "port",
                                                  "interval_ms",
                                                  "timeout_ms",
                                                  "rise",
                                                  "fall",
                                                  "service_timeout_ms",
                                                  "reentry_ms",
                                                  "path",
                                                  "host",
                                                  "expect_status",
                                                  "expect_body",
                                                  "send",
                                                  "expect",
                                                  "command",
                                                  "through_tunnel"};

// Why `key` is not one a check of `type` takes ("path is only for type http
// or https, not tcp"); empty when it takes it.
std::string key_problem(health::CheckType type, std::string_view key);

// Field checks: why the value cannot be used, or empty.
std::string path_problem(std::string_view path);        // "/health": no blank, no control char
std::string host_problem(std::string_view host);        // a Host header's value
std::string command_problem(std::string_view command);  // absolute program path first
// A regex as the health engine compiles it (health::Matcher, PCRE2), with
// PCRE2's message: "invalid regex /(/ at offset 1: missing closing parenthesis".
std::string regex_problem(std::string_view pattern);

struct CheckProblem {
  std::string key;  // the field the problem is reported at (kCheckKeys)
  std::string message;
};

// The rules relating a check's fields, once each was read on its own: the
// timeout within the interval, a program to run, something to send or
// expect, texts of at most kMaxCheckText bytes; then, at the field each
// names, health::compile_check's errors (regexes PCRE2 compiles, a command
// that splits into words, ...) for the fields not already reported.
std::vector<CheckProblem> check_problems(const health::CheckSpec& check);

// One line saying what a check does, for change logs and listings:
// "http port 8080 GET /health expect 200, every 2000 ms (timeout 1000 ms,
// rise 2, fall 3)".
std::string describe_check(const health::CheckSpec& check);

}  // namespace lb::config
