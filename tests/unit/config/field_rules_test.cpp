// Each field checked on its own: types, ranges, formats, unknown and missing
// keys. Every case asserts the exact line an operator would read.
#include <catch2/catch.hpp>

#include "config_test.h"

using lb::test::errors_of;
using lb::test::with_port;
using Lines = std::vector<std::string>;

namespace {

struct Case {
  std::string yaml;      // appended after the valid one-port prefix (lines 1-5)
  std::string expected;  // the single error, as to_string() prints it
};

void check_cases(const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    INFO(c.yaml);
    CHECK(errors_of(with_port(c.yaml)) == Lines{c.expected});
  }
}

}  // namespace

TEST_CASE("unknown keys are errors at every level, listing the expected keys") {
  check_cases({
      {"servces: []\n",
       "t.yaml:6:1: servces: unknown key \"servces\", expected one of: eal, lcores, control, "
       "logging, metrics, ports, neighbors, connections, services, firewall_marks"},
      {"eal: {hugepages: on}\n",
       "t.yaml:6:7: eal.hugepages: unknown key \"hugepages\", expected one of: huge_pages, "
       "memory_mb, mbufs, file_prefix, log_level, extra_args"},
      {"    MTU: 1500\n",
       "t.yaml:6:5: ports[0].MTU: unknown key \"MTU\", expected one of: name, device, address, "
       "gateway, mac, mtu, exception_path, tap_name, tunnel_sources"},
      {"neighbors: {static: [{address: 198.18.1.9, mac: \"02:00:00:00:00:01\", ttl: 5}]}\n",
       "t.yaml:6:70: neighbors.static[0].ttl: unknown key \"ttl\", expected one of: address, mac"},
      {"services:\n  - {protocol: tcp, vip: 198.18.1.100, port: 80, real_servers: [{address: "
       "198.18.1.11, wieght: 2}]}\n",
       "t.yaml:7:88: services[0].real_servers[0].wieght: unknown key \"wieght\", expected one of: "
       "address, port, weight, forward, upper_threshold, lower_threshold, enabled, check"},
  });
  // The misspelt key is not read, so the one it stood for is missing too.
  CHECK(errors_of(with_port("services:\n  - prot: tcp\n    vip: 198.18.1.100\n    port: 80\n")) ==
        Lines{"t.yaml:7:5: services[0].prot: unknown key \"prot\", expected one of: protocol, vip, "
              "port, fwmark, scheduler, scheduler_flags, persistence, one_packet, quiesce_server, "
              "enabled, health, sorry_server, real_servers",
              "t.yaml:7:5: services[0].protocol: required key is missing"});
}

TEST_CASE("a key given twice is an error") {
  check_cases({{"    mtu: 1500\n    mtu: 9000\n",
                "t.yaml:7:5: ports[0].mtu: duplicate key \"mtu\" (first given at line 6)"}});
}

TEST_CASE("required keys are reported missing at their map") {
  CHECK(errors_of("eal: {}\n") == Lines{"t.yaml:1:1: ports: required key is missing"});
  CHECK(errors_of("ports:\n  - name: ext\n") ==
        Lines{"t.yaml:2:5: ports[0].device: required key is missing",
              "t.yaml:2:5: ports[0].address: required key is missing"});
}

TEST_CASE("services and real servers need protocol, vip, port and address") {
  CHECK(errors_of(with_port("services:\n  - scheduler: rr\n    real_servers: [{port: 80}]\n")) ==
        Lines{"t.yaml:7:5: services[0].protocol: required key is missing",
              "t.yaml:7:5: services[0].vip: required key is missing",
              "t.yaml:7:5: services[0].port: required key is missing",
              "t.yaml:8:20: services[0].real_servers[0].address: required key is missing"});
  CHECK(errors_of(with_port("neighbors:\n  static: [{}]\n")) ==
        Lines{"t.yaml:7:12: neighbors.static[0].address: required key is missing",
              "t.yaml:7:12: neighbors.static[0].mac: required key is missing"});
}

