// Any input, however broken, gives errors and never a throw or a crash:
// syntax errors, wrong node types everywhere, binary junk, deep nesting, and
// random mutations of the shipped examples.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <catch2/catch.hpp>

#include "config_test.h"

using lb::config::LoadResult;
using lb::test::error_lines;
using lb::test::errors_of;
using lb::test::load;
using lb::test::with_port;
using Lines = std::vector<std::string>;

namespace {

// The contract every input must meet: no throw, and a config exactly when
// there is no error.
LoadResult load_any(std::string_view text) {
  LoadResult result;
  REQUIRE_NOTHROW(result = load(text));
  CHECK(result.config.has_value() == result.errors.empty());
  return result;
}

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("a YAML syntax error is one error with its line") {
  CHECK(errors_of("[") == Lines{"t.yaml:1:1: YAML syntax error: end of sequence flow not found"});
  const auto result =
      load_any(with_port("services:\n  - {protocol: tcp, vip: 198.18.1.100]\n  - {}\n"));
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].line == 7);
  CHECK(result.errors[0].field.empty());
  CHECK(result.errors[0].message.rfind("YAML syntax error: ", 0) == 0);
}

TEST_CASE("documents that are not a map of sections") {
  CHECK(errors_of("") == Lines{"t.yaml:1:1: ports: required key is missing"});
  CHECK(errors_of("# only a comment\n") == Lines{"t.yaml:1:1: ports: required key is missing"});
  CHECK(errors_of("~\n") == Lines{"t.yaml:1:1: ports: required key is missing"});
  CHECK(
      errors_of("lbd\n") ==
      Lines{"t.yaml:1:1: expected a map with keys: eal, lcores, control, logging, metrics, ports, "
            "neighbors, connections, services, firewall_marks; got \"lbd\""});
  CHECK(
      errors_of("- ports: []\n") ==
      Lines{"t.yaml:1:1: expected a map with keys: eal, lcores, control, logging, metrics, ports, "
            "neighbors, connections, services, firewall_marks; got a list"});
  CHECK(errors_of("? [a, b]\n: c\n" + with_port("")) ==
        Lines{"t.yaml:1:3: expected a key name, got a list"});
}

TEST_CASE("a second YAML document is an error, a trailing empty one is not") {
  CHECK(errors_of(with_port("---\nports: []\n")) ==
        Lines{"t.yaml:7:1: expected a single YAML document, found another one here"});
  CHECK(errors_of(with_port("---\n")) == Lines{"<config loaded>"});
}

TEST_CASE("wrong node types at every level are reported, never thrown") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"eal: [huge_pages]\n",
       "t.yaml:6:6: eal: expected a map with keys: huge_pages, memory_mb, mbufs, file_prefix, "
       "log_level, extra_args; got a list"},
      {"lcores: 1\n",
       "t.yaml:6:9: lcores: expected a map with keys: main, workers, idle_sleep_us; got \"1\""},
      {"lcores: {workers: 1}\n", "t.yaml:6:19: lcores.workers: expected a list, got \"1\""},
      {"lcores: {workers: [[1]]}\n",
       "t.yaml:6:20: lcores.workers[0]: expected an integer 0..1023, got a list"},
      {"control: /run/lbd.sock\n",
       "t.yaml:6:10: control: expected a map with keys: socket, socket_group, max_clients, "
       "idle_timeout_ms; got "
       "\"/run/lbd.sock\""},
      {"neighbors: {static: {address: 198.18.1.2}}\n",
       "t.yaml:6:21: neighbors.static: expected a list, got a map"},
      {"neighbors: {static: [198.18.1.2]}\n",
       "t.yaml:6:22: neighbors.static[0]: expected a map with keys: address, mac; got "
       "\"198.18.1.2\""},
      {"connections: [1]\n",
       "t.yaml:6:14: connections: expected a map with keys: table_size, timeouts, "
       "expire_nodest_conn; got a list"},
      {"services: {protocol: tcp}\n", "t.yaml:6:11: services: expected a list, got a map"},
      {"services: [tcp]\n",
       "t.yaml:6:12: services[0]: expected a map with keys: protocol, vip, port, fwmark, "
       "scheduler, scheduler_flags, persistence, one_packet, quiesce_server, enabled, health, "
       "sorry_server, real_servers; got \"tcp\""},
      {"services: [{protocol: [tcp], vip: {a: 1}, port: 80}]\n",
       "t.yaml:6:23: services[0].protocol: expected a non-empty string, got a list"},
      {"services: [{protocol: tcp, vip: 198.18.1.100, port: 80, real_servers: 198.18.1.11}]\n",
       "t.yaml:6:71: services[0].real_servers: expected a list, got \"198.18.1.11\""},
      {"services: [{protocol: tcp, vip: 198.18.1.100, port: 80, real_servers: [[1]]}]\n",
       "t.yaml:6:72: services[0].real_servers[0]: expected a map with keys: address, port, weight, "
       "forward, upper_threshold, lower_threshold, enabled, check; got a list"},
  };
  for (const auto& [yaml, expected] : cases) {
    INFO(yaml);
    const auto lines = errors_of(with_port(yaml));
    REQUIRE_FALSE(lines.empty());
    CHECK(lines[0] == expected);
  }
  CHECK(errors_of("ports: {name: ext}\n") ==
        Lines{"t.yaml:1:8: ports: expected a list, got a map"});
  CHECK(errors_of("ports: [[ext]]\n") ==
        Lines{"t.yaml:1:9: ports[0]: expected a map with keys: name, device, address, gateway, "
              "mac, mtu, exception_path, tap_name, tunnel_sources; got a list"});
}

