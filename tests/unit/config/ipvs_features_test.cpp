// The IPVS service features: firewall-mark services and their classifier,
// persistence, scheduler flags, one-packet scheduling, thresholds and
// per-state timeouts. Each key reaches the model; each rule is refused with
// the exact line an operator reads (ipvsadm's wording quoted where it has one).
#include <catch2/catch.hpp>

#include "config_test.h"

using lb::config::Config;
using lb::conn::TcpState;
using lb::packet::Ipv4Addr;
using lb::sched::MarkRule;
using lb::sched::Protocol;
using lb::test::error_lines;
using lb::test::errors_of;
using lb::test::kConfDir;
using lb::test::load;
using lb::test::with_port;
using Lines = std::vector<std::string>;

namespace {

const Lines kLoaded{"<config loaded>"};

Ipv4Addr ip(std::string_view text) {
  return *Ipv4Addr::parse(text);
}

Config valid(std::string_view yaml) {
  auto result = load(yaml);
  INFO(Catch::Detail::stringify(error_lines(result)));
  REQUIRE(result.errors.empty());
  REQUIRE(result.config);
  return *result.config;
}

// One service written as a flow map on line 7 (after "services:" on line 6).
std::string one_service(std::string_view fields) {
  return with_port("services:\n  - {" + std::string(fields) + "}\n");
}

// A rule marking 198.18.1.100 with `mark`, then `services` (line 8 on).
std::string marked(std::string_view services, uint32_t mark = 80) {
  return with_port("firewall_marks: [{mark: " + std::to_string(mark) +
                   ", destination: 198.18.1.100}]\n"
                   "services:\n" +
                   std::string(services));
}

std::string rule_errors_prefix() {
  return with_port("firewall_marks:\n");
}

}  // namespace

// ---- firewall-mark services and the classifier ---------------------------

TEST_CASE("a firewall-mark service and its rules reach the model") {
  const Config c = valid(
      with_port("firewall_marks:\n"
                "  - {mark: 80, protocol: tcp, destination: 198.18.1.100, ports: [80, 443]}\n"
                "  - mark: 21\n"
                "    destination: 198.18.1.96/28\n"
                "    ports: [21, 10000-20000]\n"
                "    source: 203.0.113.0/24\n"
                "  - {mark: 4294967295, protocol: udp, destination: 198.18.1.101}\n"
                "services:\n"
                "  - fwmark: 80\n"
                "    scheduler: rr\n"
                "    persistence: 600\n"
                "    real_servers: [{address: 198.18.2.11}, {address: 198.18.2.12, port: 8080}]\n"
                "  - {fwmark: 21, persistence: 300}\n"
                "  - {fwmark: 4294967295, one_packet: true}\n"));
  REQUIRE(c.mark_rules.size() == 5);
  const auto check_rule = [](const MarkRule& r, uint32_t mark, std::optional<Protocol> protocol,
                             std::string_view destination, uint16_t min, uint16_t max,
                             std::optional<std::string_view> source) {
    CHECK(r.mark == mark);
    CHECK(r.protocol == protocol);
    CHECK(r.destination.to_string() == destination);
    CHECK(r.port_min == min);
    CHECK(r.port_max == max);
    CHECK(r.source.has_value() == source.has_value());
    if (r.source && source) CHECK(r.source->to_string() == *source);
  };
  // Each ports element is one rule, in file order; no ports = every port.
  check_rule(c.mark_rules[0], 80, Protocol::kTcp, "198.18.1.100/32", 80, 80, std::nullopt);
  check_rule(c.mark_rules[1], 80, Protocol::kTcp, "198.18.1.100/32", 443, 443, std::nullopt);
  check_rule(c.mark_rules[2], 21, std::nullopt, "198.18.1.96/28", 21, 21, "203.0.113.0/24");
  check_rule(c.mark_rules[3], 21, std::nullopt, "198.18.1.96/28", 10000, 20000, "203.0.113.0/24");
  check_rule(c.mark_rules[4], 4294967295u, Protocol::kUdp, "198.18.1.101/32", 0, 65535,
             std::nullopt);

  REQUIRE(c.services.size() == 3);
  const auto& web = c.services[0];
  CHECK(web.fwmark == 80);
  CHECK(web.port == 0);
  CHECK(web.vip.is_zero());
  CHECK(web.scheduler == "rr");
  REQUIRE(web.persistence);
  CHECK(web.persistence->timeout_s == 600);
  CHECK(web.persistence->netmask == ip("255.255.255.255"));
  REQUIRE(web.real_servers.size() == 2);
  CHECK(web.real_servers[0].port == 0);  // keep each packet's port
  CHECK(web.real_servers[1].port == 8080);
  CHECK(c.services[1].fwmark == 21);
  CHECK(c.services[2].fwmark == 4294967295u);
  CHECK(c.services[2].one_packet);
}