TEST_CASE("integers are plain YAML integers within the field's range") {
  check_cases({
      {"    mtu: abc\n", "t.yaml:6:10: ports[0].mtu: expected an integer 576..9000, got \"abc\""},
      {"    mtu: 1.5\n", "t.yaml:6:10: ports[0].mtu: expected an integer 576..9000, got \"1.5\""},
      {"    mtu: 0x5dc\n",
       "t.yaml:6:10: ports[0].mtu: expected an integer 576..9000, got \"0x5dc\""},
      {"    mtu: \"1500\"\n",
       "t.yaml:6:10: ports[0].mtu: expected an integer 576..9000, got \"1500\" (quoted, so a "
       "string: write it without quotes)"},
      {"    mtu: -1500\n", "t.yaml:6:10: ports[0].mtu: expected an integer 576..9000, got -1500"},
      {"    mtu: 575\n", "t.yaml:6:10: ports[0].mtu: expected an integer 576..9000, got 575"},
      {"    mtu: 9001\n", "t.yaml:6:10: ports[0].mtu: expected an integer 576..9000, got 9001"},
      {"    mtu: 99999999999999999999999\n",
       "t.yaml:6:10: ports[0].mtu: expected an integer 576..9000, got 99999999999999999999999"},
      {"    mtu:\n", "t.yaml:6:5: ports[0].mtu: expected an integer 576..9000, got an empty value"},
      {"    mtu: [1500]\n", "t.yaml:6:10: ports[0].mtu: expected an integer 576..9000, got a list"},
  });
}

TEST_CASE("every integer field has its documented range") {
  check_cases({
      {"eal: {memory_mb: 63}\n",
       "t.yaml:6:18: eal.memory_mb: expected an integer 64..1048576, got 63"},
      {"eal: {mbufs: 16777216}\n",
       "t.yaml:6:14: eal.mbufs: expected an integer 1023..16777215, got 16777216"},
      {"lcores: {main: 1024, workers: [1]}\n",
       "t.yaml:6:16: lcores.main: expected an integer 0..1023, got 1024"},
      {"lcores: {workers: [1, -1]}\n",
       "t.yaml:6:23: lcores.workers[1]: expected an integer 0..1023, got -1"},
      {"lcores: {workers: [\"1@\"]}\n",
       "t.yaml:6:20: lcores.workers[0]: expected an lcore id 0..1023 or \"LCORE@CPU\" (each "
       "0..1023), "
       "got \"1@\""},
      {"lcores: {workers: [\"1@2048\"]}\n",
       "t.yaml:6:20: lcores.workers[0]: expected an lcore id 0..1023 or \"LCORE@CPU\" (each "
       "0..1023), "
       "got \"1@2048\""},
      {"lcores: {main: x@1}\n",
       "t.yaml:6:16: lcores.main: expected an lcore id 0..1023 or \"LCORE@CPU\" (each 0..1023), "
       "got "
       "\"x@1\""},
      {"connections: {table_size: automatic}\n",
       "t.yaml:6:27: connections.table_size: expected auto or an integer 1024..268435456, got "
       "\"automatic\""},
      {"connections: {expire_nodest_conn: 1}\n",
       "t.yaml:6:35: connections.expire_nodest_conn: expected true or false (or yes/no), got "
       "\"1\""},
      {"lcores: {idle_sleep_us: 100001}\n",
       "t.yaml:6:25: lcores.idle_sleep_us: expected an integer 0..100000, got 100001"},
      {"neighbors: {table_size: 32}\n",
       "t.yaml:6:25: neighbors.table_size: expected an integer 64..1048576, got 32"},
      {"neighbors: {table_size: 1000}\n",
       "t.yaml:6:25: neighbors.table_size: expected a power of two 64..1048576, got 1000"},
      {"neighbors: {reachable_ms: 999}\n",
       "t.yaml:6:27: neighbors.reachable_ms: expected an integer 1000..86400000, got 999"},
      {"neighbors: {retry_ms: 60001}\n",
       "t.yaml:6:23: neighbors.retry_ms: expected an integer 10..60000, got 60001"},
      {"neighbors: {retries: 0}\n",
       "t.yaml:6:22: neighbors.retries: expected an integer 1..20, got 0"},
      {"neighbors: {hold_packets: 65537}\n",
       "t.yaml:6:27: neighbors.hold_packets: expected an integer 0..65536, got 65537"},
      {"connections: {table_size: 1023}\n",
       "t.yaml:6:27: connections.table_size: expected auto or an integer 1024..268435456, got "
       "1023"},
      {"services: [{protocol: tcp, vip: 198.18.1.100, port: 65536}]\n",
       "t.yaml:6:53: services[0].port: expected an integer 0..65535, got 65536"},
      {"services: [{protocol: tcp, vip: 198.18.1.100, port: 80, real_servers: [{address: "
       "198.18.1.11, port: 65536}]}]\n",
       "t.yaml:6:101: services[0].real_servers[0].port: expected an integer 0..65535, got 65536"},
      {"services: [{protocol: tcp, vip: 198.18.1.100, port: 80, real_servers: [{address: "
       "198.18.1.11, weight: 65536}]}]\n",
       "t.yaml:6:103: services[0].real_servers[0].weight: expected an integer 0..65535, got 65536"},
  });
}

