// Loading valid files: the shipped examples, defaults, every key reaching the
// model, and the file-level entry point.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>

#include "config_test.h"

using lb::config::Config;
using lb::config::HugePages;
using lb::config::load_file;
using lb::packet::Ipv4Addr;
using lb::packet::Ipv4Prefix;
using lb::packet::MacAddr;
using lb::sched::ForwardMethod;
using lb::sched::Protocol;
using lb::test::error_lines;
using lb::test::kConfDir;
using lb::test::load;
using lb::test::with_port;

namespace {

Ipv4Addr ip(std::string_view text) {
  return *Ipv4Addr::parse(text);
}

// Loads `yaml`, which must be valid.
Config valid(std::string_view yaml) {
  auto result = load(yaml);
  INFO(Catch::Detail::stringify(error_lines(result)));
  REQUIRE(result.errors.empty());
  REQUIRE(result.config);
  return *result.config;
}

}  // namespace

TEST_CASE("every example in conf/ loads without an error") {
  int examples = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kConfDir)) {
    if (entry.path().extension() != ".yaml") continue;
    ++examples;
    auto result = load_file(entry.path().string());
    INFO(entry.path().string() << ": " << Catch::Detail::stringify(error_lines(result)));
    CHECK(result.errors.empty());
    CHECK(result.config.has_value());
  }
  CHECK(examples >= 6);
}

TEST_CASE("conf/ has one example per topology, each using its forwarding method") {
  const auto methods = [](const char* name) {
    auto result = load_file((kConfDir / name).string());
    INFO(name << ": " << Catch::Detail::stringify(error_lines(result)));
    REQUIRE(result.config);
    std::set<ForwardMethod> out;
    for (const auto& service : result.config->services) {
      for (const auto& real : service.real_servers)
        out.insert(real.forward);
    }
    return out;
  };
  CHECK(methods("nat-one-arm.yaml") == std::set{ForwardMethod::kNat});
  CHECK(methods("nat-two-arm.yaml") == std::set{ForwardMethod::kNat});
  CHECK(methods("dr.yaml") == std::set{ForwardMethod::kDirectRoute});
  CHECK(methods("tunnel.yaml") == std::set{ForwardMethod::kTunnel});
  CHECK(methods("dr-tunnel-mixed.yaml") ==
        std::set{ForwardMethod::kNat, ForwardMethod::kDirectRoute, ForwardMethod::kTunnel});
  auto marks = load_file((kConfDir / "fwmark-persistence.yaml").string());
  REQUIRE(marks.config);
  CHECK(std::any_of(marks.config->services.begin(), marks.config->services.end(),
                    [](const auto& s) { return s.fwmark != 0 && s.persistence.has_value(); }));
}

TEST_CASE("the health example checks each service as its comments say") {
  auto result = load_file((kConfDir / "health.yaml").string());
  INFO(Catch::Detail::stringify(error_lines(result)));
  REQUIRE(result.config);
  const auto& services = result.config->services;
  REQUIRE(services.size() == 3);
  const auto& web = services[0];
  REQUIRE(web.health.check);
  CHECK(web.health.check->type == lb::health::CheckType::kHttp);
  CHECK(web.health.check->path == "/health");
  CHECK(web.health.check->expect_status == std::vector<uint16_t>{200});
  CHECK(web.health.check->expect_body.text == "ok");
  CHECK(web.health.check->fall == 2);
  REQUIRE(web.sorry_server);
  CHECK(web.sorry_server->addr == ip("198.18.2.99"));
  REQUIRE(web.real_servers.size() == 3);
  CHECK_FALSE(web.real_servers[0].check);
  REQUIRE(web.real_servers[2].check);
  CHECK(web.real_servers[2].check->port == 8081);
  const auto& mail = services[1];
  REQUIRE(mail.health.check);
  CHECK(mail.health.check->send == "EHLO lbd.example.com\r\n");
  CHECK(mail.health.check->expect.text == "250");
  CHECK(mail.health.check->service_timeout_ms == 6000);
  CHECK(mail.health.on_failure == lb::health::OnFailure::kQuiesce);
  const auto& dns = services[2];
  REQUIRE(dns.health.check);
  CHECK(dns.health.check->type == lb::health::CheckType::kProgram);
  CHECK(dns.health.check->expect == lb::health::Expect{"^198\\.18\\.", true});
}