TEST_CASE("a firewall-mark service has no protocol, vip or port") {
  CHECK(errors_of(marked("  - {fwmark: 80, protocol: tcp, vip: 198.18.1.100, port: 80}\n")) ==
        Lines{"t.yaml:8:28: services[0].protocol: a firewall-mark service has no protocol: it "
              "receives the packets the firewall_marks rules mark 80",
              "t.yaml:8:38: services[0].vip: a firewall-mark service has no vip: it receives the "
              "packets the firewall_marks rules mark 80",
              "t.yaml:8:58: services[0].port: a firewall-mark service has no port: it receives the "
              "packets the firewall_marks rules mark 80"});
  // With neither, the address service's keys are what is missing.
  CHECK(errors_of(one_service("scheduler: rr")) ==
        Lines{"t.yaml:7:5: services[0].protocol: required key is missing",
              "t.yaml:7:5: services[0].vip: required key is missing",
              "t.yaml:7:5: services[0].port: required key is missing"});
}

TEST_CASE("fwmark values: 1..4294967295") {
  CHECK(errors_of(marked("  - {fwmark: 0}\n")) ==
        Lines{"t.yaml:8:14: services[0].fwmark: expected an integer 1..4294967295, got 0 (0 is "
              "an unmarked packet)"});
  CHECK(errors_of(marked("  - {fwmark: 4294967296}\n")) ==
        Lines{"t.yaml:8:14: services[0].fwmark: expected an integer 1..4294967295, got "
              "4294967296"});
  CHECK(errors_of(marked("  - {fwmark: \"80\"}\n")) ==
        Lines{"t.yaml:8:14: services[0].fwmark: expected an integer 1..4294967295, got \"80\" "
              "(quoted, so a string: write it without quotes)"});
  // An invalid mark still makes a firewall-mark service: no protocol/vip/port
  // are asked for.
  CHECK(errors_of(marked("  - {fwmark: -1}\n")) ==
        Lines{"t.yaml:8:14: services[0].fwmark: expected an integer 1..4294967295, got -1"});
}

TEST_CASE("a fwmark appears once") {
  CHECK(errors_of(marked("  - {fwmark: 80}\n"
                         "  - {protocol: tcp, vip: 198.18.1.100, port: 80}\n"
                         "  - {fwmark: 80, scheduler: rr}\n")) ==
        Lines{"t.yaml:10:5: services[2]: duplicates services[0] (fwmark 80)"});
}

TEST_CASE("a fwmark service needs a rule that sets its mark") {
  CHECK(errors_of(marked("  - {fwmark: 81}\n")) ==
        Lines{"t.yaml:8:14: services[0].fwmark: no firewall_marks rule sets mark 81: the service "
              "could never receive a packet"});
  CHECK(errors_of(with_port("services: [{fwmark: 1}]\n")) ==
        Lines{"t.yaml:6:21: services[0].fwmark: no firewall_marks rule sets mark 1: the service "
              "could never receive a packet"});
  // A rule whose mark no service has exempts its packets from later rules: allowed.
  CHECK(errors_of(with_port("firewall_marks:\n"
                            "  - {mark: 99, destination: 198.18.1.100, ports: [8080]}\n"
                            "  - {mark: 80, destination: 198.18.1.100}\n"
                            "services: [{fwmark: 80}]\n")) == kLoaded);
  // When a rule's mark was rejected the check would be a guess: only the
  // rule's own error.
  CHECK(errors_of(with_port("firewall_marks: [{mark: 0, destination: 198.18.1.100}]\n"
                            "services: [{fwmark: 80}]\n")) ==
        Lines{"t.yaml:6:25: firewall_marks[0].mark: expected an integer 1..4294967295, got 0 (0 "
              "is an unmarked packet)"});
  CHECK(errors_of(with_port("firewall_marks: {mark: 80}\n"
                            "services: [{fwmark: 80}]\n")) ==
        Lines{"t.yaml:6:17: firewall_marks: expected a list, got a map"});
}