TEST_CASE("booleans accept true/false/yes/no only") {
  check_cases({
      {"    exception_path: on\n",
       "t.yaml:6:21: ports[0].exception_path: expected true or false (or yes/no), got \"on\""},
      {"    exception_path: 1\n",
       "t.yaml:6:21: ports[0].exception_path: expected true or false (or yes/no), got \"1\""},
      {"    exception_path: \"true\"\n",
       "t.yaml:6:21: ports[0].exception_path: expected true or false (or yes/no), got \"true\""},
  });
}

TEST_CASE("words must be one of their choices") {
  check_cases({
      {"eal: {huge_pages: yes}\n",
       "t.yaml:6:19: eal.huge_pages: expected one of: auto, on, off; got \"yes\""},
      {"eal: {log_level: verbose}\n",
       "t.yaml:6:18: eal.log_level: expected one of: emerg, alert, crit, error, warning, notice, "
       "info, debug; got \"verbose\""},
      {"services: [{protocol: sctp, vip: 198.18.1.100, port: 80}]\n",
       "t.yaml:6:23: services[0].protocol: expected one of: tcp, udp; got \"sctp\""},
      {"services: [{protocol: tcp, vip: 198.18.1.100, port: 80, scheduler: maglev}]\n",
       "t.yaml:6:68: services[0].scheduler: unknown scheduler \"maglev\", expected one of: " +
           lb::test::scheduler_list()},
      {"services: [{protocol: tcp, vip: 198.18.1.100, port: 80, real_servers: [{address: "
       "198.18.1.11, forward: fullnat}]}]\n",
       "t.yaml:6:104: services[0].real_servers[0].forward: expected one of: nat, dr, tunnel; got "
       "\"fullnat\""},
  });
}

TEST_CASE("names and strings follow their character sets and lengths") {
  check_cases({
      {"eal: {file_prefix: \"lbd one\"}\n",
       "t.yaml:6:20: eal.file_prefix: expected 1..32 characters from [A-Za-z0-9_-], got \"lbd "
       "one\""},
      {"eal: {file_prefix: abcdefghijklmnopqrstuvwxyz0123456}\n",
       "t.yaml:6:20: eal.file_prefix: expected 1..32 characters from [A-Za-z0-9_-], got "
       "\"abcdefghijklmnopqrstuvwxyz0123456\" (33 characters)"},
      {"eal: {extra_args: [\"\"]}\n",
       "t.yaml:6:20: eal.extra_args[0]: expected a non-empty string, got \"\""},
      {"eal: {extra_args: --no-telemetry}\n",
       "t.yaml:6:19: eal.extra_args: expected a list, got \"--no-telemetry\""},
      {"control: {socket: lbd.sock}\n",
       "t.yaml:6:19: control.socket: expected an absolute path (starting with /), got "
       "\"lbd.sock\""},
      {"control: {socket: /run/lbd/}\n",
       "t.yaml:6:19: control.socket: expected the socket's file path, got a directory "
       "\"/run/lbd/\""},
      {"control: {socket: /" + std::string(107, 'a') + "}\n",
       "t.yaml:6:19: control.socket: a Unix socket path is at most 107 bytes, got 108 bytes"},
      {"control: {socket_group: \"\"}\n",
       "t.yaml:6:25: control.socket_group: expected a non-empty string, got \"\""},
      {"    tap_name: this-is-16-chars\n",
       "t.yaml:6:15: ports[0].tap_name: expected 1..15 characters from [A-Za-z0-9_.-], got "
       "\"this-is-16-chars\" (16 characters)"},
      {"    tap_name: \"..\"\n",
       "t.yaml:6:15: ports[0].tap_name: \".\" and \"..\" are not valid interface names"},
  });
  CHECK(
      errors_of("ports: [{name: Ext, device: d, address: 198.18.1.1/24}]\n") ==
      Lines{"t.yaml:1:16: ports[0].name: expected 1..12 characters from [a-z0-9_-], got \"Ext\""});
  CHECK(errors_of("ports: [{name: abcdefghijklm, device: d, address: 198.18.1.1/24}]\n") ==
        Lines{"t.yaml:1:16: ports[0].name: expected 1..12 characters from [a-z0-9_-], got "
              "\"abcdefghijklm\" (13 characters)"});
  CHECK(errors_of("ports: [{name: ext, device: \"\", address: 198.18.1.1/24}]\n") ==
        Lines{"t.yaml:1:29: ports[0].device: expected a non-empty string, got \"\""});
}

