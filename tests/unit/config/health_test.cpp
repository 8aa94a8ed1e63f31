// Health checks and sorry servers in the YAML: what a valid `health`,
// `check` and `sorry_server` give the model, Piranha's escapes in the texts
// sent and expected, and every error an operator can meet, with its exact
// line, field and message.
#include <catch2/catch.hpp>

#include <set>
#include <utility>

#include <lb/config/health.h>
#include <lb/health/check.h>

#include "config_test.h"

using lb::health::CheckSpec;
using lb::health::CheckType;
using lb::health::OnFailure;
using lb::test::errors_of;
using lb::test::load;
using lb::test::with_port;
using Lines = std::vector<std::string>;

namespace {

// A TCP service on line 7 whose health check is the flow map `check`, written
// on line 11 from column 14 (`      check: ` is 13 characters).
std::string service_check(const std::string& check, const std::string& rest = "") {
  return with_port(
      "services:\n"
      "  - protocol: tcp\n"
      "    vip: 198.18.1.100\n"
      "    port: 80\n"
      "    health:\n"
      "      check: " +
      check + "\n" + rest +
      "    real_servers:\n"
      "      - {address: 198.18.1.11}\n");
}

lb::config::Config valid(const std::string& yaml) {
  auto result = load(yaml);
  INFO(yaml);
  INFO(Catch::Detail::stringify(lb::test::error_lines(result)));
  REQUIRE(result.config);
  return *result.config;
}

CheckSpec service_check_of(const std::string& check) {
  const auto config = valid(service_check(check));
  REQUIRE(config.services.at(0).health.check);
  return *config.services[0].health.check;
}

struct Case {
  std::string check;     // the flow map on line 11
  std::string expected;  // the one error
};

void check_cases(const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    INFO(c.check);
    CHECK(errors_of(service_check(c.check)) == Lines{c.expected});
  }
}