TEST_CASE("mark rules: required keys, unknown keys, types") {
  CHECK(errors_of(rule_errors_prefix() + "  - {protocol: tcp}\n") ==
        Lines{"t.yaml:7:5: firewall_marks[0].mark: required key is missing",
              "t.yaml:7:5: firewall_marks[0].destination: required key is missing"});
  CHECK(errors_of(rule_errors_prefix() + "  - {mark: 1, destination: 198.18.1.100, dport: 80}\n") ==
        Lines{"t.yaml:7:42: firewall_marks[0].dport: unknown key \"dport\", expected one of: mark, "
              "protocol, destination, ports, source"});
  CHECK(errors_of(rule_errors_prefix() + "  - {mark: 1, destination: 198.18.1.100, protocol: "
                                         "icmp}\n") ==
        Lines{"t.yaml:7:52: firewall_marks[0].protocol: expected one of: tcp, udp; got \"icmp\""});
  CHECK(errors_of(rule_errors_prefix() + "  - 80\n") ==
        Lines{"t.yaml:7:5: firewall_marks[0]: expected a map with keys: mark, protocol, "
              "destination, ports, source; got \"80\""});
}

TEST_CASE("mark rules: destination and source are addresses or prefixes") {
  const auto rule = [](std::string_view fields) {
    return errors_of(with_port("firewall_marks:\n  - {mark: 1, " + std::string(fields) + "}\n"));
  };
  CHECK(rule("destination: 198.18.3.0/24, source: 0.0.0.0/0") == kLoaded);
  CHECK(rule("destination: 198.18.1.300") ==
        Lines{"t.yaml:7:28: firewall_marks[0].destination: expected an IPv4 address or prefix "
              "(a.b.c.d or a.b.c.d/len), got \"198.18.1.300\""});
  CHECK(rule("destination: 198.18.1.100/24") ==
        Lines{"t.yaml:7:28: firewall_marks[0].destination: 198.18.1.100/24 has bits set past its "
              "/24; expected the prefix's first address, 198.18.1.0/24"});
  CHECK(rule("destination: 224.0.0.0/4") ==
        Lines{"t.yaml:7:28: firewall_marks[0].destination: expected unicast destination "
              "addresses, got 224.0.0.0/4 (multicast)"});
  CHECK(rule("destination: 0.0.0.0/0") ==
        Lines{"t.yaml:7:28: firewall_marks[0].destination: expected unicast destination "
              "addresses, got 0.0.0.0/0 (in 0.0.0.0/8, \"this network\")"});
  CHECK(rule("destination: 198.18.1.100, source: 203.0.113.7/24") ==
        Lines{"t.yaml:7:50: firewall_marks[0].source: 203.0.113.7/24 has bits set past its /24; "
              "expected the prefix's first address, 203.0.113.0/24"});
  CHECK(rule("destination: 198.18.1.100, source: [203.0.113.0/24]") ==
        Lines{"t.yaml:7:50: firewall_marks[0].source: expected an IPv4 address or prefix "
              "(a.b.c.d or a.b.c.d/len), got a list"});
}

TEST_CASE("mark rules never take lbd's own addresses") {
  CHECK(errors_of(with_port("firewall_marks:\n"
                            "  - {mark: 1, destination: 198.18.1.0/24, ports: [80, 443]}\n")) ==
        Lines{"t.yaml:7:28: firewall_marks[0].destination: 198.18.1.0/24 holds ports[0] \"ext\"'s "
              "own address 198.18.1.1: lbd's own traffic must not be load-balanced; list the VIPs, "
              "or a prefix without it"});
  CHECK(errors_of(with_port("firewall_marks: [{mark: 1, destination: 198.18.1.1}]\n")) ==
        Lines{"t.yaml:6:41: firewall_marks[0].destination: 198.18.1.1/32 holds ports[0] \"ext\"'s "
              "own address 198.18.1.1: lbd's own traffic must not be load-balanced; list the VIPs, "
              "or a prefix without it"});
  CHECK(errors_of(with_port("firewall_marks: [{mark: 1, destination: 198.18.1.128/25}]\n")) ==
        kLoaded);
}

