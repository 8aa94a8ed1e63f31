// The YAML writer: every field of the services, the classifier and the
// connection settings written and read back through load_string (the round
// trip `lbctl save` relies on), strings YAML would misread, and the exact
// text of a typical configuration.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <lb/config/emit.h>

#include "config_test.h"

using lb::config::Config;
using lb::config::ConnectionConfig;
using lb::config::emit_connections;
using lb::config::emit_mark_rules;
using lb::config::emit_services;
using lb::packet::Ipv4Addr;
using lb::packet::Ipv4Prefix;
using lb::sched::ForwardMethod;
using lb::sched::MarkRule;
using lb::sched::Persistence;
using lb::sched::Protocol;
using lb::sched::RealServerSpec;
using lb::sched::ServiceSpec;
using lb::test::error_lines;
using lb::test::load;
using lb::test::with_port;

namespace {

Ipv4Addr ip(std::string_view text) {
  return *Ipv4Addr::parse(text);
}

Ipv4Prefix prefix(std::string_view text) {
  if (text.find('/') == std::string_view::npos) return Ipv4Prefix{ip(text), 32};
  return *Ipv4Prefix::parse(text);
}

// Every field, in one line, so that a difference shows which one.
std::string dump(const RealServerSpec& r) {
  return fmt::format("{}:{} w={} fwd={} x={} y={} en={}", r.addr.to_string(), r.port, r.weight,
                     lb::sched::to_string(r.forward), r.upper_threshold, r.lower_threshold,
                     r.enabled);
}

std::string dump(const ServiceSpec& s) {
  std::string out = fmt::format(
      "fwm={} {} {}:{} sched={} flags={} persist={} ops={} quiesce={} en={}", s.fwmark,
      lb::sched::to_string(s.protocol), s.vip.to_string(), s.port, s.scheduler, s.sched_flags,
      s.persistence
          ? fmt::format("{}/{}", s.persistence->timeout_s, s.persistence->netmask.to_string())
          : "none",
      s.one_packet, s.quiesce_server, s.enabled);
  for (const auto& r : s.real_servers)
    out += "\n  " + dump(r);
  return out;
}

std::string dump(const MarkRule& r) {
  return fmt::format("mark={} proto={} dst={} ports={}-{} src={}", r.mark,
                     r.protocol ? lb::sched::to_string(*r.protocol) : "any",
                     r.destination.to_string(), r.port_min, r.port_max,
                     r.source ? r.source->to_string() : "any");
}

template <typename T>
std::vector<std::string> dumps(const std::vector<T>& items) {
  std::vector<std::string> out;
  for (const auto& item : items)
    out.push_back(dump(item));
  return out;
}

std::string dump_timeouts(const lb::conn::Timeouts& t) {
  std::string out;
  for (size_t i = 0; i < lb::conn::kTimeoutNames.size(); ++i)
    out += fmt::format("{}={} ", lb::conn::kTimeoutNames[i], t.by_index(i));
  return out;
}

Config loaded(const std::string& yaml) {
  auto result = load(yaml);
  INFO(yaml);
  INFO(Catch::Detail::stringify(error_lines(result)));
  REQUIRE(result.errors.empty());
  REQUIRE(result.config);
  return *result.config;
}

// The port block (198.18.1.0/24, gateway .254) then the emitted sections.
Config round_trip(const std::vector<ServiceSpec>& services, const std::vector<MarkRule>& rules = {},
                  const ConnectionConfig& connections = {}) {
  return loaded(
      with_port(emit_mark_rules(rules) + emit_connections(connections) + emit_services(services)));
}

RealServerSpec real(std::string_view address, uint16_t port) {
  RealServerSpec r;
  r.addr = ip(address);
  r.port = port;
  return r;
}

ServiceSpec address_service(Protocol protocol, std::string_view vip, uint16_t port) {
  ServiceSpec s;
  s.protocol = protocol;
  s.vip = ip(vip);
  s.port = port;
  return s;
}

MarkRule rule(uint32_t mark, std::string_view destination, uint16_t min = 0, uint16_t max = 65535) {
  MarkRule r;
  r.mark = mark;
  r.destination = prefix(destination);
  r.port_min = min;
  r.port_max = max;
  return r;
}

}  // namespace