TEST_CASE("a 12-character port name needs an explicit tap_name when it has an exception path") {
  CHECK(errors_of("ports: [{name: abcdefghijkl, device: d, address: 198.18.1.1/24}]\n") ==
        Lines{"t.yaml:1:16: ports[0].tap_name: the default TAP name \"lbd-abcdefghijkl\" is longer "
              "than Linux's 15 characters; set tap_name or shorten the port name"});
  CHECK(errors_of("ports: [{name: abcdefghijkl, device: d, address: 198.18.1.1/24, tap_name: "
                  "lbd-long}]\n") == Lines{"<config loaded>"});
  CHECK(errors_of("ports: [{name: abcdefghijkl, device: d, address: 198.18.1.1/24, "
                  "exception_path: false}]\n") == Lines{"<config loaded>"});
}

TEST_CASE("addresses are unicast IPv4 in their expected form") {
  check_cases({
      {"services: [{protocol: tcp, vip: 198.18.1, port: 80}]\n",
       "t.yaml:6:33: services[0].vip: expected an IPv4 address (a.b.c.d), got \"198.18.1\""},
      {"services: [{protocol: tcp, vip: 198.18.1.100/32, port: 80}]\n",
       "t.yaml:6:33: services[0].vip: expected an IPv4 address (a.b.c.d), got \"198.18.1.100/32\""},
      {"services: [{protocol: tcp, vip: 224.0.0.5, port: 80}]\n",
       "t.yaml:6:33: services[0].vip: expected a unicast IPv4 address, got 224.0.0.5 (multicast)"},
      {"services: [{protocol: tcp, vip: 127.0.0.1, port: 80}]\n",
       "t.yaml:6:33: services[0].vip: expected a unicast IPv4 address, got 127.0.0.1 (loopback)"},
      {"services: [{protocol: tcp, vip: 0.0.0.0, port: 80}]\n",
       "t.yaml:6:33: services[0].vip: expected a unicast IPv4 address, got 0.0.0.0 (in 0.0.0.0/8, "
       "\"this network\")"},
      {"services: [{protocol: tcp, vip: 198.18.1.100, port: 80, real_servers: [{address: "
       "255.255.255.255}]}]\n",
       "t.yaml:6:82: services[0].real_servers[0].address: expected a unicast IPv4 address, got "
       "255.255.255.255 (reserved or broadcast)"},
      {"    mac: 02:00:00:00:01\n",
       "t.yaml:6:10: ports[0].mac: expected a MAC address (aa:bb:cc:dd:ee:ff), got "
       "\"02:00:00:00:01\""},
      {"    mac: \"00:00:00:00:00:00\"\n",
       "t.yaml:6:10: ports[0].mac: expected a unicast MAC address, got 00:00:00:00:00:00 (all "
       "zero)"},
      {"    mac: \"ff:ff:ff:ff:ff:ff\"\n",
       "t.yaml:6:10: ports[0].mac: expected a unicast MAC address, got ff:ff:ff:ff:ff:ff "
       "(broadcast)"},
      {"    mac: \"01:00:5e:00:00:01\"\n",
       "t.yaml:6:10: ports[0].mac: expected a unicast MAC address, got 01:00:5e:00:00:01 "
       "(multicast: the low bit of the first octet is set)"},
  });
}