TEST_CASE("mark rules: ports are ports and min-max ranges") {
  const auto ports = [](std::string_view list) {
    return errors_of(with_port("firewall_marks:\n  - {mark: 1, destination: 198.18.1.100, ports: " +
                               std::string(list) + "}\n"));
  };
  CHECK(ports("[1, 65535, 1-65535, 10000-10000]") == kLoaded);
  CHECK(ports("[20000-10000]") ==
        Lines{"t.yaml:7:50: firewall_marks[0].ports[0]: port range 20000-10000 is backwards: "
              "expected min-max with min <= max"});
  CHECK(ports("[80, 0-100]") ==
        Lines{"t.yaml:7:54: firewall_marks[0].ports[1]: port range 0-100: expected ports "
              "1..65535"});
  CHECK(ports("[10000-65536]") ==
        Lines{"t.yaml:7:50: firewall_marks[0].ports[0]: port range 10000-65536: expected ports "
              "1..65535"});
  CHECK(ports("[0]") ==
        Lines{"t.yaml:7:50: firewall_marks[0].ports[0]: expected an integer 1..65535, got 0"});
  CHECK(ports("[\"443\"]") ==
        Lines{"t.yaml:7:50: firewall_marks[0].ports[0]: expected an integer 1..65535, got \"443\" "
              "(quoted, so a string: write it without quotes)"});
  CHECK(ports("[10000:20000]") ==
        Lines{"t.yaml:7:50: firewall_marks[0].ports[0]: expected a port 1..65535 or a range "
              "\"min-max\" (10000-20000), got \"10000:20000\""});
  CHECK(ports("[http]") ==
        Lines{"t.yaml:7:50: firewall_marks[0].ports[0]: expected a port 1..65535 or a range "
              "\"min-max\" (10000-20000), got \"http\""});
  CHECK(ports("[[80]]") ==
        Lines{"t.yaml:7:50: firewall_marks[0].ports[0]: expected a port 1..65535 or a range "
              "\"min-max\" (10000-20000), got a list"});
  CHECK(ports("[]") ==
        Lines{"t.yaml:7:49: firewall_marks[0].ports: expected a non-empty list of ports and "
              "ranges, got an empty list; leave ports out to match every port"});
  CHECK(ports("80") == Lines{"t.yaml:7:49: firewall_marks[0].ports: expected a list, got \"80\""});
}

// ---- persistence and port 0 ------------------------------------------------

TEST_CASE("persistence: seconds, or a map with timeout and netmask") {
  const auto persistence = [](std::string_view value) {
    return valid(one_service("protocol: tcp, vip: 198.18.1.100, port: 80, persistence: " +
                             std::string(value)))
        .services[0]
        .persistence;
  };
  CHECK(persistence("1")->timeout_s == 1);
  CHECK(persistence("2678400")->timeout_s == 2678400);
  CHECK(persistence("600")->netmask == ip("255.255.255.255"));
  const auto map = persistence("{timeout: 120, netmask: 255.255.255.0}");
  CHECK(map->timeout_s == 120);
  CHECK(map->netmask == ip("255.255.255.0"));
  CHECK(persistence("{netmask: 255.255.0.0}")->timeout_s == 300);  // the default timeout
  CHECK(persistence("{}")->timeout_s == 300);
  CHECK(persistence("{netmask: 0.0.0.0}")->netmask == ip("0.0.0.0"));
  CHECK_FALSE(valid(one_service("protocol: tcp, vip: 198.18.1.100, port: 80"))
                  .services[0]
                  .persistence.has_value());
}

TEST_CASE("persistence: range, netmask and shape errors") {
  const auto errors = [](std::string_view value) {
    return errors_of(one_service("protocol: tcp, vip: 198.18.1.100, port: 80, persistence: " +
                                 std::string(value)));
  };
  CHECK(errors("0") ==
        Lines{"t.yaml:7:63: services[0].persistence: expected an integer 1..2678400, got 0"});
  CHECK(errors("2678401") ==
        Lines{"t.yaml:7:63: services[0].persistence: expected an integer 1..2678400, got 2678401"});
  CHECK(errors("yes") ==
        Lines{"t.yaml:7:63: services[0].persistence: expected an integer 1..2678400, got \"yes\""});
  CHECK(errors("[600]") ==
        Lines{"t.yaml:7:63: services[0].persistence: expected a timeout in seconds 1..2678400 or "
              "a map with keys: timeout, netmask; got a list"});
  CHECK(errors_of(with_port("services:\n  - protocol: tcp\n    vip: 198.18.1.100\n    port: 80\n"
                            "    persistence:\n")) ==
        Lines{"t.yaml:10:5: services[0].persistence: expected a timeout in seconds 1..2678400 or "
              "a map with keys: timeout, netmask; got an empty value"});
  CHECK(errors("{timeout: 0}") ==
        Lines{"t.yaml:7:73: services[0].persistence.timeout: expected an integer 1..2678400, got "
              "0"});
  CHECK(errors("{netmask: 255.0.255.0}") ==
        Lines{"t.yaml:7:73: services[0].persistence.netmask: expected a netmask with contiguous "
              "ones (255.255.255.0, 255.255.0.0, ...), got 255.0.255.0"});
  CHECK(errors("{netmask: 24}") ==
        Lines{"t.yaml:7:73: services[0].persistence.netmask: expected a netmask (a.b.c.d, e.g. "
              "255.255.255.0), got \"24\""});
  CHECK(errors("{mask: 255.255.255.0}") ==
        Lines{"t.yaml:7:64: services[0].persistence.mask: unknown key \"mask\", expected one of: "
              "timeout, netmask"});
}