TEST_CASE("the two-arm example describes the documented topology") {
  auto result = load_file((kConfDir / "nat-two-arm.yaml").string());
  REQUIRE(result.config);
  const Config& c = *result.config;
  REQUIRE(c.ports.size() == 2);
  CHECK(c.ports[0].name == "ext");
  CHECK(c.ports[0].device == "net_af_xdp0,iface=lb-ext");
  CHECK(c.ports[0].address.to_string() == "198.18.1.1/24");
  CHECK(c.ports[0].gateway == ip("198.18.1.254"));
  CHECK(c.ports[1].name == "int");
  CHECK(c.ports[1].address.to_string() == "198.18.2.1/24");
  CHECK_FALSE(c.ports[1].gateway);

  REQUIRE(c.services.size() == 2);
  const auto& web = c.services[0];
  CHECK(web.protocol == Protocol::kTcp);
  CHECK(web.vip == ip("198.18.1.100"));
  CHECK(web.port == 80);
  CHECK(web.scheduler == "rr");
  REQUIRE(web.real_servers.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(web.real_servers[i].addr ==
          Ipv4Addr::from_octets(198, 18, 2, static_cast<uint8_t>(11 + i)));
    CHECK(web.real_servers[i].port == 8080);
    CHECK(web.real_servers[i].forward == ForwardMethod::kNat);
  }
  const auto& dns = c.services[1];
  CHECK(dns.protocol == Protocol::kUdp);
  CHECK(dns.vip == ip("198.18.1.100"));
  CHECK(dns.port == 53);
  CHECK(dns.scheduler == "wlc");
  REQUIRE(dns.real_servers.size() == 3);
  CHECK(dns.real_servers[2].addr == ip("198.18.2.13"));
  CHECK(dns.real_servers[2].port == 5353);
}

TEST_CASE("keys left out take the model's defaults") {
  const Config c = valid(
      "ports:\n"
      "  - {name: ext, device: net_null0, address: 198.18.1.1/24}\n"
      "services:\n"
      "  - protocol: tcp\n"
      "    vip: 198.18.1.100\n"
      "    port: 443\n"
      "    real_servers:\n"
      "      - address: 198.18.1.11\n");
  const Config defaults;
  CHECK(c.eal.huge_pages == defaults.eal.huge_pages);
  CHECK(c.eal.memory_mb == defaults.eal.memory_mb);
  CHECK(c.eal.mbufs == defaults.eal.mbufs);
  CHECK(c.eal.file_prefix == defaults.eal.file_prefix);
  CHECK(c.eal.log_level == defaults.eal.log_level);
  CHECK(c.eal.extra_args.empty());
  CHECK(c.lcores.main == defaults.lcores.main);
  CHECK(c.lcores.workers == defaults.lcores.workers);
  CHECK(c.lcores.idle_sleep_us == defaults.lcores.idle_sleep_us);
  CHECK(c.control.socket == defaults.control.socket);
  CHECK_FALSE(c.control.socket_group);
  CHECK(c.control.max_clients == 64);
  CHECK(c.control.idle_timeout_ms == 60000);
  CHECK(c.logging.level == lb::config::LogLevel::kInfo);
  CHECK_FALSE(c.logging.syslog);
  CHECK(c.logging.syslog_socket == "/dev/log");
  CHECK(c.logging.syslog_facility == 3);
  CHECK_FALSE(c.metrics.listen);
  CHECK(c.neighbors.table_size == defaults.neighbors.table_size);
  CHECK(c.neighbors.reachable_ms == defaults.neighbors.reachable_ms);
  CHECK(c.neighbors.retry_ms == defaults.neighbors.retry_ms);
  CHECK(c.neighbors.retries == defaults.neighbors.retries);
  CHECK(c.neighbors.hold_packets == defaults.neighbors.hold_packets);
  CHECK(c.static_neighbors.empty());
  CHECK(c.connections.table_size == defaults.connections.table_size);

  REQUIRE(c.ports.size() == 1);
  const auto& port = c.ports[0];
  CHECK_FALSE(port.gateway);
  CHECK_FALSE(port.mac);
  CHECK(port.mtu == 1500);
  CHECK(port.exception_path);
  CHECK(port.tap_name == "lbd-ext");

  REQUIRE(c.services.size() == 1);
  CHECK(c.services[0].scheduler == "wlc");
  REQUIRE(c.services[0].real_servers.size() == 1);
  const auto& real = c.services[0].real_servers[0];
  CHECK(real.port == 443);  // the service's port
  CHECK(real.weight == 1);
  CHECK(real.forward == ForwardMethod::kNat);
}