TEST_CASE("a port address is this host's address with a prefix length 1..32") {
  auto port = [](std::string_view address) {
    return errors_of("ports: [{name: ext, device: d, address: " + std::string(address) + "}]\n");
  };
  CHECK(port("198.18.1.1") ==
        Lines{"t.yaml:1:41: ports[0].address: expected an IPv4 address with its prefix length "
              "(a.b.c.d/len), got \"198.18.1.1\""});
  CHECK(port("198.18.1.1/33") ==
        Lines{"t.yaml:1:41: ports[0].address: expected an IPv4 address with its prefix length "
              "(a.b.c.d/len), got \"198.18.1.1/33\""});
  CHECK(port("198.18.1.1/0") ==
        Lines{"t.yaml:1:41: ports[0].address: expected a prefix length 1..32, got /0"});
  CHECK(port("198.18.1.0/24") ==
        Lines{"t.yaml:1:41: ports[0].address: 198.18.1.0 is the network address of its subnet; "
              "expected this port's own address in the subnet, e.g. 198.18.1.1/24"});
  CHECK(port("198.18.1.255/24") ==
        Lines{"t.yaml:1:41: ports[0].address: 198.18.1.255 is the broadcast address of its "
              "subnet; expected this port's own address in the subnet, e.g. 198.18.1.1/24"});
  CHECK(port("198.18.1.0/31") == Lines{"<config loaded>"});
  CHECK(port("198.18.1.7/32") == Lines{"<config loaded>"});
  CHECK(port("198.18.1.1/1") == Lines{"<config loaded>"});
}

TEST_CASE("the ports list holds 1..16 ports") {
  CHECK(errors_of("ports: []\n") == Lines{"t.yaml:1:8: ports: expected 1..16 ports, got 0"});
  CHECK(errors_of("ports:\n") ==
        Lines{"t.yaml:1:1: ports: expected 1..16 ports, got an empty value"});
  std::string ports = "ports:\n";
  for (int i = 1; i <= 17; ++i) {
    const std::string n = std::to_string(i);
    ports += "  - {name: p" + n + ", device: d" + n + ", address: 198.18." + n + ".1/24}\n";
    if (i == 16) CHECK(errors_of(ports) == Lines{"<config loaded>"});
  }
  CHECK(errors_of(ports) == Lines{"t.yaml:2:3: ports: expected 1..16 ports, got 17"});
}

TEST_CASE("control and logging keys: ranges, words, socket paths") {
  check_cases({
      {"control: {max_clients: 0}\n",
       "t.yaml:6:24: control.max_clients: expected an integer 1..1024, got 0"},
      {"control: {max_clients: 1025}\n",
       "t.yaml:6:24: control.max_clients: expected an integer 1..1024, got 1025"},
      {"control: {idle_timeout_ms: 99}\n",
       "t.yaml:6:28: control.idle_timeout_ms: expected an integer 100..86400000, got 99"},
      {"logging: {level: verbose}\n",
       "t.yaml:6:18: logging.level: expected one of: debug, info, warning, error; got "
       "\"verbose\""},
      {"logging: {syslog: on}\n",
       "t.yaml:6:19: logging.syslog: expected true or false (or yes/no), got \"on\""},
      {"logging: {syslog_facility: kern}\n",
       "t.yaml:6:28: logging.syslog_facility: expected one of: daemon, local0, local1, local2, "
       "local3, local4, local5, local6, local7; got \"kern\""},
      {"logging: {syslog_socket: dev/log}\n",
       "t.yaml:6:26: logging.syslog_socket: expected an absolute path (starting with /), got "
       "\"dev/log\""},
      {"logging: {syslog_socket: /dev/}\n",
       "t.yaml:6:26: logging.syslog_socket: expected the socket's file path, got a directory "
       "\"/dev/\""},
      {"logging: {sislog: true}\n",
       "t.yaml:6:11: logging.sislog: unknown key \"sislog\", expected one of: level, syslog, "
       "syslog_socket, syslog_facility"},
      {"logging: [syslog]\n",
       "t.yaml:6:10: logging: expected a map with keys: level, syslog, syslog_socket, "
       "syslog_facility; got a list"},
  });
  CHECK(errors_of(with_port("logging: {syslog_socket: /" + std::string(107, 's') + "}\n")) ==
        Lines{"t.yaml:6:26: logging.syslog_socket: a Unix socket path is at most 107 bytes, got "
              "108 bytes"});
}

