// Rules relating several fields: duplicates, overlapping subnets, addresses
// that must not coincide, and what each forwarding method can reach. Each
// error points at the later of the fields involved.
#include <catch2/catch.hpp>

#include "config_test.h"

using lb::test::errors_of;
using lb::test::load;
using lb::test::with_port;
using Lines = std::vector<std::string>;

namespace {

// Two ports, lines 2 and 3.
std::string two_ports(std::string_view first, std::string_view second) {
  return "ports:\n  - {" + std::string(first) + "}\n  - {" + std::string(second) + "}\n";
}

// A TCP service on 198.18.1.100:80 (line 7) whose real servers start on line 9.
std::string service_with(std::string_view real_servers) {
  return with_port(
      "services:\n"
      "  - protocol: tcp\n"
      "    vip: 198.18.1.100\n"
      "    port: 80\n"
      "    real_servers:\n" +
      std::string(real_servers));
}

const Lines kLoaded{"<config loaded>"};

}  // namespace

TEST_CASE("lcores: workers are unique and never the main lcore") {
  CHECK(errors_of(with_port("lcores: {main: 1, workers: [2, 1]}\n")) ==
        Lines{"t.yaml:6:32: lcores.workers[1]: lcore 1 is the main lcore (lcores.main); a worker "
              "needs an lcore of its own"});
  CHECK(errors_of(with_port("lcores: {workers: [1, 2, 1]}\n")) ==
        Lines{"t.yaml:6:26: lcores.workers[2]: lcore 1 is listed twice (also lcores.workers[0])"});
  CHECK(errors_of(with_port("lcores: {workers: []}\n")) ==
        Lines{"t.yaml:6:19: lcores.workers: expected a non-empty list of lcore ids, got an empty "
              "list"});
  // The default workers [1] clash with main: 1 just the same.
  CHECK(errors_of(with_port("lcores: {main: 1}\n")) ==
        Lines{"t.yaml:6:9: lcores.workers: lcore 1 is the main lcore (lcores.main); a worker needs "
              "an lcore of its own"});
  CHECK(errors_of(with_port("lcores: {main: 1, workers: [0, 2, 3]}\n")) == kLoaded);
}

TEST_CASE("ports: names, devices and TAP names are unique") {
  CHECK(errors_of(two_ports("name: ext, device: d0, address: 198.18.1.1/24",
                            "name: ext, device: d1, address: 198.18.2.1/24")) ==
        Lines{"t.yaml:3:12: ports[1].name: duplicate port name \"ext\" (also ports[0].name)"});
  CHECK(errors_of(two_ports("name: ext, device: d0, address: 198.18.1.1/24",
                            "name: int, device: d0, address: 198.18.2.1/24")) ==
        Lines{"t.yaml:3:25: ports[1].device: device \"d0\" is already used by ports[0] \"ext\""});
  CHECK(errors_of(two_ports("name: ext, device: d0, address: 198.18.1.1/24",
                            "name: int, device: d1, address: 198.18.2.1/24, tap_name: lbd-ext")) ==
        Lines{"t.yaml:3:63: ports[1].tap_name: TAP name \"lbd-ext\" is already used by ports[0] "
              "\"ext\""});
  // DPDK knows a device by the name before its arguments.
  CHECK(
      errors_of(two_ports("name: ext, device: \"net_af_xdp0,iface=a\", address: 198.18.1.1/24",
                          "name: int, device: \"net_af_xdp0,iface=b\", address: 198.18.2.1/24")) ==
      Lines{"t.yaml:3:25: ports[1].device: device \"net_af_xdp0\" is already used by ports[0] "
            "\"ext\""});
  // Without an exception path there is no TAP to clash.
  CHECK(errors_of(two_ports("name: ext, device: d0, address: 198.18.1.1/24",
                            "name: int, device: d1, address: 198.18.2.1/24, tap_name: lbd-ext, "
                            "exception_path: false")) == kLoaded);
}

TEST_CASE("ports: subnets do not overlap") {
  CHECK(errors_of(two_ports("name: ext, device: d0, address: 198.18.1.1/24",
                            "name: int, device: d1, address: 198.18.1.200/25")) ==
        Lines{"t.yaml:3:38: ports[1].address: subnet 198.18.1.128/25 overlaps ports[0] \"ext\"'s "
              "subnet 198.18.1.0/24; each port needs a subnet of its own"});
  CHECK(errors_of(two_ports("name: ext, device: d0, address: 198.18.1.1/24",
                            "name: int, device: d1, address: 198.18.0.1/16")) ==
        Lines{"t.yaml:3:38: ports[1].address: subnet 198.18.0.0/16 overlaps ports[0] \"ext\"'s "
              "subnet 198.18.1.0/24; each port needs a subnet of its own"});
  CHECK(errors_of(two_ports("name: ext, device: d0, address: 198.18.1.1/25",
                            "name: int, device: d1, address: 198.18.1.129/25")) == kLoaded);
}