TEST_CASE("a section written empty takes its defaults, as if left out") {
  const Config c =
      valid(with_port("eal:\nlcores:\ncontrol:\nlogging:\nneighbors:\nconnections:\nservices:\n"));
  CHECK(c.eal.file_prefix == "lbd");
  CHECK(c.lcores.workers == std::vector<uint32_t>{1});
  CHECK(c.services.empty());
}

TEST_CASE("every key given reaches the model") {
  const Config c = valid(
      "eal:\n"
      "  huge_pages: off\n"
      "  memory_mb: 256\n"
      "  mbufs: 4095\n"
      "  file_prefix: lbd_Test-2\n"
      "  log_level: debug\n"
      "  extra_args: [\"--log-level=pmd.net.af_xdp:debug\", --no-telemetry]\n"
      "lcores:\n"
      "  main: 2\n"
      "  workers: [0, 3, 1]\n"
      "  idle_sleep_us: 100\n"
      "control:\n"
      "  socket: /tmp/lbd-test/ctl.sock\n"
      "  socket_group: adm\n"
      "  max_clients: 1024\n"
      "  idle_timeout_ms: 100\n"
      "logging:\n"
      "  level: debug\n"
      "  syslog: true\n"
      "  syslog_socket: /run/systemd/journal/syslog\n"
      "  syslog_facility: local7\n"
      "ports:\n"
      "  - name: ext\n"
      "    device: \"net_af_xdp0,iface=lb-ext\"\n"
      "    address: 198.18.1.1/24\n"
      "    gateway: 198.18.1.254\n"
      "    mac: \"02:00:00:00:01:01\"\n"
      "    mtu: 9000\n"
      "    exception_path: no\n"
      "    tap_name: tap.ext_0\n"
      "  - name: int\n"
      "    device: 0000:03:00.0\n"
      "    address: 198.18.2.1/31\n"
      "    exception_path: yes\n"
      "neighbors:\n"
      "  table_size: 64\n"
      "  reachable_ms: 1000\n"
      "  retry_ms: 10\n"
      "  retries: 20\n"
      "  hold_packets: 0\n"
      "  static:\n"
      "    - {address: 198.18.2.0, mac: \"02:00:00:00:02:0B\"}\n"
      "connections:\n"
      "  table_size: 268435456\n"
      "services:\n"
      "  - protocol: udp\n"
      "    vip: 203.0.113.10\n"
      "    port: 65535\n"
      "    scheduler: rr\n"
      "    real_servers:\n"
      "      - {address: 198.18.2.0, port: 1, weight: 0, forward: nat}\n"
      "      - {address: 198.18.1.20, port: 5353, weight: 65535, forward: masq}\n");
  CHECK(c.eal.huge_pages == HugePages::kOff);
  CHECK(c.eal.memory_mb == 256);
  CHECK(c.eal.mbufs == 4095);
  CHECK(c.eal.file_prefix == "lbd_Test-2");
  CHECK(c.eal.log_level == "debug");
  CHECK(c.eal.extra_args ==
        std::vector<std::string>{"--log-level=pmd.net.af_xdp:debug", "--no-telemetry"});
  CHECK(c.lcores.main == 2);
  CHECK(c.lcores.workers == std::vector<uint32_t>{0, 3, 1});
  CHECK(c.lcores.idle_sleep_us == 100);
  CHECK(c.control.socket == "/tmp/lbd-test/ctl.sock");
  CHECK(c.control.socket_group == "adm");
  CHECK(c.control.max_clients == 1024);
  CHECK(c.control.idle_timeout_ms == 100);
  CHECK(c.logging.level == lb::config::LogLevel::kDebug);
  CHECK(c.logging.syslog);
  CHECK(c.logging.syslog_socket == "/run/systemd/journal/syslog");
  CHECK(c.logging.syslog_facility == 23);

  REQUIRE(c.ports.size() == 2);
  CHECK(c.ports[0].device == "net_af_xdp0,iface=lb-ext");
  CHECK(c.ports[0].mac == MacAddr::parse("02:00:00:00:01:01"));
  CHECK(c.ports[0].mtu == 9000);
  CHECK_FALSE(c.ports[0].exception_path);
  CHECK(c.ports[0].tap_name == "tap.ext_0");
  CHECK(c.ports[1].device == "0000:03:00.0");
  CHECK(c.ports[1].address.addr == ip("198.18.2.1"));
  CHECK(c.ports[1].address.len == 31);
  CHECK(c.ports[1].exception_path);
  CHECK(c.ports[1].tap_name == "lbd-int");

  CHECK(c.neighbors.table_size == 64);
  CHECK(c.neighbors.reachable_ms == 1000);
  CHECK(c.neighbors.retry_ms == 10);
  CHECK(c.neighbors.retries == 20);
  CHECK(c.neighbors.hold_packets == 0);
  REQUIRE(c.static_neighbors.size() == 1);
  CHECK(c.static_neighbors[0].addr == ip("198.18.2.0"));  // the /31's other end
  CHECK(c.static_neighbors[0].mac.to_string() == "02:00:00:00:02:0b");
  CHECK(c.connections.table_size == 268435456);

  REQUIRE(c.services.size() == 1);
  const auto& s = c.services[0];
  CHECK(s.protocol == Protocol::kUdp);
  CHECK(s.vip == ip("203.0.113.10"));
  CHECK(s.port == 65535);
  CHECK(s.scheduler == "rr");
  REQUIRE(s.real_servers.size() == 2);
  CHECK(s.real_servers[0].port == 1);
  CHECK(s.real_servers[0].weight == 0);
  CHECK(s.real_servers[1].port == 5353);
  CHECK(s.real_servers[1].weight == 65535);
  CHECK(s.real_servers[1].forward == ForwardMethod::kNat);
}