TEST_CASE("emit: every service and real server field survives the round trip") {
  ServiceSpec web = address_service(Protocol::kTcp, "198.18.1.100", 80);
  web.scheduler = "sh";
  web.sched_flags = lb::sched::kSchedFlag1 | lb::sched::kSchedFlag2 | lb::sched::kSchedFlag3;
  web.persistence = Persistence{600, ip("255.255.255.0")};
  web.quiesce_server = true;
  web.enabled = false;
  RealServerSpec a = real("198.18.2.11", 8080);
  a.weight = 0;
  a.upper_threshold = 100;
  a.lower_threshold = 50;
  a.enabled = false;
  RealServerSpec b = real("198.18.1.12", 80);
  b.forward = ForwardMethod::kDirectRoute;
  b.weight = 65535;
  RealServerSpec c = real("203.0.113.7", 80);
  c.forward = ForwardMethod::kTunnel;
  c.upper_threshold = 2147483647;
  web.real_servers = {a, b, c};

  ServiceSpec dns = address_service(Protocol::kUdp, "198.18.1.101", 53);
  dns.scheduler = "rr";
  dns.one_packet = true;
  dns.real_servers = {real("198.18.2.21", 53), real("198.18.2.22", 5353)};

  ServiceSpec marked;
  marked.fwmark = 4294967295;
  marked.scheduler = "mh";
  marked.sched_flags = lb::sched::kSchedFlag2;
  marked.persistence = Persistence{2678400, ip("255.255.255.255")};
  marked.one_packet = true;
  RealServerSpec keep = real("198.18.2.31", 0);
  RealServerSpec mapped = real("198.18.2.32", 8443);
  RealServerSpec routed = real("198.18.1.33", 0);
  routed.forward = ForwardMethod::kDirectRoute;
  marked.real_servers = {keep, mapped, routed};

  ServiceSpec all_ports = address_service(Protocol::kTcp, "198.18.1.102", 0);
  all_ports.scheduler = "wrr";
  all_ports.sched_flags = lb::sched::kSchedFlag1 | lb::sched::kSchedFlag3;
  all_ports.persistence = Persistence{1, ip("255.255.0.0")};
  all_ports.real_servers = {real("198.18.2.41", 0), real("198.18.2.42", 8000)};

  ServiceSpec bare = address_service(Protocol::kTcp, "198.18.1.103", 65535);

  const std::vector<ServiceSpec> services{web, dns, marked, all_ports, bare};
  const Config c2 = round_trip(services, {rule(4294967295, "198.18.1.104", 1, 65535)});
  CHECK(dumps(c2.services) == dumps(services));
}

TEST_CASE("emit: every combination of the service flags survives the round trip") {
  // Schedulers with and without named flags, each flag set, persistence
  // absent/scalar/map, the booleans both ways.
  std::vector<ServiceSpec> services;
  uint32_t n = 0;
  for (const std::string scheduler : {"wlc", "sh", "mh", "rr"}) {
    for (uint8_t flags = 0; flags < 8; ++flags) {
      for (int persistence = 0; persistence < 3; ++persistence) {
        for (int bools = 0; bools < 8; ++bools) {
          const bool udp = (bools & 1) != 0;
          ServiceSpec s = address_service(udp ? Protocol::kUdp : Protocol::kTcp,
                                          fmt::format("198.18.{}.{}", 4 + n / 250, 1 + n % 250),
                                          static_cast<uint16_t>(1000 + n));
          ++n;
          s.scheduler = scheduler;
          s.sched_flags = flags;
          if (persistence == 1) s.persistence = Persistence{60 + n, ip("255.255.255.255")};
          if (persistence == 2) s.persistence = Persistence{300, ip("255.255.255.128")};
          s.one_packet = udp && (bools & 2) != 0;
          s.quiesce_server = (bools & 2) != 0;
          s.enabled = (bools & 4) == 0;
          RealServerSpec r = real("198.18.2.50", s.port);
          r.weight = n % 3;
          r.enabled = (bools & 4) != 0;
          // A NAT real server may serve only one one-packet service.
          if (s.one_packet) r.addr = Ipv4Addr::from_host(ip("198.18.100.0").host() + n);
          s.real_servers = {r};
          services.push_back(s);
        }
      }
    }
  }
  const Config c = round_trip(services);
  CHECK(dumps(c.services) == dumps(services));
}