TEST_CASE("metrics.listen: an IPv4 address of this host and a TCP port") {
  const std::string kAddressPort =
      "expected ADDRESS:PORT, an IPv4 address and a TCP port (e.g. 127.0.0.1:9100), got ";
  const std::string kPort = "expected a TCP port 1..65535 after the colon, got ";
  const std::string kLocal =
      "expected an address of this host to listen on (or 0.0.0.0 for all), "
      "got ";
  check_cases({
      {"metrics: {listen: 9100}\n", "t.yaml:6:19: metrics.listen: " + kAddressPort + "\"9100\""},
      {"metrics: {listen: \"localhost:9100\"}\n",
       "t.yaml:6:19: metrics.listen: " + kAddressPort + "\"localhost:9100\""},
      {"metrics: {listen: \"[::1]:9100\"}\n",
       "t.yaml:6:19: metrics.listen: " + kAddressPort + "\"[::1]:9100\""},
      {"metrics: {listen: \":9100\"}\n",
       "t.yaml:6:19: metrics.listen: " + kAddressPort + "\":9100\""},
      {"metrics: {listen: \"127.0.0.1:0\"}\n",
       "t.yaml:6:19: metrics.listen: " + kPort + "\"127.0.0.1:0\""},
      {"metrics: {listen: \"127.0.0.1:65536\"}\n",
       "t.yaml:6:19: metrics.listen: " + kPort + "\"127.0.0.1:65536\""},
      {"metrics: {listen: \"127.0.0.1:\"}\n",
       "t.yaml:6:19: metrics.listen: " + kPort + "\"127.0.0.1:\""},
      {"metrics: {listen: \"127.0.0.1:http\"}\n",
       "t.yaml:6:19: metrics.listen: " + kPort + "\"127.0.0.1:http\""},
      {"metrics: {listen: \"127.0.0.1:-80\"}\n",
       "t.yaml:6:19: metrics.listen: " + kPort + "\"127.0.0.1:-80\""},
      {"metrics: {listen: \"224.0.0.1:9100\"}\n",
       "t.yaml:6:19: metrics.listen: " + kLocal + "224.0.0.1 (multicast)"},
      {"metrics: {listen: \"255.255.255.255:9100\"}\n",
       "t.yaml:6:19: metrics.listen: " + kLocal + "255.255.255.255 (reserved or broadcast)"},
      {"metrics: {listen: \"0.1.2.3:9100\"}\n",
       "t.yaml:6:19: metrics.listen: " + kLocal + "0.1.2.3 (in 0.0.0.0/8, \"this network\")"},
      {"metrics: {listen: \"\"}\n",
       "t.yaml:6:19: metrics.listen: expected a non-empty string, got \"\""},
      {"metrics: {listen: [127.0.0.1, 9100]}\n",
       "t.yaml:6:19: metrics.listen: expected a non-empty string, got a list"},
      {"metrics: {listen: }\n",
       "t.yaml:6:11: metrics.listen: expected a non-empty string, got an empty value"},
      {"metrics: {lisen: \"127.0.0.1:9100\"}\n",
       "t.yaml:6:11: metrics.lisen: unknown key \"lisen\", expected one of: listen"},
      {"metrics: [listen]\n", "t.yaml:6:10: metrics: expected a map with keys: listen; got a list"},
  });
  const auto listen = [](const std::string& yaml) {
    const auto result = lb::test::load(with_port(yaml));
    REQUIRE(result.config);
    return result.config->metrics.listen;
  };
  CHECK(listen("metrics: {listen: \"127.0.0.1:9100\"}\n") ==
        lb::config::ListenAddress{lb::packet::Ipv4Addr::from_octets(127, 0, 0, 1), 9100});
  CHECK(listen("metrics: {listen: 0.0.0.0:65535}\n")->to_string() == "0.0.0.0:65535");
  CHECK(listen("metrics: {listen: \"198.18.1.1:1\"}\n")->to_string() == "198.18.1.1:1");
  CHECK_FALSE(listen("metrics:\n"));
  CHECK_FALSE(listen("metrics: {}\n"));
}