TEST_CASE("logging: every level and facility by name") {
  using lb::config::LogLevel;
  for (auto [word, level] : {std::pair{"debug", LogLevel::kDebug},
                             {"info", LogLevel::kInfo},
                             {"warning", LogLevel::kWarning},
                             {"error", LogLevel::kError}}) {
    CHECK(valid(with_port(std::string("logging: {level: ") + word + "}\n")).logging.level == level);
  }
  CHECK(valid(with_port("logging: {syslog_facility: daemon}\n")).logging.syslog_facility == 3);
  for (int n = 0; n < 8; ++n) {
    CHECK(valid(with_port("logging: {syslog_facility: local" + std::to_string(n) + "}\n"))
              .logging.syslog_facility == 16 + n);
  }
}

TEST_CASE("huge_pages reads on and off as words, not booleans") {
  CHECK(valid(with_port("eal: {huge_pages: on}\n")).eal.huge_pages == HugePages::kOn);
  CHECK(valid(with_port("eal: {huge_pages: auto}\n")).eal.huge_pages == HugePages::kAuto);
}

TEST_CASE("booleans are true/false/yes/no in any of YAML's capitalisations") {
  for (std::string_view word : {"true", "True", "TRUE", "yes", "Yes", "YES"}) {
    CHECK(valid(with_port(std::string("    exception_path: ") + std::string(word) + "\n"))
              .ports[0]
              .exception_path);
  }
  for (std::string_view word : {"false", "False", "FALSE", "no", "No", "NO"}) {
    CHECK_FALSE(valid(with_port(std::string("    exception_path: ") + std::string(word) + "\n"))
                    .ports[0]
                    .exception_path);
  }
}

