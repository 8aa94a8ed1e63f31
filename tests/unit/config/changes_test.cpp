// describe_changes: the log lines a live change produces, between two
// configurations loaded from YAML as an operator would write them.
#include <catch2/catch.hpp>

#include <lb/config/changes.h>

#include "config_test.h"

using lb::test::error_lines;
using lb::test::load;
using lb::test::with_port;
using Lines = std::vector<std::string>;

namespace {

lb::config::Config valid(const std::string& services) {
  auto result = load(with_port(services));
  INFO(Catch::Detail::stringify(error_lines(result)));
  REQUIRE(result.config);
  return *result.config;
}

const std::string kBefore =
    "services:\n"
    "  - protocol: tcp\n"
    "    vip: 198.18.1.100\n"
    "    port: 80\n"
    "    scheduler: rr\n"
    "    real_servers:\n"
    "      - {address: 198.18.1.11, port: 8080}\n"
    "      - {address: 198.18.1.12, port: 8080}\n"
    "  - protocol: udp\n"
    "    vip: 198.18.1.100\n"
    "    port: 53\n"
    "    real_servers: [{address: 198.18.1.11}]\n";

}  // namespace

TEST_CASE("no change, no line") {
  CHECK(lb::config::describe_changes(valid(kBefore), valid(kBefore)).empty());
}

TEST_CASE("services and real servers added, removed and altered, one line each") {
  const std::string after =
      "services:\n"
      "  - protocol: tcp\n"
      "    vip: 198.18.1.100\n"
      "    port: 80\n"
      "    scheduler: wlc\n"
      "    persistence: {timeout: 600, netmask: 255.255.255.0}\n"
      "    real_servers:\n"
      "      - {address: 198.18.1.12, port: 8080, weight: 3, upper_threshold: 100}\n"
      "      - {address: 198.18.1.13, forward: dr}\n"
      "  - fwmark: 7\n"
      "    persistence: 300\n"
      "    real_servers: [{address: 198.18.1.14, weight: 0}]\n"
      "firewall_marks:\n"
      "  - {mark: 7, destination: 198.18.1.200}\n";
  CHECK(lb::config::describe_changes(valid(kBefore), valid(after)) ==
        Lines{"service udp 198.18.1.100:53 removed (1 real server(s))",
              "service tcp 198.18.1.100:80: scheduler rr -> wlc, persistence none -> 600 s mask "
              "255.255.255.0",
              "service tcp 198.18.1.100:80: real server 198.18.1.11:8080 removed",
              "service tcp 198.18.1.100:80: real server 198.18.1.12:8080: weight 1 -> 3, "
              "upper_threshold 0 -> 100",
              "service tcp 198.18.1.100:80: real server 198.18.1.13:80 added (dr, weight 1)",
              "service fwmark 7 added (scheduler wlc, persistence 300 s, 1 real server(s))",
              "service fwmark 7: real server 198.18.1.14:0 added (nat, weight 0)",
              "firewall_marks changed: 0 rule(s) -> 1 rule(s)"});
}

TEST_CASE("the first configuration is described as everything added") {
  CHECK(lb::config::describe_changes(lb::config::Config{}, valid(kBefore)) ==
        Lines{"service tcp 198.18.1.100:80 added (scheduler rr, persistence none, 2 real "
              "server(s))",
              "service tcp 198.18.1.100:80: real server 198.18.1.11:8080 added (nat, weight 1)",
              "service tcp 198.18.1.100:80: real server 198.18.1.12:8080 added (nat, weight 1)",
              "service udp 198.18.1.100:53 added (scheduler wlc, persistence none, 1 real "
              "server(s))",
              "service udp 198.18.1.100:53: real server 198.18.1.11:53 added (nat, weight 1)"});
}