// YAML's single quotes around `text`: nothing escaped but the quote.
std::string single_quoted(const std::string& text) {
  std::string out = "'";
  for (const char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

}  // namespace

TEST_CASE("health: an HTTP check with every field, and what is left out takes its default") {
  const CheckSpec http = service_check_of(
      "{type: http, port: 8080, interval_ms: 2000, timeout_ms: 1000, rise: 1, fall: 5, "
      "service_timeout_ms: 6000, reentry_ms: 15000, path: \"/health?full=1\", host: "
      "www.example.com, "
      "expect_status: [200, 204], expect_body: ok}");
  CHECK(http.type == CheckType::kHttp);
  CHECK(http.port == 8080);
  CHECK(http.interval_ms == 2000);
  CHECK(http.timeout_ms == 1000);
  CHECK(http.rise == 1);
  CHECK(http.fall == 5);
  CHECK(http.service_timeout_ms == 6000);
  CHECK(http.reentry_ms == 15000);
  CHECK(http.path == "/health?full=1");
  CHECK(http.host == "www.example.com");
  CHECK(http.expect_status == std::vector<uint16_t>{200, 204});
  CHECK(http.expect_body == lb::health::Expect{"ok", false});
  CHECK_FALSE(http.through_tunnel);

  CheckSpec tcp;
  tcp.type = CheckType::kTcp;
  CHECK(service_check_of("{type: tcp}") == tcp);
  CHECK(service_check_of("{type: https, expect_status: 301}").expect_status ==
        std::vector<uint16_t>{301});
  CHECK(service_check_of("{type: https}").path == "/");

  const auto config = valid(service_check("{type: tcp}", "      on_failure: quiesce\n"));
  CHECK(config.services[0].health.on_failure == OnFailure::kQuiesce);
  CHECK(valid(service_check("{type: tcp}")).services[0].health.on_failure == OnFailure::kRemove);
  // No health: no check, failures remove.
  const auto bare = valid(with_port("services: [{protocol: tcp, vip: 198.18.1.100, port: 80}]\n"));
  CHECK(bare.services[0].health == lb::health::HealthSpec{});
  CHECK_FALSE(bare.services[0].sorry_server);
}

TEST_CASE("health: send/expect, UDP and program checks; Piranha's escapes") {
  // Pasted from lvs.cf in single quotes (YAML keeps the backslashes, lbd
  // decodes them) or written with YAML's own escapes in double quotes: the
  // same bytes.
  const std::string crlf = "GET / HTTP/1.0\r\n\r\n";
  CHECK(service_check_of("{type: send_expect, send: 'GET / HTTP/1.0\\r\\n\\r\\n', expect: HTTP}")
            .send == crlf);
  CHECK(service_check_of("{type: send_expect, send: \"GET / HTTP/1.0\\r\\n\\r\\n\"}").send == crlf);
  CHECK(service_check_of("{type: send_expect, send: quit\\n, expect: '220'}").send == "quit\n");
  // \\ is one backslash; a backslash before another character is that
  // character; \xHH is the byte HH, so a UDP check can send binary.
  CHECK(service_check_of("{type: send_expect, send: 'a\\\\b\\qc\\\\'}").send == "a\\bqc\\");
  CHECK(service_check_of("{type: send_expect, send: '\\x41\\x62'}").send == "Ab");
  const CheckSpec binary =
      service_check_of("{type: udp, port: 53, send: '\\x00\\x01\\xfF', expect: '\\x81'}");
  CHECK(binary.send == std::string("\x00\x01\xff", 3));
  CHECK(binary.expect == lb::health::Expect{"\x81", false});
  CHECK(service_check_of("{type: send_expect, send: \"a\\\\\\\\b\"}").send == "a\\b");
  const CheckSpec ftp = service_check_of("{type: send_expect, expect: '220\\t'}");
  CHECK(ftp.send.empty());
  CHECK(ftp.expect == lb::health::Expect{"220\t", false});
  // A regex keeps its backslashes: they are the regex's.
  CHECK(service_check_of("{type: send_expect, send: x, expect: {text: '^HTTP/1\\.[01] 2\\d\\d', "
                         "regex: true}}")
            .expect == lb::health::Expect{"^HTTP/1\\.[01] 2\\d\\d", true});
  // The engine's regexes, PCRE2 (Perl's, as ldirectord's `receive`): a
  // lookbehind and an inline flag, which C++'s ECMAScript std::regex refuses.
  CHECK(service_check_of("{type: http, expect_body: {text: '(?<=status: )up', regex: true}}")
            .expect_body == lb::health::Expect{"(?<=status: )up", true});
  CHECK(service_check_of("{type: send_expect, send: x, expect: {text: '(?i)^220 ', regex: true}}")
            .expect == lb::health::Expect{"(?i)^220 ", true});
  CHECK(service_check_of("{type: http, expect_body: {text: 'a\\nb'}}").expect_body ==
        lb::health::Expect{"a\nb", false});

  const CheckSpec dns = service_check_of("{type: udp, port: 53, send: ping, expect: pong}");
  CHECK(dns.type == CheckType::kUdp);
  CHECK(dns.send == "ping");
  CHECK(dns.expect.text == "pong");
  const CheckSpec program =
      service_check_of("{type: program, command: /usr/local/bin/check %h %p, expect: OK}");
  CHECK(program.command == "/usr/local/bin/check %h %p");
  CHECK(program.expect.text == "OK");
}

TEST_CASE("health: a real server's own check replaces the service's, whole") {
  const auto config = valid(
      with_port("services:\n"
                "  - protocol: tcp\n"
                "    vip: 198.18.1.100\n"
                "    port: 80\n"
                "    health: {check: {type: http, interval_ms: 4000}}\n"
                "    real_servers:\n"
                "      - {address: 198.18.1.11}\n"
                "      - {address: 198.18.1.12, port: 8080, check: {type: tcp, port: 8081}}\n"));
  const auto& reals = config.services[0].real_servers;
  CHECK_FALSE(reals[0].check);
  REQUIRE(reals[1].check);
  CHECK(reals[1].check->type == CheckType::kTcp);
  CHECK(reals[1].check->port == 8081);
  CHECK(reals[1].check->interval_ms == 5000);  // the default, not the service's 4000
}

TEST_CASE("health: a sorry server, with the real servers' defaults") {
  const auto config =
      valid(with_port("services:\n"
                      "  - protocol: tcp\n"
                      "    vip: 198.18.1.100\n"
                      "    port: 80\n"
                      "    sorry_server: {address: 198.18.1.99}\n"
                      "  - protocol: tcp\n"
                      "    vip: 198.18.1.100\n"
                      "    port: 443\n"
                      "    sorry_server: {address: 198.18.1.98, port: 443, forward: dr}\n"
                      "  - fwmark: 7\n"
                      "    sorry_server: {address: 198.18.1.97, port: 8080}\n"
                      "firewall_marks: [{mark: 7, destination: 198.18.1.101}]\n"));
  const auto& s = config.services;
  REQUIRE(s[0].sorry_server);
  CHECK(s[0].sorry_server->addr.to_string() == "198.18.1.99");
  CHECK(s[0].sorry_server->port == 80);
  CHECK(s[0].sorry_server->forward == lb::sched::ForwardMethod::kNat);
  CHECK(s[1].sorry_server->forward == lb::sched::ForwardMethod::kDirectRoute);
  CHECK(s[2].sorry_server->port == 8080);
}

TEST_CASE("health: the keys of a check, and those its type does not take") {
  check_cases({
      {"{path: /x}", "t.yaml:11:14: services[0].health.check.type: required key is missing"},
      {"{type: icmp}",
       "t.yaml:11:21: services[0].health.check.type: expected one of: tcp, http, https, "
       "send_expect, udp, program; got \"icmp\""},
      {"{type: tcp, intervall_ms: 5}",
       "t.yaml:11:26: services[0].health.check.intervall_ms: unknown key \"intervall_ms\", "
       "expected one of: type, port, interval_ms, timeout_ms, rise, fall, service_timeout_ms, "
       "reentry_ms, path, host, expect_status, expect_body, send, expect, command, "
       "through_tunnel"},
      {"{type: tcp, path: /health}",
       "t.yaml:11:32: services[0].health.check.path: path is only for type http or https, not "
       "tcp"},
      {"{type: udp, expect_status: [200]}",
       "t.yaml:11:41: services[0].health.check.expect_status: expect_status is only for type "
       "http or https, not udp"},
      {"{type: http, send: x}",
       "t.yaml:11:33: services[0].health.check.send: send is only for type send_expect or udp, "
       "not http"},
      {"{type: http, expect: ok}",
       "t.yaml:11:35: services[0].health.check.expect: expect is only for type send_expect, udp "
       "or program, not http (an HTTP check's body is matched by expect_body)"},
      {"{type: tcp, command: /bin/true}",
       "t.yaml:11:35: services[0].health.check.command: command is only for type program, not "
       "tcp"},
      {"{type: program, command: /bin/true, through_tunnel: true}",
       "t.yaml:11:66: services[0].health.check.through_tunnel: through_tunnel is only for type "
       "tcp, not program (through the tunnel lbd opens the connection itself, without the "
       "kernel's TCP)"},
      {"{type: http, through_tunnel: true}",
       "t.yaml:11:43: services[0].health.check.through_tunnel: through_tunnel is only for type "
       "tcp, not http (through the tunnel lbd opens the connection itself, without the "
       "kernel's TCP)"},
      {"[tcp]",
       "t.yaml:11:14: services[0].health.check: expected a map with keys: type, port, "
       "interval_ms, timeout_ms, rise, fall, service_timeout_ms, reentry_ms, path, host, "
       "expect_status, expect_body, send, expect, command, through_tunnel; got a list"},
  });
}

TEST_CASE("health: every number of a check has its range") {
  check_cases({
      {"{type: tcp, port: 0}",
       "t.yaml:11:32: services[0].health.check.port: expected an integer 1..65535, got 0"},
      {"{type: tcp, interval_ms: 99}",
       "t.yaml:11:39: services[0].health.check.interval_ms: expected an integer 100..3600000, "
       "got 99"},
      {"{type: tcp, interval_ms: 2s}",
       "t.yaml:11:39: services[0].health.check.interval_ms: expected an integer 100..3600000, "
       "got \"2s\""},
      {"{type: tcp, timeout_ms: 9}",
       "t.yaml:11:38: services[0].health.check.timeout_ms: expected an integer 10..3600000, got "
       "9"},
      {"{type: tcp, rise: 0}",
       "t.yaml:11:32: services[0].health.check.rise: expected an integer 1..100, got 0"},
      {"{type: tcp, fall: 101}",
       "t.yaml:11:32: services[0].health.check.fall: expected an integer 1..100, got 101"},
      {"{type: tcp, service_timeout_ms: 86400001}",
       "t.yaml:11:46: services[0].health.check.service_timeout_ms: expected an integer "
       "0..86400000, got 86400001"},
      {"{type: tcp, reentry_ms: -1}",
       "t.yaml:11:38: services[0].health.check.reentry_ms: expected an integer 0..86400000, got "
       "-1"},
      {"{type: tcp, through_tunnel: maybe}",
       "t.yaml:11:42: services[0].health.check.through_tunnel: expected true or false (or "
       "yes/no), got \"maybe\""},
  });
}

TEST_CASE("health: the texts of a check") {
  check_cases({
      {"{type: http, path: health}",
       "t.yaml:11:33: services[0].health.check.path: expected an absolute path starting with / "
       "(e.g. /health); got \"health\""},
      {"{type: http, path: \"/a b\"}",
       "t.yaml:11:33: services[0].health.check.path: a path cannot contain blanks or control "
       "characters (encode them: %20); got \"/a b\""},
      {"{type: http, host: \"www example\"}",
       "t.yaml:11:33: services[0].health.check.host: a host name cannot contain blanks or "
       "control characters; got \"www example\""},
      {"{type: http, expect_status: [200, 200]}",
       "t.yaml:11:48: services[0].health.check.expect_status[1]: status 200 is listed twice"},
      {"{type: http, expect_status: [99]}",
       "t.yaml:11:43: services[0].health.check.expect_status[0]: expected an integer 100..599, "
       "got 99"},
      {"{type: http, expect_status: []}",
       "t.yaml:11:42: services[0].health.check.expect_status: expected a non-empty list of HTTP "
       "status codes, got an empty list; leave expect_status out to accept any 2xx or 3xx"},
      {"{type: http, expect_body: [ok]}",
       "t.yaml:11:40: services[0].health.check.expect_body: expected a string, or a map with "
       "keys: text, regex; got a list"},
      {"{type: http, expect_body: {regex: true}}",
       "t.yaml:11:40: services[0].health.check.expect_body.text: required key is missing"},
      {"{type: http, expect_body: {text: ok, regex: 1}}",
       "t.yaml:11:58: services[0].health.check.expect_body.regex: expected true or false (or "
       "yes/no), got \"1\""},
      // Regexes are PCRE2's, as the health engine compiles them, with its
      // message.
      {"{type: http, expect_body: {text: \"(\", regex: true}}",
       "t.yaml:11:40: services[0].health.check.expect_body: invalid regex /(/ at offset 1: "
       "missing closing parenthesis"},
      {"{type: send_expect, send: x, expect: {text: \"[\", regex: true}}",
       "t.yaml:11:51: services[0].health.check.expect: invalid regex /[/ at offset 1: missing "
       "terminating ] for character class"},
      // Piranha's escapes as the engine decodes them: a backslash escapes
      // the next character, so one cannot end the text, and \x takes two hex
      // digits.
      {"{type: send_expect, send: 'quit\\'}",
       "t.yaml:11:40: services[0].health.check.send: a backslash at offset 4 ends the string: "
       "nothing to escape (write \\\\ for a backslash); got \"quit\\\\\""},
      {"{type: send_expect, send: '\\x0'}",
       "t.yaml:11:40: services[0].health.check.send: \\x at offset 0 needs two hex digits "
       "(write \\\\ for a backslash); got \"\\\\x0\""},
      {"{type: send_expect, expect: 'a\\xg0'}",
       "t.yaml:11:42: services[0].health.check.expect: \\x at offset 1 needs two hex digits "
       "(write \\\\ for a backslash); got \"a\\\\xg0\""},
      {"{type: http, expect_body: {text: 'ok\\'}}",
       "t.yaml:11:47: services[0].health.check.expect_body.text: a backslash at offset 2 ends "
       "the string: nothing to escape (write \\\\ for a backslash); got \"ok\\\\\""},
      // What the engine would refuse is refused here, at its field: a
      // command it cannot split into words.
      {"{type: program, command: \"/bin/check 'up\"}",
       "t.yaml:11:39: services[0].health.check.command: unterminated ' at offset 11 in the "
       "command"},
      {"{type: program, command: /bin/check %x}",
       "t.yaml:11:39: services[0].health.check.command: unknown token %x in \"%x\" (known: %h "
       "address, %p port, %% percent)"},
      {"{type: send_expect, send: \"\"}",
       "t.yaml:11:40: services[0].health.check.send: expected a non-empty string, got \"\""},
      {"{type: program, command: \"  \"}",
       "t.yaml:11:39: services[0].health.check.command: expected a command, got only blanks; got "
       "\"  \""},
      {"{type: program, command: \"/bin/check\\0\"}",
       "t.yaml:11:39: services[0].health.check.command: a command cannot contain a NUL character; "
       "got \"/bin/check\\x00\""},
      {"{type: http, host: " + std::string(256, 'h') + "}",
       "t.yaml:11:33: services[0].health.check.host: expected a host name of 1..255 characters, "
       "got 256; got \"" +
           std::string(40, 'h') + "...\""},
      {"{type: http, path: /" + std::string(4096, 'p') + "}",
       "t.yaml:11:33: services[0].health.check.path: a path is at most 4096 characters, got 4097; "
       "got \"/" +
           std::string(39, 'p') + "...\""},
      {"{type: program, command: /" + std::string(4096, 'c') + "}",
       "t.yaml:11:39: services[0].health.check.command: a command is at most 4096 characters, got "
       "4097; got \"/" +
           std::string(39, 'c') + "...\""},
      {"{type: program, command: check.sh %h}",
       "t.yaml:11:39: services[0].health.check.command: the program \"check.sh\" must be given "
       "by its absolute path (lbd runs it without a shell or PATH search); got \"check.sh %h\""},
  });
}

TEST_CASE("health: a check the file accepts is one the health engine compiles, and only such") {
  // Monitor::set_targets refuses the whole set of checks for one it cannot
  // compile: a regex or command the file took but the engine refused would
  // leave every server unchecked. So the file's verdict on each must be the
  // engine's own (compile_check).
  std::set<std::pair<std::string, bool>> verdicts;
  for (const std::string regex :
       {"(", "[", ")", "a{2,1}", "*a", "a**", "\\", "(?<=a)b", "(?<!a)b", "a++b", "(?>a+)b",
        "(?i)ok", "(?<n>a)\\k<n>", "\\p{L}+", "\\Q(\\E", "(?#note)x", "[z-a]", "\\x{41}",
        "^HTTP/1\\.[01] 2\\d\\d"}) {
    INFO(regex);
    CheckSpec spec;
    spec.type = CheckType::kSendExpect;
    spec.send = "x";
    spec.expect = lb::health::Expect{regex, true};
    const bool compiles = static_cast<bool>(lb::health::compile_check(spec));
    verdicts.emplace("regex", compiles);
    const auto loaded = load(service_check(
        "{type: send_expect, send: x, expect: {text: " + single_quoted(regex) + ", regex: true}}"));
    CHECK(static_cast<bool>(loaded.config) == compiles);
    if (loaded.config) CHECK(*loaded.config->services[0].health.check == spec);
  }
  for (const std::string command :
       {"/bin/check 'up", "/bin/check \"up", "/bin/check up\\", "/bin/check %x", "/bin/check %",
        "/bin/check %% %h %p", "/bin/check 'a b' \"c \\\" d\" e\\ f", "/bin/sh -c 'echo ok'"}) {
    INFO(command);
    CheckSpec spec;
    spec.type = CheckType::kProgram;
    spec.command = command;
    const bool compiles = static_cast<bool>(lb::health::compile_check(spec));
    verdicts.emplace("command", compiles);
    const auto loaded =
        load(service_check("{type: program, command: " + single_quoted(command) + "}"));
    CHECK(static_cast<bool>(loaded.config) == compiles);
    if (loaded.config) CHECK(*loaded.config->services[0].health.check == spec);
  }
  // Both verdicts occur in each list, so the comparison means something.
  CHECK(verdicts == std::set<std::pair<std::string, bool>>{
                        {"regex", true}, {"regex", false}, {"command", true}, {"command", false}});
}

TEST_CASE("health: the rules relating a check's fields") {
  check_cases({
      {"{type: tcp, interval_ms: 1000, timeout_ms: 2000}",
       "t.yaml:11:57: services[0].health.check.timeout_ms: timeout_ms 2000 is longer than "
       "interval_ms 1000: a check must end before the next one starts"},
      {"{type: send_expect}",
       "t.yaml:11:14: services[0].health.check.send: type send_expect needs send or expect (or "
       "both); to only connect, use type tcp"},
      {"{type: program}",
       "t.yaml:11:14: services[0].health.check.command: type program needs a command (the "
       "program to run, by its absolute path)"},
  });
  // The default timeout (3000 ms) is the interval when that is shorter.
  CHECK(service_check_of("{type: tcp, interval_ms: 1000}").timeout_ms == 1000);
  CHECK(service_check_of("{type: tcp, interval_ms: 4000}").timeout_ms == 3000);
  // A text of more than 4096 bytes, once its escapes are decoded.
  CHECK(errors_of(service_check("{type: send_expect, send: " + std::string(4097, 'x') + "}")) ==
        Lines{"t.yaml:11:40: services[0].health.check.send: send is at most 4096 bytes, got "
              "4097"});
}

TEST_CASE("health: the health and sorry_server maps") {
  const std::string service =
      "services:\n"
      "  - protocol: tcp\n"
      "    vip: 198.18.1.100\n"
      "    port: 80\n";
  CHECK(errors_of(with_port(service + "    health: {on_failure: drain}\n")) ==
        Lines{"t.yaml:10:26: services[0].health.on_failure: expected one of: remove, quiesce; got "
              "\"drain\""});
  CHECK(errors_of(with_port(service + "    health: {checks: {type: tcp}}\n")) ==
        Lines{"t.yaml:10:14: services[0].health.checks: unknown key \"checks\", expected one of: "
              "check, on_failure"});
  CHECK(errors_of(with_port(service + "    health: tcp\n")) ==
        Lines{"t.yaml:10:13: services[0].health: expected a map with keys: check, on_failure; "
              "got \"tcp\""});
  CHECK(errors_of(with_port(service + "    sorry_server: 198.18.1.99\n")) ==
        Lines{"t.yaml:10:19: services[0].sorry_server: expected a map with keys: address, port, "
              "forward; got \"198.18.1.99\""});
  CHECK(
      errors_of(with_port(service + "    real_servers: [{address: 198.18.1.11, check: tcp}]\n")) ==
      Lines{"t.yaml:10:50: services[0].real_servers[0].check: expected a map with keys: type, "
            "port, interval_ms, timeout_ms, rise, fall, service_timeout_ms, reentry_ms, path, "
            "host, expect_status, expect_body, send, expect, command, through_tunnel; got "
            "\"tcp\""});
  CHECK(errors_of(with_port(service + "    sorry_server: {port: 8080}\n")) ==
        Lines{"t.yaml:10:19: services[0].sorry_server.address: required key is missing"});
  CHECK(errors_of(with_port(service + "    sorry_server: {address: 198.18.1.300}\n")) ==
        Lines{"t.yaml:10:29: services[0].sorry_server.address: expected an IPv4 address "
              "(a.b.c.d), got \"198.18.1.300\""});
  CHECK(errors_of(with_port(service + "    sorry_server: {address: 198.18.1.99, weight: 2}\n")) ==
        Lines{"t.yaml:10:42: services[0].sorry_server.weight: unknown key \"weight\", expected "
              "one of: address, port, forward"});
  CHECK(errors_of(with_port(service + "    sorry_server: {address: 198.18.1.99, port: 0}\n")) ==
        Lines{"t.yaml:10:48: services[0].sorry_server.port: port 0 (keep each packet's port) is "
              "only for firewall-mark and port-0 services; expected 1..65535, or leave it out for "
              "the service's port 80"});
  CHECK(
      errors_of(with_port(service + "    sorry_server: {address: 198.18.1.99, forward: gre}\n")) ==
      Lines{"t.yaml:10:51: services[0].sorry_server.forward: expected one of: nat, dr, tunnel; "
            "got \"gre\""});
}

TEST_CASE("health: a sorry server is another server, on a path its method can take") {
  const std::string service =
      "services:\n"
      "  - protocol: tcp\n"
      "    vip: 198.18.1.100\n"
      "    port: 80\n"
      "    real_servers: [{address: 198.18.1.11}]\n";
  CHECK(errors_of(with_port(service + "    sorry_server: {address: 198.18.1.11}\n")) ==
        Lines{"t.yaml:11:19: services[0].sorry_server: sorry server 198.18.1.11:80 is also "
              "services[0].real_servers[0]: a sorry server takes new connections when every real "
              "server is down, so it must be another server"});
  // Another port of the same host is another server.
  CHECK(load(with_port(service + "    sorry_server: {address: 198.18.1.11, port: 8080}\n")).config);
  CHECK(errors_of(with_port(service + "    sorry_server: {address: 198.18.1.1}\n")) ==
        Lines{"t.yaml:11:29: services[0].sorry_server.address: sorry server 198.18.1.1 is "
              "ports[0] \"ext\"'s own address"});
  CHECK(errors_of(with_port(service + "    sorry_server: {address: 198.18.1.100}\n")) ==
        Lines{"t.yaml:11:29: services[0].sorry_server.address: sorry server 198.18.1.100 is the "
              "VIP of services[0]; forwarding (nat) to a VIP would loop"});
  CHECK(errors_of(with_port(service + "    sorry_server: {address: 203.0.113.9, forward: dr}\n")) ==
        Lines{"t.yaml:11:29: services[0].sorry_server.address: sorry server 203.0.113.9 uses "
              "direct routing but is on none of lbd's subnets (\"ext\" 198.18.1.0/24); direct "
              "routing addresses the frame to the server's MAC, so the server must share a link "
              "with lbd: put it on a port's subnet, or use forward: tunnel"});
  CHECK(
      errors_of("ports: [{name: ext, device: net_null0, address: 198.18.1.1/24}]\n" + service +
                "    sorry_server: {address: 203.0.113.9, forward: tunnel}\n") ==
      Lines{"t.yaml:7:29: services[0].sorry_server.address: tunnel sorry server 203.0.113.9 is on "
            "none of lbd's subnets (\"ext\" 198.18.1.0/24) and no port has a gateway to reach "
            "it"});
  CHECK(errors_of(with_port(
            service + "    sorry_server: {address: 198.18.1.99, port: 8080, forward: dr}\n")) ==
        Lines{"t.yaml:11:48: services[0].sorry_server.port: port 8080 differs from the service's "
              "port 80: dr forwards the client's packet unchanged, so the sorry server must "
              "listen on 80; leave the port out, or use forward: nat to translate it"});
}

TEST_CASE("health: a check needs a port to probe a real server that keeps each packet's port") {
  const std::string marked =
      "firewall_marks: [{mark: 7, destination: 198.18.1.101}]\n"
      "services:\n"
      "  - fwmark: 7\n";
  // The service's check: reported once, at the check, naming the server.
  CHECK(errors_of(with_port(
            marked + "    health: {check: {type: tcp}}\n"
                     "    real_servers: [{address: 198.18.1.11}, {address: 198.18.1.12}]\n")) ==
        Lines{"t.yaml:9:21: services[0].health.check: services[0].real_servers[0] (198.18.1.11) "
              "has port 0 (each packet keeps its own port), so this check has no port to probe it "
              "on: give the check a port"});
  CHECK(load(with_port(marked + "    health: {check: {type: tcp, port: 80}}\n"
                                "    real_servers: [{address: 198.18.1.11}]\n"))
            .config);
  // A server with its own check is judged by it alone.
  CHECK(
      load(with_port(marked +
                     "    health: {check: {type: tcp}}\n"
                     "    real_servers: [{address: 198.18.1.11, check: {type: tcp, port: 80}}]\n"))
          .config);
  CHECK(errors_of(with_port(marked +
                            "    real_servers: [{address: 198.18.1.11, check: {type: http}}]\n")) ==
        Lines{"t.yaml:9:50: services[0].real_servers[0].check: real server 198.18.1.11 has port 0 "
              "(each packet keeps its own port), so its check has no port to probe: give the "
              "check a port"});
  // A program needs one only when its command line asks for it.
  CHECK(load(with_port(marked + "    health: {check: {type: program, command: /bin/check %h}}\n"
                                "    real_servers: [{address: 198.18.1.11}]\n"))
            .config);
  CHECK(errors_of(with_port(marked +
                            "    health: {check: {type: program, command: /bin/check %h %p}}\n"
                            "    real_servers: [{address: 198.18.1.11}]\n")) ==
        Lines{"t.yaml:9:21: services[0].health.check: services[0].real_servers[0] (198.18.1.11) "
              "has port 0 (each packet keeps its own port), so this check has no port to probe it "
              "on: give the check a port"});
}

TEST_CASE("health: through_tunnel only where a tunnel real server is checked") {
  const std::string service =
      "services:\n"
      "  - protocol: tcp\n"
      "    vip: 198.18.1.100\n"
      "    port: 80\n";
  CHECK(errors_of(with_port(service + "    health: {check: {type: tcp, through_tunnel: true}}\n"
                                      "    real_servers: [{address: 198.18.1.11}]\n")) ==
        Lines{"t.yaml:10:49: services[0].health.check.through_tunnel: through_tunnel is only for "
              "tunnel real servers, and none of the real servers this check applies to forwards "
              "by tunnel"});
  CHECK(
      load(with_port(service + "    health: {check: {type: tcp, through_tunnel: true}}\n"
                               "    real_servers: [{address: 198.18.1.11}, {address: 203.0.113.5, "
                               "forward: tunnel}]\n"))
          .config);
  // No real server yet: nothing to judge (a service being built live).
  CHECK(
      load(with_port(service + "    health: {check: {type: tcp, through_tunnel: true}}\n")).config);
  CHECK(errors_of(with_port(service +
                            "    real_servers:\n"
                            "      - {address: 198.18.1.11, check: {type: tcp, through_tunnel: "
                            "yes}}\n")) ==
        Lines{"t.yaml:11:67: services[0].real_servers[0].check.through_tunnel: through_tunnel is "
              "only for tunnel real servers; 198.18.1.11:80 forwards by nat"});
}