TEST_CASE("port 0 takes every port and needs persistence, as ipvsadm") {
  const Config c =
      valid(one_service("protocol: tcp, vip: 198.18.1.100, port: 0, persistence: 300, "
                        "real_servers: [{address: 198.18.1.11}, {address: 198.18.1.12, port: 0}]"));
  CHECK(c.services[0].port == 0);
  CHECK(c.services[0].real_servers[0].port == 0);
  CHECK(c.services[0].real_servers[1].port == 0);
  CHECK(errors_of(one_service("protocol: udp, vip: 198.18.1.100, port: 0")) ==
        Lines{"t.yaml:7:46: services[0].port: port 0 (every port of the VIP) is only for "
              "persistent services; add persistence or give the port (ipvsadm: \"Zero port "
              "specified for non-persistent service\")"});
  // A rejected persistence is one error, not two.
  CHECK(errors_of(one_service("protocol: udp, vip: 198.18.1.100, port: 0, persistence: 0")) ==
        Lines{"t.yaml:7:62: services[0].persistence: expected an integer 1..2678400, got 0"});
}

TEST_CASE("a real server's port 0 is only for firewall-mark and port-0 services") {
  CHECK(errors_of(one_service("protocol: tcp, vip: 198.18.1.100, port: 80, "
                              "real_servers: [{address: 198.18.1.11, port: 0}]")) ==
        Lines{"t.yaml:7:94: services[0].real_servers[0].port: port 0 (keep each packet's port) is "
              "only for firewall-mark and port-0 services; expected 1..65535, or leave it out for "
              "the service's port 80"});
  CHECK(errors_of(marked("  - {fwmark: 80, real_servers: [{address: 198.18.1.11, port: 0}]}\n")) ==
        kLoaded);
}

// ---- scheduler flags ---------------------------------------------------------

TEST_CASE("scheduler flags reach the model as the kernel's bits") {
  const auto flags = [](std::string_view scheduler, std::string_view list) {
    return valid(one_service("protocol: tcp, vip: 198.18.1.100, port: 80, scheduler: " +
                             std::string(scheduler) + ", scheduler_flags: " + std::string(list)))
        .services[0]
        .sched_flags;
  };
  using lb::sched::kSchedFlag1;
  using lb::sched::kSchedFlag2;
  using lb::sched::kSchedFlag3;
  CHECK(flags("sh", "[sh-port, sh-fallback]") == (kSchedFlag1 | kSchedFlag2));
  CHECK(flags("sh", "[sh-port, flag-3]") == (kSchedFlag2 | kSchedFlag3));
  CHECK(flags("sh", "[flag-1]") == kSchedFlag1);
  CHECK(flags("rr", "[flag-1, flag-2, flag-3]") == (kSchedFlag1 | kSchedFlag2 | kSchedFlag3));
  CHECK(flags("rr", "[]") == 0);
  CHECK(valid(one_service("protocol: tcp, vip: 198.18.1.100, port: 80")).services[0].sched_flags ==
        0);
}

TEST_CASE("scheduler flags: invalid and incompatible, as ipvsadm -b") {
  const auto errors = [](std::string_view rest) {
    return errors_of(
        one_service("protocol: tcp, vip: 198.18.1.100, port: 80, " + std::string(rest)));
  };
  CHECK(errors("scheduler: sh, scheduler_flags: [sh-fallbak]") ==
        Lines{"t.yaml:7:83: services[0].scheduler_flags[0]: unknown scheduler flag \"sh-fallbak\", "
              "expected one of: sh-fallback, sh-port, flag-1, flag-2, flag-3 (ipvsadm: invalid "
              "scheduler flag `sh-fallbak')"});
  CHECK(errors("scheduler: rr, scheduler_flags: [flag-4]") ==
        Lines{"t.yaml:7:83: services[0].scheduler_flags[0]: unknown scheduler flag \"flag-4\", "
              "expected one of: flag-1, flag-2, flag-3 (ipvsadm: invalid scheduler flag "
              "`flag-4')"});
  CHECK(errors("scheduler: rr, scheduler_flags: [sh-port]") ==
        Lines{"t.yaml:7:83: services[0].scheduler_flags[0]: scheduler flag \"sh-port\" is only for "
              "scheduler sh, not rr (ipvsadm: incompatible scheduler flag `sh-port')"});
  CHECK(errors("scheduler: sh, scheduler_flags: [sh-port, mh-fallback]") ==
        Lines{"t.yaml:7:92: services[0].scheduler_flags[1]: scheduler flag \"mh-fallback\" is only "
              "for scheduler mh, not sh (ipvsadm: incompatible scheduler flag `mh-fallback')"});
  // Without `scheduler` the service's scheduler is wlc, as ipvsadm assumes.
  CHECK(errors("scheduler_flags: [sh-fallback]") ==
        Lines{"t.yaml:7:68: services[0].scheduler_flags[0]: scheduler flag \"sh-fallback\" is only "
              "for scheduler sh, not wlc (ipvsadm: incompatible scheduler flag `sh-fallback')"});
  // An unknown scheduler is one error: its flags' compatibility is not judged.
  CHECK(
      errors("scheduler: maglev, scheduler_flags: [sh-port]") ==
      Lines{"t.yaml:7:61: services[0].scheduler: unknown scheduler \"maglev\", expected one of: " +
            lb::test::scheduler_list()});
  CHECK(
      errors("scheduler: sh, scheduler_flags: [sh-fallback, flag-1]") ==
      Lines{"t.yaml:7:96: services[0].scheduler_flags[1]: scheduler flag \"flag-1\" sets the same "
            "flag as services[0].scheduler_flags[0]"});
  CHECK(errors("scheduler: sh, scheduler_flags: sh-port") ==
        Lines{"t.yaml:7:82: services[0].scheduler_flags: expected a list, got \"sh-port\""});
}