TEST_CASE("ports: one gateway at most, inside its port's subnet") {
  CHECK(errors_of(
            two_ports("name: ext, device: d0, address: 198.18.1.1/24, gateway: 198.18.1.254",
                      "name: int, device: d1, address: 198.18.2.1/24, gateway: 198.18.2.254")) ==
        Lines{"t.yaml:3:62: ports[1].gateway: only one port may have a gateway, and ports[0] "
              "\"ext\" already has one"});
  CHECK(
      errors_of("ports: [{name: ext, device: d, address: 198.18.1.1/24, gateway: 198.18.2.1}]\n") ==
      Lines{"t.yaml:1:65: ports[0].gateway: gateway 198.18.2.1 is outside this port's subnet "
            "198.18.1.0/24"});
  CHECK(
      errors_of("ports: [{name: ext, device: d, address: 198.18.1.1/24, gateway: 198.18.1.1}]\n") ==
      Lines{"t.yaml:1:65: ports[0].gateway: gateway 198.18.1.1 is this port's own address"});
}

TEST_CASE("services: a protocol, VIP and port appear once") {
  const std::string services =
      "services:\n"
      "  - {protocol: tcp, vip: 198.18.1.100, port: 80}\n"
      "  - {protocol: udp, vip: 198.18.1.100, port: 80}\n"
      "  - {protocol: tcp, vip: 198.18.1.101, port: 80}\n"
      "  - {protocol: tcp, vip: 198.18.1.100, port: 81}\n"
      "  - {protocol: tcp, vip: 198.18.1.100, port: 80}\n";
  CHECK(errors_of(with_port(services)) ==
        Lines{"t.yaml:11:5: services[4]: duplicates services[0] (tcp 198.18.1.100:80)"});
}

TEST_CASE("services: a VIP is not a port's own address") {
  CHECK(errors_of(with_port("services: [{protocol: tcp, vip: 198.18.1.1, port: 80}]\n")) ==
        Lines{"t.yaml:6:33: services[0].vip: VIP 198.18.1.1 is ports[0] \"ext\"'s own address; a "
              "VIP needs an address of its own"});
}

TEST_CASE("real servers: an address and port appear once per service") {
  CHECK(errors_of(service_with("      - {address: 198.18.1.11, port: 8080}\n"
                               "      - {address: 198.18.1.11, port: 8081}\n"
                               "      - {address: 198.18.1.12, port: 8080}\n"
                               "      - {address: 198.18.1.11, port: 8080}\n")) ==
        Lines{"t.yaml:14:9: services[0].real_servers[3]: duplicates "
              "services[0].real_servers[0] (198.18.1.11:8080)"});
  // The default port is the service's: 80 given and 80 implied are one server.
  CHECK(errors_of(service_with("      - {address: 198.18.1.11}\n"
                               "      - {address: 198.18.1.11, port: 80}\n")) ==
        Lines{"t.yaml:12:9: services[0].real_servers[1]: duplicates "
              "services[0].real_servers[0] (198.18.1.11:80)"});
}

TEST_CASE("real servers: direct routing needs a server on one of lbd's subnets") {
  CHECK(errors_of(service_with("      - {address: 198.18.1.11, forward: dr}\n")) == kLoaded);
  // ipvsadm's alias names the same method.
  CHECK(errors_of(service_with("      - {address: 198.18.1.11, forward: route}\n")) == kLoaded);
  CHECK(errors_of(service_with("      - {address: 192.0.2.10, forward: dr}\n")) ==
        Lines{"t.yaml:11:19: services[0].real_servers[0].address: real server 192.0.2.10 uses "
              "direct routing but is on none of lbd's subnets (\"ext\" 198.18.1.0/24); direct "
              "routing addresses the frame to the server's MAC, so the server must share a link "
              "with lbd: put it on a port's subnet, or use forward: tunnel"});
}

TEST_CASE("real servers: a tunnel server is on a subnet or behind the gateway") {
  CHECK(errors_of(service_with("      - {address: 198.18.1.11, forward: tunnel}\n")) == kLoaded);
  // Behind the gateway (the test port has one).
  CHECK(errors_of(service_with("      - {address: 192.0.2.10, forward: tunnel}\n")) == kLoaded);
  CHECK(errors_of("ports:\n"
                  "  - {name: ext, device: d0, address: 198.18.1.1/24}\n"
                  "services:\n"
                  "  - {protocol: tcp, vip: 198.18.1.100, port: 80, real_servers: "
                  "[{address: 192.0.2.10, forward: tunnel}]}\n") ==
        Lines{"t.yaml:4:75: services[0].real_servers[0].address: tunnel real server 192.0.2.10 "
              "is on none of lbd's subnets (\"ext\" 198.18.1.0/24) and no port has a gateway to "
              "reach it"});
}