TEST_CASE("emit: the classifier rules survive the round trip, merged only where that is exact") {
  std::vector<MarkRule> rules;
  MarkRule http = rule(80, "198.18.1.100", 80, 80);
  http.protocol = Protocol::kTcp;
  MarkRule https = http;
  https.port_min = https.port_max = 443;
  MarkRule ftp = rule(21, "198.18.1.96/28", 21, 21);
  ftp.source = prefix("203.0.113.0/24");
  MarkRule passive = ftp;
  passive.port_min = 10000;
  passive.port_max = 20000;
  MarkRule other_source = passive;  // same ports, another source: its own entry
  other_source.source = prefix("203.0.113.128/25");
  MarkRule any_port = rule(7, "198.18.1.101");
  any_port.protocol = Protocol::kUdp;
  MarkRule any_port_again = any_port;  // two "every port" rules stay two rules
  MarkRule back_to_80 = http;          // not consecutive with the first: not merged
  back_to_80.source = prefix("198.51.100.7");
  rules = {http, https, ftp, passive, other_source, any_port, any_port_again, back_to_80};

  const std::string text = emit_mark_rules(rules);
  CHECK(text ==
        "firewall_marks:\n"
        "  - {mark: 80, protocol: tcp, destination: 198.18.1.100, ports: [80, 443]}\n"
        "  - {mark: 21, destination: 198.18.1.96/28, ports: [21, 10000-20000], source: "
        "203.0.113.0/24}\n"
        "  - {mark: 21, destination: 198.18.1.96/28, ports: [10000-20000], source: "
        "203.0.113.128/25}\n"
        "  - {mark: 7, protocol: udp, destination: 198.18.1.101}\n"
        "  - {mark: 7, protocol: udp, destination: 198.18.1.101}\n"
        "  - {mark: 80, protocol: tcp, destination: 198.18.1.100, ports: [80], source: "
        "198.51.100.7}\n");
  ServiceSpec s80, s21, s7;
  s80.fwmark = 80;
  s21.fwmark = 21;
  s7.fwmark = 7;
  const Config c = round_trip({s80, s21, s7}, rules);
  CHECK(dumps(c.mark_rules) == dumps(rules));
  CHECK(emit_mark_rules({}).empty());
}

TEST_CASE("emit: connection settings, only those that differ from the defaults") {
  CHECK(emit_connections(ConnectionConfig{}).empty());

  ConnectionConfig connections;
  connections.table_size = 1048576;
  connections.expire_nodest_conn = true;
  for (size_t i = 0; i < lb::conn::kTimeoutNames.size(); ++i)
    connections.timeouts.by_index(i) = static_cast<uint32_t>((i + 1) * 7000);
  const Config c = round_trip({}, {}, connections);
  CHECK(c.connections.table_size == 1048576);
  CHECK(c.connections.expire_nodest_conn);
  CHECK(dump_timeouts(c.connections.timeouts) == dump_timeouts(connections.timeouts));

  ConnectionConfig one;
  one.timeouts.tcp_ms[static_cast<size_t>(lb::conn::TcpState::kEstablished)] = 600000;
  one.timeouts.udp_ms = 1500;  // not whole seconds: rounded up
  CHECK(emit_connections(one) ==
        "connections:\n"
        "  timeouts:  # seconds\n"
        "    established: 600\n"
        "    udp: 2\n");
}