TEST_CASE("service flags and static neighbours") {
  const std::string before =
      "services:\n"
      "  - {protocol: udp, vip: 198.18.1.100, port: 53, scheduler: sh}\n";
  const std::string after =
      "neighbors: {static: [{address: 198.18.1.9, mac: \"02:00:00:00:00:09\"}]}\n"
      "services:\n"
      "  - {protocol: udp, vip: 198.18.1.100, port: 53, scheduler: sh,\n"
      "     scheduler_flags: [sh-port], one_packet: true, quiesce_server: yes}\n";
  CHECK(lb::config::describe_changes(valid(before), valid(after)) ==
        Lines{"service udp 198.18.1.100:53: scheduler_flags none -> sh-port, one_packet false "
              "-> true, quiesce_server false -> true",
              "neighbors.static changed: 0 entries -> 1 entry"});
}

TEST_CASE("health checks, failure actions and sorry servers, added, changed and removed") {
  const std::string before =
      "services:\n"
      "  - protocol: tcp\n"
      "    vip: 198.18.1.100\n"
      "    port: 80\n"
      "    health: {check: {type: tcp}}\n"
      "    real_servers: [{address: 198.18.1.11}, {address: 198.18.1.12}]\n";
  const std::string after =
      "services:\n"
      "  - protocol: tcp\n"
      "    vip: 198.18.1.100\n"
      "    port: 80\n"
      "    health:\n"
      "      check: {type: http, path: /health, expect_status: [200], interval_ms: 2000}\n"
      "      on_failure: quiesce\n"
      "    sorry_server: {address: 198.18.1.99, port: 8080}\n"
      "    real_servers:\n"
      "      - {address: 198.18.1.11, check: {type: send_expect, send: 'quit\\r\\n', expect: "
      "'220'}}\n"
      "      - {address: 198.18.1.12}\n"
      "      - {address: 198.18.1.13, check: {type: program, command: /bin/check %h}}\n";
  CHECK(
      lb::config::describe_changes(valid(before), valid(after)) ==
      Lines{"service tcp 198.18.1.100:80: health check tcp, every 5000 ms (timeout 3000 ms, "
            "rise 2, fall 3) -> http GET /health expect 200, every 2000 ms (timeout 2000 ms, "
            "rise 2, fall 3), on_failure remove -> quiesce, sorry_server none -> "
            "198.18.1.99:8080 (nat)",
            "service tcp 198.18.1.100:80: real server 198.18.1.11:80: check none -> "
            "send_expect send \"quit\\r\\n\" expect \"220\", every 5000 ms (timeout 3000 ms, rise "
            "2, fall 3)",
            "service tcp 198.18.1.100:80: real server 198.18.1.13:80 added (nat, weight 1, "
            "check program run \"/bin/check %h\", every 5000 ms (timeout 3000 ms, rise 2, fall "
            "3))"});
  CHECK(lb::config::describe_changes(valid(after), valid(before)) ==
        Lines{"service tcp 198.18.1.100:80: health check http GET /health expect 200, every 2000 "
              "ms (timeout 2000 ms, rise 2, fall 3) -> tcp, every 5000 ms (timeout 3000 ms, rise "
              "2, fall 3), on_failure quiesce -> remove, sorry_server 198.18.1.99:8080 (nat) -> "
              "none",
              "service tcp 198.18.1.100:80: real server 198.18.1.13:80 removed",
              "service tcp 198.18.1.100:80: real server 198.18.1.11:80: check send_expect send "
              "\"quit\\r\\n\" expect \"220\", every 5000 ms (timeout 3000 ms, rise 2, fall 3) -> "
              "none"});
  // A new service says what checks it and where its new connections go
  // when every server is down.
  CHECK(lb::config::describe_changes(lb::config::Config{}, valid(after)).front() ==
        "service tcp 198.18.1.100:80 added (scheduler wlc, persistence none, 3 real server(s), "
        "health check http GET /health expect 200, every 2000 ms (timeout 2000 ms, rise 2, fall "
        "3), failed servers quiesced, sorry server 198.18.1.99:8080 (nat))");
}