TEST_CASE("real servers: direct routing and tunnels cannot change the port") {
  CHECK(errors_of(service_with("      - {address: 198.18.1.11, port: 80, forward: dr}\n")) ==
        kLoaded);
  CHECK(errors_of(service_with("      - {address: 198.18.1.11, port: 8080, forward: dr}\n")) ==
        Lines{"t.yaml:11:38: services[0].real_servers[0].port: port 8080 differs from the "
              "service's port 80: dr forwards the client's packet unchanged, so the real server "
              "must listen on 80; leave the port out, or use forward: nat to translate it"});
  CHECK(errors_of(service_with("      - {address: 198.18.1.11, port: 8080, forward: tunnel}\n")) ==
        Lines{"t.yaml:11:38: services[0].real_servers[0].port: port 8080 differs from the "
              "service's port 80: tunnel forwards the client's packet unchanged, so the real "
              "server must listen on 80; leave the port out, or use forward: nat to translate it"});
  // Firewall-mark services keep each packet's port.
  CHECK(errors_of(with_port("firewall_marks:\n  - {mark: 1, protocol: tcp, destination: "
                            "198.18.1.100, ports: [80, 443]}\n"
                            "services:\n  - fwmark: 1\n    real_servers:\n"
                            "      - {address: 198.18.1.11, forward: dr}\n"
                            "      - {address: 198.18.1.12, port: 443, forward: dr}\n")) ==
        Lines{"t.yaml:12:38: services[0].real_servers[1].port: port 443: a dr real server of a "
              "firewall-mark service keeps each packet's port; leave the port out (0)"});
}

TEST_CASE("ports: a tunnel source pool is small and holds none of lbd's addresses") {
  const auto port = [](std::string_view pool) {
    return "ports:\n  - {name: ext, device: d0, address: 198.18.1.1/24, tunnel_sources: " +
           std::string(pool) +
           "}\nservices:\n  - {protocol: tcp, vip: 198.18.1.100, port: 80, real_servers: "
           "[{address: 198.18.1.11, forward: tunnel}]}\n";
  };
  CHECK(errors_of(port("198.18.4.0/28")) == kLoaded);
  CHECK(errors_of(port("198.18.1.96/28")) ==
        Lines{"t.yaml:2:69: ports[0].tunnel_sources: 198.18.1.96/28 holds the VIP 198.18.1.100 "
              "of services[0]"});
  CHECK(errors_of(port("198.18.1.0/28")) ==
        Lines{"t.yaml:2:69: ports[0].tunnel_sources: 198.18.1.0/28 holds ports[0] \"ext\"'s own "
              "address 198.18.1.1"});
  CHECK(errors_of(port("198.18.0.0/16")) ==
        Lines{"t.yaml:2:69: ports[0].tunnel_sources: 198.18.0.0/16 is too large a tunnel source "
              "pool: at most a /22 (1022 addresses)"});
  CHECK(errors_of(port("198.18.4.1/28")) ==
        Lines{"t.yaml:2:69: ports[0].tunnel_sources: 198.18.4.1/28 has bits set past its /28; "
              "expected the prefix's first address, 198.18.4.0/28"});
}

TEST_CASE("real servers: no method forwards to lbd's own address or a VIP") {
  CHECK(errors_of(service_with("      - {address: 198.18.1.1}\n")) ==
        Lines{"t.yaml:11:19: services[0].real_servers[0].address: real server 198.18.1.1 is "
              "ports[0] \"ext\"'s own address"});
  CHECK(errors_of(service_with("      - {address: 198.18.1.100, port: 8080}\n")) ==
        Lines{"t.yaml:11:19: services[0].real_servers[0].address: real server 198.18.1.100 is the "
              "VIP of services[0]; forwarding (nat) to a VIP would loop"});
  CHECK(errors_of(service_with("      - {address: 198.18.1.50}\n"
                               "  - {protocol: udp, vip: 198.18.1.50, port: 53}\n")) ==
        Lines{"t.yaml:11:19: services[0].real_servers[0].address: real server 198.18.1.50 is the "
              "VIP of services[1]; forwarding (nat) to a VIP would loop"});
  CHECK(errors_of(service_with("      - {address: 198.18.1.100, forward: dr}\n")) ==
        Lines{"t.yaml:11:19: services[0].real_servers[0].address: real server 198.18.1.100 is the "
              "VIP of services[0]; forwarding (dr) to a VIP would loop"});
  CHECK(errors_of(service_with("      - {address: 198.18.1.1, forward: tunnel}\n")) ==
        Lines{"t.yaml:11:19: services[0].real_servers[0].address: real server 198.18.1.1 is "
              "ports[0] \"ext\"'s own address"});
}

