// Live edits (apply_edits) and the cross-field rules for a Config built in
// memory (check): what lbctl's and ipvsadm's add/edit/delete commands get.
#include <catch2/catch.hpp>

#include <lb/config/edit.h>
#include <lb/config/health.h>

#include "config_test.h"

namespace lb::test {
namespace {

using nlohmann::json;

config::Config base() {
  auto loaded =
      load(with_port("services:\n"
                     "  - protocol: tcp\n"
                     "    vip: 198.18.1.100\n"
                     "    port: 80\n"
                     "    real_servers:\n"
                     "      - {address: 198.18.1.11}\n"
                     "firewall_marks:\n"
                     "  - {mark: 7, destination: 198.18.1.200}\n"));
  REQUIRE(loaded.config);
  return *loaded.config;
}

const json kWeb = {{"protocol", "tcp"}, {"vip", "198.18.1.100"}, {"port", 80}};

// The web service's selector plus `fields`.
json web_with(const json& fields) {
  json service = kWeb;
  service.update(fields);
  return service;
}

// The error of applying `ops` to base(), as "code: message".
std::string refusal(const json& ops) {
  auto config = base();
  const auto error = config::apply_edits(config, ops);
  return error ? error->code + ": " + error->message : "<applied>";
}

config::Config applied(const json& ops) {
  auto config = base();
  const auto error = config::apply_edits(config, ops);
  INFO((error ? error->message : ""));
  REQUIRE_FALSE(error);
  return config;
}

std::vector<std::string> check_lines(const config::Config& config) {
  std::vector<std::string> lines;
  for (const auto& e : config::check(config))
    lines.push_back(e.to_string());
  return lines;
}

}  // namespace

TEST_CASE("edit: add a service and real servers, with every attribute") {
  const auto c = applied(
      json::array({{{"op", "add_service"},
                    {"service",
                     {{"protocol", "udp"},
                      {"vip", "198.18.1.101"},
                      {"port", 53},
                      {"scheduler", "sh"},
                      {"sched_flags", {"sh-port"}},
                      {"persistent", 600},
                      {"netmask", "255.255.255.0"}}}},
                   {{"op", "add_real"},
                    {"service", {{"protocol", "udp"}, {"vip", "198.18.1.101"}, {"port", 53}}},
                    {"real",
                     {{"address", "198.18.1.12"},
                      {"weight", 3},
                      {"forward", "dr"},
                      {"upper_threshold", 100},
                      {"lower_threshold", 50}}}},
                   {{"op", "add_service"}, {"service", {{"fwmark", 7}}}},
                   {{"op", "add_real"},
                    {"service", {{"fwmark", 7}}},
                    {"real", {{"address", "198.18.1.13"}}}}}));
  REQUIRE(c.services.size() == 3);
  const auto& dns = c.services[1];
  CHECK(dns.protocol == sched::Protocol::kUdp);
  CHECK(dns.scheduler == "sh");
  CHECK(dns.sched_flags == sched::kSchedFlag2);
  REQUIRE(dns.persistence);
  CHECK(dns.persistence->timeout_s == 600);
  CHECK(dns.persistence->netmask.to_string() == "255.255.255.0");
  REQUIRE(dns.real_servers.size() == 1);
  const auto& r = dns.real_servers[0];
  CHECK(r.port == 53);  // the service's port by default
  CHECK(r.weight == 3);
  CHECK(r.forward == sched::ForwardMethod::kDirectRoute);
  CHECK(r.upper_threshold == 100);
  CHECK(r.lower_threshold == 50);
  CHECK(c.services[2].fwmark == 7);
  CHECK(c.services[2].real_servers[0].port == 0);  // a mark service keeps the packet's port
  CHECK(check_lines(c).empty());
}

TEST_CASE("edit: edits change only the fields given; delete and clear") {
  auto c = applied(
      json::array({{{"op", "edit_service"}, {"service", web_with({{"scheduler", "rr"}})}},
                   {{"op", "edit_real"},
                    {"service", kWeb},
                    {"real", {{"address", "198.18.1.11"}, {"weight", 0}}}},
                   {{"op", "add_real"}, {"service", kWeb}, {"real", {{"address", "198.18.1.12"}}}},
                   {{"op", "edit_real"},
                    {"service", kWeb},
                    {"real", {{"address", "198.18.1.12"}, {"port", 80}, {"enabled", false}}}}}));
  const auto& web = c.services[0];
  CHECK(web.scheduler == "rr");
  CHECK_FALSE(web.persistence);
  CHECK(web.real_servers[0].weight == 0);
  CHECK(web.real_servers[0].forward == sched::ForwardMethod::kNat);
  CHECK_FALSE(web.real_servers[1].enabled);

  c = applied(json::array({{{"op", "edit_service"}, {"service", web_with({{"persistent", 300}})}},
                           {{"op", "edit_service"}, {"service", web_with({{"enabled", false}})}}}));
  CHECK(c.services[0].persistence->timeout_s == 300);
  CHECK_FALSE(c.services[0].enabled);
  c = applied(json::array({{{"op", "edit_service"}, {"service", web_with({{"persistent", 300}})}},
                           {{"op", "edit_service"}, {"service", web_with({{"persistent", 0}})}}}));
  CHECK_FALSE(c.services[0].persistence);

  c = applied(json::array({{{"op", "delete_real"},
                            {"service", kWeb},
                            {"real", {{"address", "198.18.1.11"}, {"port", 80}}}}}));
  CHECK(c.services[0].real_servers.empty());
  CHECK(applied(json::array({{{"op", "delete_service"}, {"service", kWeb}}})).services.empty());
  CHECK(applied(json::array({{{"op", "clear"}}})).services.empty());
}

TEST_CASE("edit: refusals name the service or real server, with the protocol's codes") {
  CHECK(refusal(json::array({{{"op", "add_service"}, {"service", kWeb}}})) ==
        "service_exists: service tcp 198.18.1.100:80 already exists");
  CHECK(refusal(json::array(
            {{{"op", "delete_service"},
              {"service", {{"protocol", "udp"}, {"vip", "198.18.1.100"}, {"port", 80}}}}})) ==
        "no_service: no service udp 198.18.1.100:80");
  CHECK(refusal(json::array({{{"op", "edit_service"}, {"service", {{"fwmark", 9}}}}})) ==
        "no_service: no service fwmark 9");
  CHECK(refusal(json::array(
            {{{"op", "add_real"}, {"service", kWeb}, {"real", {{"address", "198.18.1.11"}}}}})) ==
        "real_exists: real server 198.18.1.11:80 of tcp 198.18.1.100:80 already exists");
  CHECK(refusal(json::array({{{"op", "delete_real"},
                              {"service", kWeb},
                              {"real", {{"address", "198.18.1.11"}, {"port", 81}}}}})) ==
        "no_real: no real server 198.18.1.11:81 of tcp 198.18.1.100:80");
  CHECK(refusal(json::array(
            {{{"op", "edit_service"}, {"service", web_with({{"scheduler", "fast"}})}}})) ==
        "no_scheduler: unknown scheduler \"fast\" for tcp 198.18.1.100:80, expected one of: " +
            scheduler_list());
  CHECK(refusal(json::array({{{"op", "edit_real"},
                              {"service", kWeb},
                              {"real", {{"address", "198.18.1.11"}, {"weight", 65536}}}}})) ==
        "invalid: \"weight\" must be 0..65535, got 65536");
  CHECK(refusal(json::array({{{"op", "add_real"},
                              {"service", kWeb},
                              {"real", {{"address", "198.18.1.12"}, {"port", 0}}}}})) ==
        "invalid: port 0 (keep each packet's port) is only for firewall-mark and port-0 "
        "services, not tcp 198.18.1.100:80");
  CHECK(refusal(json::array(
            {{{"op", "edit_service"}, {"service", web_with({{"netmask", "255.255.255.0"}})}}})) ==
        "invalid: a persistence netmask needs persistence: tcp 198.18.1.100:80 is not persistent "
        "(give \"persistent\")");
  CHECK(refusal(json::array(
            {{{"op", "edit_service"},
              {"service", web_with({{"persistent", 300}, {"netmask", "255.0.255.0"}})}}})) ==
        "invalid: \"netmask\" must be a netmask with contiguous ones (255.255.255.0, ...), got "
        "\"255.0.255.0\"");
  CHECK(refusal(json::array(
            {{{"op", "edit_service"}, {"service", web_with({{"sched_flags", {"sh-port"}}})}}})) ==
        "invalid: scheduler flag \"sh-port\" is not one scheduler wlc takes");
  CHECK(refusal(json::array(
            {{{"op", "add_service"},
              {"service", {{"protocol", "tcp"}, {"vip", "224.0.0.1"}, {"port", 80}}}}})) ==
        "invalid: \"vip\" must be a unicast IPv4 address, got 224.0.0.1 (multicast)");
  // Several ops: the failing one is numbered, and the message is its own.
  CHECK(refusal(json::array({{{"op", "clear"}}, {{"op", "delete_service"}, {"service", kWeb}}})) ==
        "no_service: op 2: no service tcp 198.18.1.100:80");
}

TEST_CASE("edit: malformed operations are bad requests, never exceptions") {
  CHECK(refusal(json::object()) == "bad_request: \"ops\" must be a list of 1 to 10000 operations");
  CHECK(refusal(json::array()) == "bad_request: \"ops\" must be a list of 1 to 10000 operations");
  CHECK(refusal(json::array({42})) == "bad_request: an operation must be an object");
  CHECK(refusal(json::array({{{"op", "explode"}}})) ==
        "bad_request: unknown operation \"explode\", expected one of: add_service, edit_service, "
        "delete_service, clear, add_real, edit_real, delete_real");
  CHECK(refusal(json::array({{{"op", "add_service"}}})) == "bad_request: \"service\" is missing");
  CHECK(refusal(json::array({{{"op", "add_service"}, {"service", {{"vip", "198.18.1.1"}}}}})) ==
        "bad_request: a service needs \"protocol\", \"vip\" and \"port\", or \"fwmark\"; "
        "\"protocol\" is missing");
  CHECK(
      refusal(json::array({{{"op", "add_service"}, {"service", web_with({{"colour", "red"}})}}})) ==
      "bad_request: \"service\": unknown field \"colour\", expected one of: protocol, vip, "
      "port, fwmark, scheduler, sched_flags, persistent, netmask, one_packet, enabled, "
      "quiesce_server, health, sorry_server");
  CHECK(refusal(json::array(
            {{{"op", "add_service"},
              {"service", {{"protocol", "tcp"}, {"vip", "198.18.1.9"}, {"port", "80"}}}}})) ==
        "bad_request: \"port\" must be an integer, got \"80\"");
  CHECK(refusal(json::array(
            {{{"op", "add_service"},
              {"service", {{"protocol", "tcp"}, {"vip", "198.18.1.9"}, {"port", -1}}}}})) ==
        "invalid: \"port\" must be 0..65535, got -1");
  CHECK(refusal(json::array(
            {{{"op", "add_service"}, {"service", {{"fwmark", 18446744073709551615ull}}}}})) ==
        "invalid: \"fwmark\" must be 1..4294967295, got 18446744073709551615");
  CHECK(refusal(json::array(
            {{{"op", "delete_service"}, {"service", web_with({{"scheduler", "rr"}})}}})) ==
        "bad_request: \"service\": unknown field \"scheduler\", expected one of: protocol, vip, "
        "port, fwmark");
}

TEST_CASE("check: the file's cross-field rules on an edited configuration") {
  CHECK(check_lines(base()).empty());
  // A persistence rule the file validator has (port 0 needs persistence).
  auto c = applied(
      json::array({{{"op", "add_service"},
                    {"service", {{"protocol", "tcp"}, {"vip", "198.18.1.102"}, {"port", 0}}}}}));
  CHECK(check_lines(c) ==
        std::vector<std::string>{
            "running configuration: services[1].port: port 0 (every port of the VIP) is only for "
            "persistent services; add persistence or give the port (ipvsadm: \"Zero port "
            "specified for non-persistent service\")"});
  // A VIP that is the port's own address, and a mark no rule sets (rule order).
  c = applied(
      json::array({{{"op", "add_service"}, {"service", {{"fwmark", 8}}}},
                   {{"op", "add_service"},
                    {"service", {{"protocol", "tcp"}, {"vip", "198.18.1.1"}, {"port", 80}}}}}));
  CHECK(check_lines(c) ==
        std::vector<std::string>{
            "running configuration: services[2].vip: VIP 198.18.1.1 is ports[0] \"ext\"'s own "
            "address; a VIP needs an address of its own",
            "running configuration: services[1].fwmark: no firewall_marks rule sets mark 8: the "
            "service could never receive a packet"});
  // Thresholds: lower above upper.
  c = applied(json::array({{{"op", "edit_real"},
                            {"service", kWeb},
                            {"real", {{"address", "198.18.1.11"}, {"lower_threshold", 10}}}}}));
  CHECK(check_lines(c) ==
        std::vector<std::string>{
            "running configuration: services[0].real_servers[0].lower_threshold: lower threshold "
            "10 without an upper threshold: set upper_threshold to 10 or more (the kernel refuses "
            "it: \"Numerical result out of range\")"});
}

TEST_CASE("find_service: a selector names a configured service, or the edit error") {
  const config::Config cfg = base();
  const auto found = config::find_service(cfg, kWeb);
  REQUIRE(found.service != nullptr);
  CHECK(found.service->port == 80);
  CHECK_FALSE(found.error);

  const auto missing =
      config::find_service(cfg, {{"protocol", "udp"}, {"vip", "198.18.1.100"}, {"port", 80}});
  CHECK(missing.service == nullptr);
  REQUIRE(missing.error);
  CHECK(missing.error->code == "no_service");
  CHECK(missing.error->message == "no service udp 198.18.1.100:80");

  const auto no_mark = config::find_service(cfg, {{"fwmark", 7}});
  REQUIRE(no_mark.error);
  CHECK(no_mark.error->message == "no service fwmark 7");

  const auto extra = config::find_service(cfg, {{"fwmark", 7}, {"scheduler", "rr"}});
  REQUIRE(extra.error);
  CHECK(extra.error->code == "bad_request");
  CHECK_THAT(extra.error->message, Catch::Contains("unknown field \"scheduler\""));

  const auto typed = config::find_service(cfg, {{"protocol", "tcp"}, {"vip", 5}, {"port", 80}});
  REQUIRE(typed.error);
  CHECK(typed.error->code == "bad_request");
  CHECK(config::find_service(cfg, json::array()).error->code == "bad_request");
}

namespace {

// The web service's `health` set to `health`, as one edit_service.
json web_health(const json& health) {
  return json::array({{{"op", "edit_service"}, {"service", web_with({{"health", health}})}}});
}

json web_real_check(const json& check) {
  return json::array({{{"op", "edit_real"},
                       {"service", kWeb},
                       {"real", {{"address", "198.18.1.11"}, {"check", check}}}}});
}

}  // namespace

TEST_CASE("edit: health, sorry server and a real server's check, set, changed and cleared") {
  auto c = applied(json::array(
      {{{"op", "add_service"},
        {"service",
         {{"protocol", "tcp"},
          {"vip", "198.18.1.101"},
          {"port", 80},
          {"health",
           {{"check",
             {{"type", "http"},
              {"path", "/health"},
              {"expect_status", {200}},
              {"expect_body", {{"text", "^ok$"}, {"regex", true}}},
              {"interval_ms", 2000}}},
            {"on_failure", "quiesce"}}},
          {"sorry_server", {{"address", "198.18.1.99"}, {"port", 8080}}}}}},
       {{"op", "add_real"},
        {"service", {{"protocol", "tcp"}, {"vip", "198.18.1.101"}, {"port", 80}}},
        {"real", {{"address", "198.18.1.12"}, {"check", {{"type", "tcp"}, {"port", 8081}}}}}}}));
  const auto& added = c.services[1];
  REQUIRE(added.health.check);
  CHECK(added.health.check->type == health::CheckType::kHttp);
  CHECK(added.health.check->path == "/health");
  CHECK(added.health.check->expect_status == std::vector<uint16_t>{200});
  CHECK(added.health.check->expect_body == health::Expect{"^ok$", true});
  CHECK(added.health.check->timeout_ms == 2000);  // the default within a 2000 ms interval
  CHECK(added.health.on_failure == health::OnFailure::kQuiesce);
  REQUIRE(added.sorry_server);
  CHECK(added.sorry_server->addr.to_string() == "198.18.1.99");
  CHECK(added.sorry_server->port == 8080);
  REQUIRE(added.real_servers[0].check);
  CHECK(added.real_servers[0].check->port == 8081);
  CHECK(check_lines(c).empty());

  // Without "type", only the fields given change; a timeout at its default
  // follows the interval.
  c = applied(json::array(
      {web_health({{"check", {{"type", "http"}, {"path", "/health"}, {"interval_ms", 2000}}}})[0],
       web_health({{"check", {{"interval_ms", 4000}}}})[0]}));
  const auto& web = c.services[0];
  CHECK(web.health.check->path == "/health");
  CHECK(web.health.check->interval_ms == 4000);
  CHECK(web.health.check->timeout_ms == 3000);
  // With "type", a new check; on_failure alone keeps the check.
  c = applied(json::array({web_health({{"check", {{"type", "http"}, {"path", "/x"}}}})[0],
                           web_health({{"check",
                                        {{"type", "send_expect"},
                                         {"send", "GET / HTTP/1.0\\r\\n\\r\\n"},
                                         {"expect", "HTTP"}}}})[0],
                           web_health({{"on_failure", "quiesce"}})[0]}));
  REQUIRE(c.services[0].health.check);
  CHECK(c.services[0].health.check->type == health::CheckType::kSendExpect);
  CHECK(c.services[0].health.check->path == "/");
  CHECK(c.services[0].health.check->send == "GET / HTTP/1.0\r\n\r\n");  // Piranha's escapes
  CHECK(c.services[0].health.on_failure == health::OnFailure::kQuiesce);
  // \xHH, and a regex only PCRE2 (the engine's) compiles: a lookbehind.
  c = applied(web_health({{"check",
                           {{"type", "send_expect"},
                            {"send", "\\x41\\x00"},
                            {"expect", {{"text", "(?<=250 )OK"}, {"regex", true}}}}}}));
  CHECK(c.services[0].health.check->send == std::string("A\0", 2));
  CHECK(c.services[0].health.check->expect == health::Expect{"(?<=250 )OK", true});
  // null clears.
  c = applied(
      json::array({web_health({{"check", {{"type", "tcp"}}}, {"on_failure", "quiesce"}})[0],
                   web_real_check({{"type", "tcp"}})[0], web_health({{"check", nullptr}})[0]}));
  CHECK_FALSE(c.services[0].health.check);
  CHECK(c.services[0].health.on_failure == health::OnFailure::kQuiesce);
  CHECK(c.services[0].real_servers[0].check);
  c = applied(
      json::array({web_health({{"check", {{"type", "tcp"}}}})[0],
                   {{"op", "edit_service"},
                    {"service", web_with({{"sorry_server", {{"address", "198.18.1.99"}}}})}},
                   web_real_check({{"type", "tcp"}})[0],
                   web_health(nullptr)[0],
                   {{"op", "edit_service"}, {"service", web_with({{"sorry_server", nullptr}})}},
                   web_real_check(nullptr)[0]}));
  CHECK(c.services[0].health == health::HealthSpec{});
  CHECK_FALSE(c.services[0].sorry_server);
  CHECK_FALSE(c.services[0].real_servers[0].check);
}

TEST_CASE("edit: health settings are checked as the file checks them, naming whose they are") {
  const std::string web_check = "invalid: health check of tcp 198.18.1.100:80: ";
  CHECK(refusal(web_health({{"check", {{"interval_ms", 2000}}}})) ==
        web_check + "there is no check to change: give \"type\" to start one");
  CHECK(refusal(web_health({{"check", {{"type", "icmp"}}}})) ==
        web_check +
            "\"type\" must be one of: tcp, http, https, send_expect, udp, program; got "
            "\"icmp\"");
  CHECK(refusal(web_health({{"check", {{"type", "tcp"}, {"path", "/x"}}}})) ==
        web_check + "path is only for type http or https, not tcp");
  CHECK(refusal(web_health({{"check", {{"type", "tcp"}, {"interval_ms", 50}}}})) ==
        web_check + "\"interval_ms\" must be 100..3600000, got 50");
  CHECK(refusal(web_health(
            {{"check", {{"type", "tcp"}, {"interval_ms", 1000}, {"timeout_ms", 2000}}}})) ==
        web_check +
            "timeout_ms 2000 is longer than interval_ms 1000: a check must end before the "
            "next one starts");
  CHECK(refusal(web_health({{"check", {{"type", "program"}}}})) ==
        web_check + "type program needs a command (the program to run, by its absolute path)");
  CHECK(refusal(web_health({{"check", {{"type", "program"}, {"command", "check.sh %h"}}}})) ==
        web_check +
            "\"command\": the program \"check.sh\" must be given by its absolute path (lbd "
            "runs it without a shell or PATH search); got \"check.sh %h\"");
  CHECK(refusal(web_health({{"check", {{"type", "http"}, {"path", "health"}}}})) ==
        web_check +
            "\"path\": expected an absolute path starting with / (e.g. /health); got "
            "\"health\"");
  CHECK(refusal(web_health(
            {{"check", {{"type", "http"}, {"expect_body", {{"text", "("}, {"regex", true}}}}}})) ==
        web_check + "invalid regex /(/ at offset 1: missing closing parenthesis");
  // Piranha's escapes as the file and the health engine decode them.
  CHECK(refusal(web_health({{"check", {{"type", "send_expect"}, {"send", "quit\\"}}}})) ==
        web_check +
            "\"send\": a backslash at offset 4 ends the string: nothing to escape (write \\\\ "
            "for a backslash); got \"quit\\\\\"");
  CHECK(refusal(web_health({{"check", {{"type", "send_expect"}, {"expect", "\\x0"}}}})) ==
        web_check +
            "\"expect\": \\x at offset 0 needs two hex digits (write \\\\ for a backslash); got "
            "\"\\\\x0\"");
  CHECK(refusal(web_health({{"check", {{"type", "http"}, {"expect_body", {{"text", "ok\\"}}}}}})) ==
        web_check +
            "\"text\": a backslash at offset 2 ends the string: nothing to escape (write \\\\ "
            "for a backslash); got \"ok\\\\\"");
  // What the engine would refuse: a command it cannot split into words.
  CHECK(refusal(web_health({{"check", {{"type", "program"}, {"command", "/bin/check 'up"}}}})) ==
        web_check + "unterminated ' at offset 11 in the command");
  CHECK(refusal(web_health({{"check", {{"type", "http"}, {"expect_status", json::array()}}}})) ==
        web_check +
            "\"expect_status\" must list at least one status; leave it out to accept any "
            "2xx or 3xx");
  CHECK(refusal(web_health({{"check", {{"type", "http"}, {"expect_status", {200, 200}}}}})) ==
        web_check + "\"expect_status\" lists 200 twice");
  CHECK(refusal(web_health({{"check", {{"type", "http"}, {"expect_status", {600}}}}})) ==
        web_check + "\"expect_status\" must be 100..599, got 600");
  CHECK(refusal(web_health({{"check", {{"type", "send_expect"}, {"send", ""}}}})) ==
        web_check + "\"send\" must not be empty");
  CHECK(refusal(web_health({{"on_failure", "drain"}})) ==
        "invalid: \"on_failure\" must be remove or quiesce, got \"drain\"");
  CHECK(refusal(web_real_check({{"type", "tcp"}, {"send", "x"}})) ==
        "invalid: check of real server 198.18.1.11:80 of tcp 198.18.1.100:80: send is only for "
        "type send_expect or udp, not tcp");
  CHECK(refusal(json::array(
            {{{"op", "edit_service"},
              {"service", web_with({{"sorry_server", {{"address", "198.18.1.300"}}}})}}})) ==
        "invalid: sorry server of tcp 198.18.1.100:80: \"address\" must be an IPv4 address "
        "(a.b.c.d), got \"198.18.1.300\"");
  CHECK(refusal(json::array(
            {{{"op", "edit_service"},
              {"service",
               web_with({{"sorry_server", {{"address", "198.18.1.99"}, {"port", 0}}}})}}})) ==
        "invalid: sorry server of tcp 198.18.1.100:80: port 0 (keep each packet's port) is only "
        "for firewall-mark and port-0 services");
  // Malformed: bad requests.
  CHECK(refusal(web_health({{"check", {{"type", "tcp"}, {"colour", 1}}}})) ==
        "bad_request: health check of tcp 198.18.1.100:80: \"check\": unknown field \"colour\", "
        "expected one of: type, port, interval_ms, timeout_ms, rise, fall, service_timeout_ms, "
        "reentry_ms, path, host, expect_status, expect_body, send, expect, command, "
        "through_tunnel");
  CHECK(refusal(web_health({{"check", 5}})) ==
        "bad_request: health check of tcp 198.18.1.100:80: \"check\" must be an object or null, "
        "got 5");
  CHECK(refusal(web_health({{"checks", nullptr}})) ==
        "bad_request: \"health\": unknown field \"checks\", expected one of: check, on_failure");
  CHECK(refusal(json::array({{{"op", "edit_service"},
                              {"service", web_with({{"sorry_server", {{"port", 80}}}})}}})) ==
        "bad_request: \"sorry_server\" needs \"address\"");
}

TEST_CASE("check: health rules on an edited configuration") {
  auto c = applied(
      json::array({{{"op", "edit_service"},
                    {"service", web_with({{"sorry_server", {{"address", "198.18.1.11"}}}})}}}));
  CHECK(check_lines(c) ==
        std::vector<std::string>{
            "running configuration: services[0].sorry_server: sorry server 198.18.1.11:80 is also "
            "services[0].real_servers[0]: a sorry server takes new connections when every real "
            "server is down, so it must be another server"});
  c = applied(web_health({{"check", {{"type", "tcp"}, {"through_tunnel", true}}}}));
  CHECK(check_lines(c) ==
        std::vector<std::string>{
            "running configuration: services[0].health.check.through_tunnel: through_tunnel is "
            "only for tunnel real servers, and none of the real servers this check applies to "
            "forwards by tunnel"});
  // A firewall-mark service's real server keeps each packet's port: its
  // check needs one.
  CHECK(check_lines(applied(json::array(
            {{{"op", "add_service"}, {"service", {{"fwmark", 7}}}},
             {{"op", "add_real"},
              {"service", {{"fwmark", 7}}},
              {"real", {{"address", "198.18.1.12"}, {"check", {{"type", "tcp"}}}}}}}))) ==
        std::vector<std::string>{
            "running configuration: services[1].real_servers[0].check: real server 198.18.1.12 "
            "has port 0 (each packet keeps its own port), so its check has no port to probe: give "
            "the check a port"});
}

TEST_CASE("edit: the config form of a check (check_json) is one edit_service takes back") {
  const auto loaded = load(with_port(
      "services:\n"
      "  - protocol: tcp\n"
      "    vip: 198.18.1.100\n"
      "    port: 80\n"
      "    health:\n"
      "      check: {type: http, port: 8080, interval_ms: 2000, timeout_ms: 1500, rise: 1, fall: 4,"
      " service_timeout_ms: 6000, reentry_ms: 15000, path: /health, host: www.example.com,"
      " expect_status: [200, 204], expect_body: {text: '^ok', regex: true}}\n"
      "      on_failure: quiesce\n"
      "    real_servers:\n"
      "      - {address: 198.18.1.11, check: {type: send_expect, send: 'GET / "
      "HTTP/1.0\\r\\n\\r\\n',"
      " expect: 'HTTP\\t1'}}\n"
      "      - {address: 198.18.1.12, check: {type: program, command: /bin/check %h, expect: OK}}\n"
      "      - {address: 198.18.1.13, check: {type: udp, port: 53, send: '\\x00ping\\xff\\n'}}\n"));
  REQUIRE(loaded.config);
  const auto& from_file = loaded.config->services[0];
  // The YAML's keys in JSON, the type's only, texts escaped as the file writes them.
  CHECK(config::check_json(*from_file.real_servers[0].check) ==
        json{{"type", "send_expect"},
             {"interval_ms", 5000},
             {"timeout_ms", 3000},
             {"rise", 2},
             {"fall", 3},
             {"service_timeout_ms", 0},
             {"reentry_ms", 0},
             {"send", "GET / HTTP/1.0\\r\\n\\r\\n"},
             {"expect", "HTTP\\t1"}});
  // Binary bytes as \xHH, which the file and edits decode back.
  const auto& binary = *from_file.real_servers[2].check;
  CHECK(binary.send == std::string("\0ping\xff\n", 7));
  CHECK(config::check_json(binary)["send"] == "\\x00ping\\xff\\n");
  CHECK(config::describe_check(binary) ==
        "udp port 53 send \"\\x00ping\\xff\\n\", every 5000 ms (timeout 3000 ms, rise 2, fall 3)");
  CHECK(config::health_json(health::HealthSpec{}) ==
        json{{"check", nullptr}, {"on_failure", "remove"}});

  json ops =
      json::array({{{"op", "edit_service"},
                    {"service", web_with({{"health", config::health_json(from_file.health)}})}}});
  for (size_t r = 0; r < from_file.real_servers.size(); ++r) {
    const auto& real = from_file.real_servers[r];
    if (r > 0) {
      ops.push_back(
          {{"op", "add_real"}, {"service", kWeb}, {"real", {{"address", real.addr.to_string()}}}});
    }
    ops.push_back(
        {{"op", "edit_real"},
         {"service", kWeb},
         {"real",
          {{"address", real.addr.to_string()}, {"check", config::check_json(*real.check)}}}});
  }
  const auto c = applied(ops);
  CHECK(c.services[0].health == from_file.health);
  for (size_t r = 0; r < from_file.real_servers.size(); ++r)
    CHECK(c.services[0].real_servers[r].check == from_file.real_servers[r].check);
}

}  // namespace lb::test