// ---- one-packet scheduling ---------------------------------------------------

TEST_CASE("one-packet scheduling is for UDP and firewall-mark services") {
  CHECK(valid(one_service("protocol: udp, vip: 198.18.1.100, port: 53, one_packet: true"))
            .services[0]
            .one_packet);
  CHECK_FALSE(valid(one_service("protocol: tcp, vip: 198.18.1.100, port: 53, one_packet: false"))
                  .services[0]
                  .one_packet);
  CHECK(errors_of(marked("  - {fwmark: 80, one_packet: true}\n")) == kLoaded);
  CHECK(errors_of(one_service("protocol: tcp, vip: 198.18.1.100, port: 53, one_packet: true")) ==
        Lines{"t.yaml:7:62: services[0].one_packet: one-packet scheduling is only for UDP and "
              "firewall-mark services, not tcp (ipvsadm: \"One-Packet Scheduling is only for UDP "
              "virtual services\")"});
  CHECK(errors_of(one_service("protocol: udp, vip: 198.18.1.100, port: 53, one_packet: 1")) ==
        Lines{"t.yaml:7:62: services[0].one_packet: expected true or false (or yes/no), got "
              "\"1\""});
}

TEST_CASE("a NAT real server is in one one-packet service at most") {
  const std::string head = with_port(
      "firewall_marks: [{mark: 53, protocol: udp, destination: 198.18.1.101}]\n"
      "services:\n"
      "  - {protocol: udp, vip: 198.18.1.100, port: 53, one_packet: true,\n"  // 8
      "     real_servers: [{address: 198.18.1.11, port: 5353}, {address: 198.18.1.12}]}\n");
  CHECK(errors_of(head +
                  "  - {protocol: udp, vip: 198.18.1.100, port: 54, one_packet: true,\n"  // 10
                  "     real_servers: [{address: 198.18.1.11, port: 5353}]}\n") ==
        Lines{"t.yaml:11:21: services[1].real_servers[0]: real server 198.18.1.11:5353 is also "
              "198.18.1.11:5353 of services[0], another one-packet NAT service; one-packet "
              "scheduling keeps no connection, so lbd could not tell which service a reply from "
              "it belongs to"});
  // Port 0 (the packet's own port) may be any port.
  CHECK(errors_of(head +
                  "  - {fwmark: 53, one_packet: true, real_servers: [{address: 198.18.1.12}]}\n") ==
        Lines{"t.yaml:10:51: services[1].real_servers[0]: real server 198.18.1.12:0 is also "
              "198.18.1.12:53 of services[0], another one-packet NAT service; one-packet "
              "scheduling keeps no connection, so lbd could not tell which service a reply from "
              "it belongs to"});
  // A service keeping connections can share it; so can another port.
  CHECK(errors_of(head + "  - {protocol: udp, vip: 198.18.1.100, port: 54,\n"
                         "     real_servers: [{address: 198.18.1.11, port: 5353}]}\n"
                         "  - {protocol: udp, vip: 198.18.1.100, port: 55, one_packet: true,\n"
                         "     real_servers: [{address: 198.18.1.11, port: 5354}]}\n") == kLoaded);
}

// ---- thresholds and quiesce ----------------------------------------------------