TEST_CASE("deep nesting is a syntax error, not a stack overflow") {
  for (size_t depth : {1000u, 100000u}) {
    const std::string nested = std::string(depth, '[') + std::string(depth, ']');
    CHECK(errors_of(nested) ==
          Lines{"t.yaml:1:1: YAML syntax error: nested more than 500 levels deep"});
    CHECK(errors_of("ports: " + nested + "\n").size() == 1);
  }
  // Nesting yaml-cpp accepts, where the schema wants something else.
  const std::string nested = std::string(400, '[') + std::string(400, ']');
  CHECK(errors_of(with_port("services: [{protocol: tcp, vip: 198.18.1.100, port: 80, "
                            "real_servers: " +
                            nested + "}]\n")) ==
        Lines{"t.yaml:6:72: services[0].real_servers[0]: expected a map with keys: address, port, "
              "weight, forward, upper_threshold, lower_threshold, enabled, check; got a list"});
}

TEST_CASE("aliases that refer to themselves do not loop") {
  load_any(with_port("services: &s [*s]\n"));
  load_any("ports: &p [{name: a, device: *p, address: *p}]\n");
}

TEST_CASE("control characters, NUL bytes and long values are escaped and shortened") {
  CHECK(errors_of(with_port("    mtu: \"\\x01\\t\\0\"\n")) ==
        Lines{"t.yaml:6:10: ports[0].mtu: expected an integer 576..9000, got \"\\x01\\x09\\x00\""});
  CHECK(errors_of(with_port("    mtu: " + std::string(100, 'x') + "\n")) ==
        Lines{"t.yaml:6:10: ports[0].mtu: expected an integer 576..9000, got \"" +
              std::string(40, 'x') + "...\""});
  load_any(std::string("ports:\0\n  - \0name: a\n", 20));
}

TEST_CASE("binary junk never throws") {
  std::mt19937 rng(12345);
  for (int round = 0; round < 300; ++round) {
    std::string junk(std::uniform_int_distribution<size_t>(0, 400)(rng), '\0');
    for (char& c : junk)
      c = static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
    const auto result = load_any(junk);
    CHECK_FALSE(result.config);
  }
}

TEST_CASE("random edits of the examples never throw") {
  // Characters that change YAML structure, plus some that change values.
  constexpr std::string_view kAlphabet = "[]{}:,-#&*!|>'\"\n \t?%@`0123456789./abcz";
  std::mt19937 rng(2024);
  for (const char* name :
       {"nat-one-arm.yaml", "nat-two-arm.yaml", "fwmark-persistence.yaml", "schedulers.yaml"}) {
    const std::string original = read(lb::test::kConfDir / name);
    REQUIRE_FALSE(original.empty());
    for (int round = 0; round < 400; ++round) {
      std::string text = original;
      const int edits = std::uniform_int_distribution<int>(1, 4)(rng);
      for (int e = 0; e < edits && !text.empty(); ++e) {
        const size_t at = std::uniform_int_distribution<size_t>(0, text.size() - 1)(rng);
        const char c =
            kAlphabet[std::uniform_int_distribution<size_t>(0, kAlphabet.size() - 1)(rng)];
        switch (std::uniform_int_distribution<int>(0, 2)(rng)) {
          case 0:
            text.erase(at, 1);
            break;
          case 1:
            text.insert(at, 1, c);
            break;
          default:
            text[at] = c;
            break;
        }
      }
      INFO(text);
      load_any(text);
    }
  }
}

TEST_CASE("a NUL character in a socket path is refused") {
  CHECK(errors_of(with_port("control: {socket: \"/run/lbd\\0x.sock\"}\n")) ==
        Lines{"t.yaml:6:19: control.socket: a path cannot contain a NUL character, got "
              "\"/run/lbd\\x00x.sock\""});
  CHECK(errors_of(with_port("logging: {syslog_socket: \"/dev/\\0log\"}\n")) ==
        Lines{"t.yaml:6:26: logging.syslog_socket: a path cannot contain a NUL character, got "
              "\"/dev/\\x00log\""});
}

TEST_CASE("a firewall-mark service with an invalid mark still refuses protocol, vip and port") {
  CHECK(errors_of(with_port("services:\n  - {fwmark: 0, protocol: tcp}\n")) ==
        Lines{"t.yaml:7:14: services[0].fwmark: expected an integer 1..4294967295, got 0 (0 is an "
              "unmarked packet)",
              "t.yaml:7:27: services[0].protocol: a firewall-mark service has no protocol: it "
              "receives the packets the firewall_marks rules mark with its fwmark"});
}

TEST_CASE("a file larger than 16 MiB is refused unread") {
  const auto path = std::filesystem::temp_directory_path() /
                    ("lbd-config-big-" + std::to_string(::getpid()) + ".yaml");
  {
    std::ofstream out(path, std::ios::binary);
    const std::string line(1023, '#');
    for (int i = 0; i < 16 * 1024 + 1; ++i)
      out << line << '\n';
  }
  const auto result = lb::config::load_file(path.string());
  std::filesystem::remove(path);
  CHECK_FALSE(result.config);
  CHECK(error_lines(result) ==
        Lines{path.string() + ": larger than 16 MiB: not a configuration file"});
}