TEST_CASE("static neighbors are on a port's subnet, unique and fit the table") {
  CHECK(errors_of(with_port("neighbors:\n  static:\n"
                            "    - {address: 198.18.1.11, mac: \"02:00:00:00:00:0b\"}\n"
                            "    - {address: 198.18.1.11, mac: \"02:00:00:00:00:0c\"}\n")) ==
        Lines{"t.yaml:9:17: neighbors.static[1].address: 198.18.1.11 is listed twice (also "
              "neighbors.static[0].address)"});
  CHECK(errors_of(with_port("neighbors:\n  static:\n"
                            "    - {address: 192.0.2.1, mac: \"02:00:00:00:00:0b\"}\n")) ==
        Lines{"t.yaml:8:17: neighbors.static[0].address: 192.0.2.1 is in no port's subnet "
              "(198.18.1.0/24)"});
  CHECK(errors_of(with_port("neighbors:\n  static:\n"
                            "    - {address: 198.18.1.1, mac: \"02:00:00:00:00:0b\"}\n")) ==
        Lines{"t.yaml:8:17: neighbors.static[0].address: 198.18.1.1 is ports[0] \"ext\"'s own "
              "address, not a neighbor"});
  std::string many = with_port("neighbors:\n  table_size: 64\n  static:\n");
  for (int i = 1; i <= 65; ++i) {
    many +=
        "    - {address: 198.18.1." + std::to_string(i + 10) + ", mac: \"02:00:00:00:00:01\"}\n";
  }
  CHECK(errors_of(many) ==
        Lines{"t.yaml:7:15: neighbors.table_size: the table of 64 entries cannot hold the 65 "
              "static neighbors"});
}

TEST_CASE("one pass reports every error, in file order") {
  const auto result = load(
      "eal:\n"
      "  memory_mb: lots\n"                // 2
      "lcores: {main: 0, workers: [0]}\n"  // 3
      "ports:\n"
      "  - {name: ext, device: d0, address: 198.18.1.1/24, mtu: 1.5}\n"  // 5
      "  - {name: ext, device: d1, address: 198.18.1.2/24}\n"            // 6
      "services:\n"
      "  - protocol: tcp\n"
      "    vip: 198.18.1.100\n"
      "    port: 80\n"
      "    scheduler: maglev\n"  // 11
      "    real_servers:\n"
      "      - {address: 198.18.1.11, weight: -1}\n"  // 13
      "      - {address: 192.0.2.12, forward: dr}\n"  // 14
      "      - {adress: 198.18.1.13}\n");             // 15
  CHECK_FALSE(result.config);
  CHECK(
      lb::test::error_lines(result) ==
      Lines{
          "t.yaml:2:14: eal.memory_mb: expected an integer 64..1048576, got \"lots\"",
          "t.yaml:3:29: lcores.workers[0]: lcore 0 is the main lcore (lcores.main); a worker "
          "needs an lcore of its own",
          "t.yaml:5:58: ports[0].mtu: expected an integer 576..9000, got \"1.5\"",
          "t.yaml:6:12: ports[1].name: duplicate port name \"ext\" (also ports[0].name)",
          "t.yaml:6:38: ports[1].address: subnet 198.18.1.0/24 overlaps ports[0] \"ext\"'s "
          "subnet 198.18.1.0/24; each port needs a subnet of its own",
          "t.yaml:11:16: services[0].scheduler: unknown scheduler \"maglev\", expected one of: " +
              lb::test::scheduler_list(),
          "t.yaml:13:40: services[0].real_servers[0].weight: expected an integer 0..65535, got -1",
          "t.yaml:14:19: services[0].real_servers[1].address: real server 192.0.2.12 uses direct "
          "routing but is on none of lbd's subnets (\"ext\" 198.18.1.0/24, \"ext\" "
          "198.18.1.0/24); direct routing "
          "addresses the frame to the server's MAC, so the server must share a link with lbd: "
          "put it on a port's subnet, or use forward: tunnel",
          "t.yaml:15:9: services[0].real_servers[2].address: required key is missing",
          "t.yaml:15:10: services[0].real_servers[2].adress: unknown key \"adress\", expected "
          "one of: address, port, weight, forward, upper_threshold, lower_threshold, enabled, "
          "check",
      });
}

TEST_CASE("a value already rejected is not reported again by a cross-field rule") {
  // The invalid address is one error, not also an overlap or a VIP clash.
  CHECK(errors_of(two_ports("name: ext, device: d0, address: 198.18.1.1/24",
                            "name: int, device: d1, address: 198.18.1.0/24")) ==
        Lines{"t.yaml:3:38: ports[1].address: 198.18.1.0 is the network address of its subnet; "
              "expected this port's own address in the subnet, e.g. 198.18.1.1/24"});
}