TEST_CASE("anchors and aliases share a list between services") {
  const Config c =
      valid(with_port("services:\n"
                      "  - protocol: tcp\n"
                      "    vip: 198.18.1.100\n"
                      "    port: 80\n"
                      "    real_servers: &pool\n"
                      "      - {address: 198.18.1.11}\n"
                      "      - {address: 198.18.1.12}\n"
                      "  - protocol: tcp\n"
                      "    vip: 198.18.1.100\n"
                      "    port: 8080\n"
                      "    real_servers: *pool\n"));
  REQUIRE(c.services.size() == 2);
  REQUIRE(c.services[1].real_servers.size() == 2);
  CHECK(c.services[1].real_servers[1].addr == ip("198.18.1.12"));
  CHECK(c.services[1].real_servers[1].port == 8080);  // each service's own default port
}

TEST_CASE("an error reads FILE:LINE:COL: FIELD: MESSAGE") {
  const auto result = lb::config::load_string(with_port("    mtu: 70000\n"), "/etc/lbd/lbd.yaml");
  REQUIRE(result.errors.size() == 1);
  const auto& e = result.errors[0];
  CHECK(e.file == "/etc/lbd/lbd.yaml");
  CHECK(e.line == 6);
  CHECK(e.column == 10);
  CHECK(e.field == "ports[0].mtu");
  CHECK(e.message == "expected an integer 576..9000, got 70000");
  CHECK(e.to_string() ==
        "/etc/lbd/lbd.yaml:6:10: ports[0].mtu: expected an integer 576..9000, got 70000");
  CHECK_FALSE(result.config);

  CHECK(lb::config::ConfigError{"f", 0, 0, "", "cannot open"}.to_string() == "f: cannot open");
  CHECK(lb::config::ConfigError{"f", 3, 1, "", "YAML syntax error: x"}.to_string() ==
        "f:3:1: YAML syntax error: x");
}

TEST_CASE("load_file names a file it cannot read") {
  SECTION("missing") {
    const auto result = load_file("/nonexistent/lbd.yaml");
    CHECK_FALSE(result.config);
    CHECK(
        error_lines(result) ==
        std::vector<std::string>{"/nonexistent/lbd.yaml: cannot open: No such file or directory"});
  }
  SECTION("a directory") {
    const auto result = load_file(kConfDir.string());
    CHECK_FALSE(result.config);
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].to_string() == kConfDir.string() + ": cannot read: Is a directory");
  }
}

TEST_CASE("load_file reports errors under the file's path") {
  const auto path = std::filesystem::temp_directory_path() / "lbd-config-load-test.yaml";
  {
    std::ofstream out(path);
    out << with_port("    mtu: big\n");
  }
  const auto result = load_file(path.string());
  std::filesystem::remove(path);
  CHECK(error_lines(result) ==
        std::vector<std::string>{
            path.string() + ":6:10: ports[0].mtu: expected an integer 576..9000, got \"big\""});
}

TEST_CASE("connections: table_size auto by default, expire_nodest_conn off by default") {
  const Config defaults = valid(with_port(""));
  CHECK(defaults.connections.table_size == 0);  // auto: sized by the data plane
  CHECK_FALSE(defaults.connections.expire_nodest_conn);
  const Config c = valid(with_port("connections: {table_size: auto, expire_nodest_conn: yes}\n"));
  CHECK(c.connections.table_size == 0);
  CHECK(c.connections.expire_nodest_conn);
  CHECK(valid(with_port("connections: {table_size: 16777216}\n")).connections.table_size ==
        16777216);
}

TEST_CASE("lcores: \"LCORE@CPU\" pins an lcore to another CPU") {
  const Config c = valid(with_port("lcores: {main: 0, workers: [\"1@1\", \"2@1\", 3]}\n"));
  CHECK(c.lcores.workers == std::vector<uint32_t>{1, 2, 3});
  CHECK(c.lcores.cpu == std::map<uint32_t, uint32_t>{{1, 1}, {2, 1}});
  const Config m = valid(with_port("lcores: {main: \"0@1\", workers: [1]}\n"));
  CHECK(m.lcores.main == 0);
  CHECK(m.lcores.cpu == std::map<uint32_t, uint32_t>{{0, 1}});
  CHECK(valid(with_port("lcores: {workers: [1]}\n")).lcores.cpu.empty());
}
