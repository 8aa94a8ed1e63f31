// A service's `health` (its check and what a failure does), a real server's
// own `check`, and a service's `sorry_server` (conf/README.md documents
// them; keep them in step). Each field is checked here on its own and the
// rules relating a check's fields (lb/config/health.h) once all were read;
// the rules relating a check or a sorry server to the service's real servers
// live in validate_health.cpp.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <lb/config/health.h>

#include "parse.h"

namespace lb::config::detail {

namespace {

using health::CheckSpec;
using health::CheckType;

constexpr int64_t kMaxPort = 65535;

std::optional<CheckType> read_check_type(Reader& reader, const Field& field) {
  auto text = read_string(reader, field);
  if (!text) return std::nullopt;
  auto type = parse_check_type(*text);
  if (!type) {
    reader.error(field, fmt::format("expected one of: {}; got {}", check_type_names(),
                                    describe(field.node)));
  }
  return type;
}

// A text read on its own and checked by `problem` (path_problem, ...).
std::optional<std::string> read_checked(Reader& reader, const Field& field,
                                        std::string (*problem)(std::string_view)) {
  auto text = read_string(reader, field);
  if (!text) return std::nullopt;
  if (auto why = problem(*text); !why.empty()) {
    reader.error(field, fmt::format("{}; got {}", why, describe(field.node)));
    return std::nullopt;
  }
  return text;
}

// A text sent or expected (`text`, as `field` holds it), Piranha's escapes
// decoded; a bad escape is an error at the field.
std::optional<std::string> decoded(Reader& reader, const Field& field, const std::string& text) {
  auto bytes = decode_text(text);
  if (!bytes) {
    reader.error(field, fmt::format("{}; got {}", bytes.errors.front(), describe(field.node)));
    return std::nullopt;
  }
  return std::move(*bytes.value);
}

std::optional<std::string> read_escaped(Reader& reader, const Field& field) {
  auto text = read_string(reader, field);
  if (!text) return std::nullopt;
  return decoded(reader, field, *text);
}

// `expect: TEXT` or `expect: {text: TEXT, regex: true}`. A text that is not a
// regex has Piranha's escapes decoded (a regex has its own).
std::optional<health::Expect> read_expect(Reader& reader, const Field& field) {
  if (field.node.IsScalar()) {
    auto text = read_escaped(reader, field);
    if (!text) return std::nullopt;
    return health::Expect{std::move(*text), false};
  }
  if (!field.node.IsMap()) {
    reader.error(field,
                 "expected a string, or a map with keys: text, regex; got " + describe(field.node));
    return std::nullopt;
  }
  const MapReader map(reader, field, {"text", "regex"});
  health::Expect expect;
  auto text_field = map.require("text");
  std::optional<std::string> text;
  if (text_field) text = read_string(reader, *text_field);
  if (auto f = map.get("regex")) {
    auto regex = read_bool(reader, *f);
    if (!regex) return std::nullopt;
    expect.regex = *regex;
  }
  if (!text) return std::nullopt;
  if (!expect.regex) {
    text = decoded(reader, *text_field, *text);
    if (!text) return std::nullopt;
  }
  expect.text = std::move(*text);
  return expect;
}

// `expect_status: 200` or `expect_status: [200, 301]`.
std::optional<std::vector<uint16_t>> read_statuses(Reader& reader, const Field& field) {
  std::vector<Field> elements;
  if (field.node.IsSequence()) {
    elements = read_list(reader, field).value_or(std::vector<Field>{});
    if (elements.empty()) {
      reader.error(field,
                   "expected a non-empty list of HTTP status codes, got an empty list; leave "
                   "expect_status out to accept any 2xx or 3xx");
      return std::nullopt;
    }
  } else {
    elements.push_back(field);
  }
  std::vector<uint16_t> statuses;
  bool ok = true;
  for (const Field& element : elements) {
    auto code = read_int(reader, element, kMinHttpStatus, kMaxHttpStatus);
    if (!code) {
      ok = false;
      continue;
    }
    if (std::find(statuses.begin(), statuses.end(), *code) != statuses.end()) {
      reader.error(element, fmt::format("status {} is listed twice", *code));
      ok = false;
      continue;
    }
    statuses.push_back(static_cast<uint16_t>(*code));
  }
  return ok ? std::optional(statuses) : std::nullopt;
}

}  // namespace

std::optional<CheckSpec> parse_check(Reader& reader, const Field& field, CheckSites& sites) {
  const size_t errors_before = reader.error_count();
  sites.entry = site_of(field, false);
  const MapReader map(reader, field,
                      {"type", "port", "interval_ms", "timeout_ms", "rise", "fall",
                       "service_timeout_ms", "reentry_ms", "path", "host", "expect_status",
                       "expect_body", "send", "expect", "command", "through_tunnel"});
  if (!map.is_map()) return std::nullopt;
  CheckSpec check;
  std::optional<CheckType> type;
  if (auto f = map.require("type")) type = read_check_type(reader, *f);
  if (type) check.type = *type;

  // A key the type does not take is reported and not read; with no valid
  // type the keys are read but not judged against it.
  const auto given = [&](std::string_view key) -> std::optional<Field> {
    auto f = map.get(key);
    if (!f || !type) return f;
    if (auto problem = key_problem(*type, key); !problem.empty()) {
      reader.error(*f, problem);
      return std::nullopt;
    }
    return f;
  };
  if (auto f = given("port")) {
    sites.port = site_of(*f, read_int_key(reader, map, "port", check.port, 1, kMaxPort));
  }
  read_int_key(reader, map, "interval_ms", check.interval_ms, kMinCheckIntervalMs,
               kMaxCheckIntervalMs);
  check.timeout_ms = default_timeout_ms(check.interval_ms);
  read_int_key(reader, map, "timeout_ms", check.timeout_ms, kMinCheckTimeoutMs, kMaxCheckTimeoutMs);
  read_int_key(reader, map, "rise", check.rise, 1, kMaxRiseFall);
  read_int_key(reader, map, "fall", check.fall, 1, kMaxRiseFall);
  read_int_key(reader, map, "service_timeout_ms", check.service_timeout_ms, 0, kMaxPiranhaTimeMs);
  read_int_key(reader, map, "reentry_ms", check.reentry_ms, 0, kMaxPiranhaTimeMs);
  if (auto f = given("path")) {
    if (auto path = read_checked(reader, *f, path_problem)) check.path = *path;
  }
  if (auto f = given("host")) {
    if (auto host = read_checked(reader, *f, host_problem)) check.host = *host;
  }
  if (auto f = given("expect_status")) {
    if (auto statuses = read_statuses(reader, *f)) check.expect_status = *statuses;
  }
  if (auto f = given("expect_body")) {
    if (auto expect = read_expect(reader, *f)) check.expect_body = *expect;
  }
  if (auto f = given("send")) {
    if (auto send = read_escaped(reader, *f)) check.send = std::move(*send);
  }
  if (auto f = given("expect")) {
    if (auto expect = read_expect(reader, *f)) check.expect = *expect;
  }
  if (auto f = given("command")) {
    if (auto command = read_checked(reader, *f, command_problem)) check.command = *command;
  }
  if (auto f = given("through_tunnel")) {
    auto value = read_bool(reader, *f);
    sites.through_tunnel = site_of(*f, value.has_value());
    check.through_tunnel = value.value_or(false);
  }
  if (reader.error_count() != errors_before) return std::nullopt;

  for (const auto& problem : check_problems(check)) {
    if (auto f = map.get(problem.key)) {
      reader.error(*f, problem.message);
    } else {
      reader.error(child_path(field.path, problem.key), field.pos, problem.message);
    }
  }
  if (reader.error_count() != errors_before) return std::nullopt;
  sites.entry.ok = true;
  return check;
}

health::HealthSpec parse_health(Reader& reader, const Field& field, CheckSites& check_sites) {
  health::HealthSpec spec;
  const MapReader map(reader, field, {"check", "on_failure"});
  if (auto f = map.get("check")) spec.check = parse_check(reader, *f, check_sites);
  if (auto f = map.get("on_failure")) {
    if (auto text = read_string(reader, *f)) {
      if (auto action = parse_on_failure(*text)) {
        spec.on_failure = *action;
      } else {
        reader.error(*f, "expected one of: remove, quiesce; got " + describe(f->node));
      }
    }
  }
  return spec;
}

std::optional<sched::RealServerSpec> parse_sorry_server(Reader& reader, const Field& field,
                                                        const sched::ServiceSpec& service,
                                                        const Site& service_port,
                                                        RealServerSites& sites) {
  const size_t errors_before = reader.error_count();
  const MapReader map(reader, field, {"address", "port", "forward"});
  if (!map.is_map()) {
    sites.entry = site_of(field, false);
    return std::nullopt;
  }
  sched::RealServerSpec sorry;
  parse_real_endpoint(reader, map, field, service, service_port, sorry, sites);
  sites.upper_threshold = sites.lower_threshold = Site{field.path, field.pos, true};
  if (reader.error_count() != errors_before) return std::nullopt;
  return sorry;
}

}  // namespace lb::config::detail