TEST_CASE("thresholds and quiesce_server reach the model") {
  const Config c = valid(one_service(
      "protocol: tcp, vip: 198.18.1.100, port: 80, quiesce_server: true, real_servers: "
      "[{address: 198.18.1.11, upper_threshold: 1000, lower_threshold: 800}, "
      "{address: 198.18.1.12, upper_threshold: 2147483647, lower_threshold: 2147483647}, "
      "{address: 198.18.1.13}]"));
  const auto& s = c.services[0];
  CHECK(s.quiesce_server);
  CHECK(s.real_servers[0].upper_threshold == 1000);
  CHECK(s.real_servers[0].lower_threshold == 800);
  CHECK(s.real_servers[1].upper_threshold == 2147483647u);
  CHECK(s.real_servers[1].lower_threshold == 2147483647u);
  CHECK(s.real_servers[2].upper_threshold == 0);
  CHECK(s.real_servers[2].lower_threshold == 0);
  CHECK_FALSE(
      valid(one_service("protocol: tcp, vip: 198.18.1.100, port: 80")).services[0].quiesce_server);
}

TEST_CASE("enabled: services and real servers can be kept but not served") {
  const Config c =
      valid(one_service("protocol: tcp, vip: 198.18.1.100, port: 80, enabled: false, real_servers: "
                        "[{address: 198.18.1.11, enabled: false}, {address: 198.18.1.12}]"));
  const auto& s = c.services[0];
  CHECK_FALSE(s.enabled);
  CHECK_FALSE(s.real_servers[0].enabled);
  CHECK(s.real_servers[1].enabled);
  CHECK(valid(one_service("protocol: tcp, vip: 198.18.1.100, port: 80")).services[0].enabled);
  CHECK(errors_of(with_port("services:\n  - protocol: tcp\n    vip: 198.18.1.100\n    port: 80\n"
                            "    enabled: sometimes\n")) ==
        Lines{"t.yaml:10:14: services[0].enabled: expected true or false (or yes/no), got "
              "\"sometimes\""});
}

TEST_CASE("thresholds: range, and lower never above upper (the kernel's ERANGE)") {
  const auto real = [](std::string_view fields) {
    return errors_of(
        with_port("services:\n  - protocol: tcp\n    vip: 198.18.1.100\n    port: 80\n"
                  "    real_servers:\n      - {address: 198.18.1.11, " +
                  std::string(fields) + "}\n"));
  };
  CHECK(real("upper_threshold: 2147483648") ==
        Lines{"t.yaml:11:49: services[0].real_servers[0].upper_threshold: expected an integer "
              "0..2147483647, got 2147483648"});
  CHECK(real("lower_threshold: -1") ==
        Lines{"t.yaml:11:49: services[0].real_servers[0].lower_threshold: expected an integer "
              "0..2147483647, got -1"});
  CHECK(real("upper_threshold: 50, lower_threshold: 100") ==
        Lines{"t.yaml:11:70: services[0].real_servers[0].lower_threshold: lower threshold 100 is "
              "above the upper threshold 50 (the kernel refuses it: \"Numerical result out of "
              "range\")"});
  CHECK(real("lower_threshold: 10") ==
        Lines{"t.yaml:11:49: services[0].real_servers[0].lower_threshold: lower threshold 10 "
              "without an upper threshold: set upper_threshold to 10 or more (the kernel refuses "
              "it: \"Numerical result out of range\")"});
  CHECK(real("upper_threshold: 100, lower_threshold: 100") == kLoaded);
  CHECK(real("upper_threshold: 100") == kLoaded);
  // The upper one rejected: no second error about their order.
  CHECK(real("upper_threshold: big, lower_threshold: 10") ==
        Lines{"t.yaml:11:49: services[0].real_servers[0].upper_threshold: expected an integer "
              "0..2147483647, got \"big\""});
}

// ---- connection timeouts -------------------------------------------------------

TEST_CASE("connection timeouts: seconds in the file, milliseconds in the model") {
  const Config c = valid(
      with_port("connections:\n"
                "  timeouts: {none: 1, established: 7200, syn_sent: 3, syn_recv: 4, fin_wait: 5,\n"
                "             time_wait: 6, close: 7, close_wait: 8, last_ack: 9, listen: 10,\n"
                "             synack: 11, udp: 12, icmp: 2678400}\n"));
  const auto& t = c.connections.timeouts;
  CHECK(t.tcp(TcpState::kNone) == 1000);
  CHECK(t.tcp(TcpState::kEstablished) == 7200000);
  CHECK(t.tcp(TcpState::kSynSent) == 3000);
  CHECK(t.tcp(TcpState::kSynRecv) == 4000);
  CHECK(t.tcp(TcpState::kFinWait) == 5000);
  CHECK(t.tcp(TcpState::kTimeWait) == 6000);
  CHECK(t.tcp(TcpState::kClose) == 7000);
  CHECK(t.tcp(TcpState::kCloseWait) == 8000);
  CHECK(t.tcp(TcpState::kLastAck) == 9000);
  CHECK(t.tcp(TcpState::kListen) == 10000);
  CHECK(t.tcp(TcpState::kSynAck) == 11000);
  CHECK(t.udp_ms == 12000);
  CHECK(t.icmp_ms == 2678400000u);

  // A subset: the others keep the kernel's defaults.
  const Config some =
      valid(with_port("connections: {timeouts: {established: 900, time_wait: 60}}\n"));
  const lb::conn::Timeouts defaults;
  CHECK(some.connections.timeouts.tcp(TcpState::kEstablished) == 900000);
  CHECK(some.connections.timeouts.tcp(TcpState::kTimeWait) == 60000);
  CHECK(some.connections.timeouts.tcp(TcpState::kFinWait) == defaults.tcp(TcpState::kFinWait));
  CHECK(some.connections.timeouts.udp_ms == defaults.udp_ms);
  CHECK(valid(with_port("connections: {timeouts: {}}\n")).connections.timeouts.tcp_ms ==
        defaults.tcp_ms);
}