TEST_CASE("emit: comments above services, and text YAML would misread") {
  ServiceSpec s = address_service(Protocol::kTcp, "198.18.1.100", 80);
  const std::vector<std::vector<std::string>> comments{{"plain", "", "two\nlines",
                                                        "a: b # not a key",
                                                        "ctl\x01"
                                                        "char\r"}};
  const std::string text = emit_services(std::vector{s}, comments);
  CHECK(text ==
        "services:\n"
        "  # plain\n"
        "  #\n"
        "  # two\n"
        "  # lines\n"
        "  # a: b # not a key\n"
        "  # ctl\\x01char\\x0d\n"
        "  - protocol: tcp\n"
        "    vip: 198.18.1.100\n"
        "    port: 80\n");
  CHECK(dumps(loaded(with_port(text)).services) == dumps(std::vector{s}));

  // A scheduler name is written plain only when YAML reads it back as the
  // same string; the loader then judges it (here: no such scheduler).
  ServiceSpec odd = s;
  odd.scheduler = "yes";
  CHECK(emit_services(std::vector{odd}).find("scheduler: \"yes\"\n") != std::string::npos);
  odd.scheduler = "a: b";
  CHECK(emit_services(std::vector{odd}).find("scheduler: \"a: b\"\n") != std::string::npos);
  CHECK(emit_services({}) == "services: []\n");
  CHECK(loaded(with_port(emit_services({}))).services.empty());
}

TEST_CASE("emit: the text of a typical configuration") {
  ServiceSpec web;
  web.fwmark = 80;
  web.scheduler = "rr";
  web.persistence = Persistence{600, ip("255.255.255.255")};
  web.real_servers = {real("198.18.2.11", 0), real("198.18.2.12", 0)};
  web.real_servers[1].weight = 2;
  ServiceSpec dns = address_service(Protocol::kUdp, "198.18.1.100", 53);
  dns.scheduler = "rr";
  dns.one_packet = true;
  dns.real_servers = {real("198.18.1.21", 53), real("198.18.2.22", 5353)};
  dns.real_servers[0].forward = ForwardMethod::kDirectRoute;
  MarkRule http = rule(80, "198.18.1.100", 80, 80);
  http.protocol = Protocol::kTcp;
  MarkRule https = http;
  https.port_min = https.port_max = 443;
  ConnectionConfig connections;
  connections.timeouts.udp_ms = 60000;

  const std::string text =
      emit_mark_rules(std::vector{http, https}) + emit_connections(connections) +
      emit_services(std::vector{web, dns}, std::vector<std::vector<std::string>>{{"web"}, {"dns"}});
  CHECK(text ==
        "firewall_marks:\n"
        "  - {mark: 80, protocol: tcp, destination: 198.18.1.100, ports: [80, 443]}\n"
        "connections:\n"
        "  timeouts:  # seconds\n"
        "    udp: 60\n"
        "services:\n"
        "  # web\n"
        "  - fwmark: 80\n"
        "    scheduler: rr\n"
        "    persistence: 600\n"
        "    real_servers:\n"
        "      - {address: 198.18.2.11}\n"
        "      - {address: 198.18.2.12, weight: 2}\n"
        "\n"
        "  # dns\n"
        "  - protocol: udp\n"
        "    vip: 198.18.1.100\n"
        "    port: 53\n"
        "    scheduler: rr\n"
        "    one_packet: true\n"
        "    real_servers:\n"
        "      - {address: 198.18.1.21, forward: dr}\n"
        "      - {address: 198.18.2.22, port: 5353}\n");
  const Config c = loaded(with_port(text));
  CHECK(dumps(c.services) == dumps(std::vector{web, dns}));
}

namespace {

using lb::health::CheckSpec;
using lb::health::CheckType;
using lb::health::Expect;

CheckSpec check(CheckType type) {
  CheckSpec c;
  c.type = type;
  return c;
}

// The health fields of each service and real server, compared whole.
void check_health_equal(const std::vector<ServiceSpec>& got, const std::vector<ServiceSpec>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t s = 0; s < want.size(); ++s) {
    INFO("service " << s);
    CHECK(got[s].health == want[s].health);
    REQUIRE(got[s].sorry_server.has_value() == want[s].sorry_server.has_value());
    if (want[s].sorry_server) CHECK(dump(*got[s].sorry_server) == dump(*want[s].sorry_server));
    REQUIRE(got[s].real_servers.size() == want[s].real_servers.size());
    for (size_t r = 0; r < want[s].real_servers.size(); ++r) {
      INFO("real server " << r);
      CHECK(got[s].real_servers[r].check == want[s].real_servers[r].check);
    }
  }
}

}  // namespace

TEST_CASE("emit: health checks and sorry servers survive the round trip, texts byte for byte") {
  ServiceSpec web = address_service(Protocol::kTcp, "198.18.1.100", 80);
  CheckSpec http = check(CheckType::kHttp);
  http.port = 8080;
  http.interval_ms = 2000;
  http.timeout_ms = 1000;
  http.rise = 1;
  http.fall = 5;
  http.service_timeout_ms = 6000;
  http.reentry_ms = 15000;
  http.path = "/health?full=1&name='x'";
  http.host = "www.example.com";
  http.expect_status = {200, 204};
  http.expect_body = Expect{"ok \\ done\n", false};
  web.health = {http, lb::health::OnFailure::kQuiesce};
  web.sorry_server = real("198.18.1.99", 8080);
  RealServerSpec a = real("198.18.2.11", 8080);
  a.check = check(CheckType::kSendExpect);
  // Every byte a send string can hold: CRLF, tab, backslash, both quotes,
  // a control character, DEL, UTF-8.
  a.check->send = "GET / HTTP/1.0\r\n\r\n\t\\ 'single' \"double\" \x01\x7f \xc3\xa9";
  a.check->expect = Expect{"^HTTP/1\\.[01] 200 'ok'", true};
  RealServerSpec b = real("198.18.2.12", 8080);
  b.check = check(CheckType::kProgram);
  b.check->command = "/usr/local/bin/check --name \"a b\" \\x %h %p";
  b.check->expect = Expect{"OK\\n", false};  // a backslash and an n, not a newline
  RealServerSpec c = real("203.0.113.7", 80);
  c.forward = ForwardMethod::kTunnel;
  web.real_servers = {a, b, c};

  ServiceSpec dns = address_service(Protocol::kUdp, "198.18.1.101", 53);
  CheckSpec udp = check(CheckType::kUdp);
  udp.send = "\x1b[ping";
  udp.expect = Expect{"pong", false};
  dns.health.check = udp;
  dns.real_servers = {real("198.18.2.21", 53)};

  ServiceSpec marked;
  marked.fwmark = 7;
  marked.health.on_failure = lb::health::OnFailure::kQuiesce;  // only the servers' own checks
  marked.sorry_server = real("198.18.1.98", 0);
  marked.sorry_server->forward = ForwardMethod::kDirectRoute;
  RealServerSpec d = real("198.18.2.31", 0);
  d.check = check(CheckType::kHttps);
  d.check->port = 443;
  marked.real_servers = {d};

  const std::vector<ServiceSpec> services{web, dns, marked};
  const Config back = round_trip(services, {rule(7, "198.18.1.102")});
  CHECK(dumps(back.services) == dumps(services));
  check_health_equal(back.services, services);

  const std::string text = emit_services(services);
  CHECK(text.find("    health:\n"
                  "      check: {type: http, port: 8080, interval_ms: 2000, timeout_ms: 1000, "
                  "rise: 1, fall: 5, service_timeout_ms: 6000, reentry_ms: 15000, path: "
                  "\"/health?full=1&name='x'\", host: www.example.com, expect_status: [200, 204], "
                  "expect_body: 'ok \\\\ done\\n'}\n"
                  "      on_failure: quiesce\n"
                  "    sorry_server: {address: 198.18.1.99, port: 8080}\n") != std::string::npos);
  // Texts sent or expected are written in Piranha's escapes, \xHH for the
  // bytes outside printable ASCII, so they are printable: single-quoted.
  CHECK(text.find("send: 'GET / HTTP/1.0\\r\\n\\r\\n\\t\\\\ ''single'' \"double\" "
                  "\\x01\\x7f \\xc3\\xa9', expect: {text: '^HTTP/1\\.[01] 200 ''ok''', regex: "
                  "true}}") != std::string::npos);
  CHECK(text.find("send: '\\x1b[ping'") != std::string::npos);
  CHECK(text.find("check: {type: program, expect: 'OK\\\\n', command: \"/usr/local/bin/check "
                  "--name \\\"a b\\\" \\\\x %h %p\"}") != std::string::npos);
  CHECK(text.find("    health:\n      on_failure: quiesce\n    sorry_server: {address: "
                  "198.18.1.98, forward: dr}\n") != std::string::npos);
}