TEST_CASE("connection timeouts: 1..2678400 seconds, known states only") {
  CHECK(errors_of(with_port("connections: {timeouts: {established: 0}}\n")) ==
        Lines{"t.yaml:6:39: connections.timeouts.established: expected an integer 1..2678400, got "
              "0"});
  CHECK(errors_of(with_port("connections: {timeouts: {udp: 2678401}}\n")) ==
        Lines{"t.yaml:6:31: connections.timeouts.udp: expected an integer 1..2678400, got "
              "2678401"});
  CHECK(errors_of(with_port("connections: {timeouts: {tcp: 900}}\n")) ==
        Lines{"t.yaml:6:26: connections.timeouts.tcp: unknown key \"tcp\", expected one of: none, "
              "established, syn_sent, syn_recv, fin_wait, time_wait, close, close_wait, last_ack, "
              "listen, synack, udp, icmp"});
  CHECK(errors_of(with_port("connections:\n  timeouts:\n")) ==
        Lines{"t.yaml:7:3: connections.timeouts: expected a map of timeouts in seconds, got an "
              "empty value"});
  CHECK(errors_of(with_port("connections: {timeouts: 900}\n")) ==
        Lines{"t.yaml:6:25: connections.timeouts: expected a map with keys: none, established, "
              "syn_sent, syn_recv, fin_wait, time_wait, close, close_wait, last_ack, listen, "
              "synack, udp, icmp; got \"900\""});
}

// ---- the shipped examples ------------------------------------------------------

TEST_CASE("the firewall-mark example: HTTP+HTTPS under mark 80, FTP under mark 21") {
  auto result = lb::config::load_file((kConfDir / "fwmark-persistence.yaml").string());
  INFO(Catch::Detail::stringify(error_lines(result)));
  REQUIRE(result.config);
  const Config& c = *result.config;
  REQUIRE(c.mark_rules.size() == 4);
  CHECK(c.mark_rules[0].mark == 80);
  CHECK(c.mark_rules[0].port_min == 80);
  CHECK(c.mark_rules[1].port_min == 443);
  CHECK(c.mark_rules[2].mark == 21);
  CHECK(c.mark_rules[2].port_max == 21);
  CHECK(c.mark_rules[3].port_min == 10000);
  CHECK(c.mark_rules[3].port_max == 20000);
  for (const auto& rule : c.mark_rules) {
    CHECK(rule.protocol == Protocol::kTcp);
    CHECK(rule.destination.to_string() == "198.18.1.100/32");
  }
  REQUIRE(c.services.size() == 2);
  CHECK(c.services[0].fwmark == 80);
  CHECK(c.services[0].persistence->timeout_s == 600);
  CHECK(c.services[1].fwmark == 21);
  CHECK(c.services[1].persistence->netmask == ip("255.255.255.0"));
  for (const auto& service : c.services) {
    for (const auto& real : service.real_servers) {
      CHECK(real.port == 0);
      CHECK(real.forward == lb::sched::ForwardMethod::kNat);
      CHECK(lb::packet::Ipv4Prefix::parse("198.18.0.0/15")->contains(real.addr));
    }
  }
}

TEST_CASE("the schedulers example has every registered scheduler once") {
  auto result = lb::config::load_file((kConfDir / "schedulers.yaml").string());
  INFO(Catch::Detail::stringify(error_lines(result)));
  REQUIRE(result.config);
  std::vector<std::string> used;
  for (const auto& service : result.config->services)
    used.push_back(service.scheduler);
  std::sort(used.begin(), used.end());
  std::vector<std::string> registered;
  for (const auto& info : lb::sched::schedulers())
    registered.emplace_back(info.name);
  CHECK(used == registered);
  CHECK(used.size() == 14);
}
