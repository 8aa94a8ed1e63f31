// splice_running (lbctl save): the running configuration written into its
// file, the operator's text kept wherever the values did not change.
#include <catch2/catch.hpp>

#include <lb/config/edit.h>
#include <lb/config/save.h>

#include "config_test.h"

namespace lb::test {
namespace {

using nlohmann::json;

constexpr std::string_view kFile =
    "# The site's balancer.\n"
    "ports:\n"
    "  - name: ext\n"
    "    device: net_null0\n"
    "    address: 198.18.1.1/24\n"
    "\n"
    "# Web first.\n"
    "services:\n"
    "  # The shop: keep it on rr.\n"
    "  - protocol: tcp\n"
    "    vip: 198.18.1.100   # public\n"
    "    port: 80\n"
    "    scheduler: rr\n"
    "    real_servers:\n"
    "      - {address: 198.18.1.11}\n"
    "\n"
    "  # DNS.\n"
    "  - {protocol: udp, vip: 198.18.1.100, port: 53, real_servers: [{address: 198.18.1.12}]}\n"
    "\n"
    "# Tuned for the shop.\n"
    "neighbors:\n"
    "  retries: 5\n";

std::string saved(const json& ops, std::string_view file = kFile) {
  const auto loaded = load(file);
  REQUIRE(loaded.config);
  config::Config running = *loaded.config;
  const auto error = config::apply_edits(running, ops);
  INFO((error ? error->message : ""));
  REQUIRE_FALSE(error);
  auto out = config::splice_running(file, *loaded.config, running);
  if (const auto* e = std::get_if<config::SaveError>(&out)) FAIL(e->message);
  return std::get<std::string>(out);
}

const json kDns = {{"protocol", "udp"}, {"vip", "198.18.1.100"}, {"port", 53}};

// `service` with a faster check (only interval_ms given: the file's check
// keeps its other fields), failed servers quiesced and a sorry server.
json web_with_health(json service) {
  service["health"] = {{"check", {{"interval_ms", 2000}}}, {"on_failure", "quiesce"}};
  service["sorry_server"] = {{"address", "198.18.1.99"}, {"port", 8080}};
  return service;
}

}  // namespace

TEST_CASE("save: an unchanged configuration is written back byte for byte") {
  CHECK(saved(json::array(
            {{{"op", "edit_service"},
              {"service", {{"protocol", "tcp"}, {"vip", "198.18.1.100"}, {"port", 80}}}}})) ==
        kFile);
}

TEST_CASE("save: unchanged services keep their text, changed and new ones are written") {
  const auto out = saved(json::array(
      {{{"op", "edit_real"},
        {"service", kDns},
        {"real", {{"address", "198.18.1.12"}, {"weight", 3}}}},
       {{"op", "add_service"},
        {"service",
         {{"protocol", "tcp"}, {"vip", "198.18.1.101"}, {"port", 443}, {"scheduler", "sh"}}}},
       {{"op", "add_real"},
        {"service", {{"protocol", "tcp"}, {"vip", "198.18.1.101"}, {"port", 443}}},
        {"real", {{"address", "198.18.1.13"}, {"forward", "dr"}}}}}));
  CHECK(out ==
        "# The site's balancer.\n"
        "ports:\n"
        "  - name: ext\n"
        "    device: net_null0\n"
        "    address: 198.18.1.1/24\n"
        "\n"
        "# Web first.\n"
        "services:\n"
        "  # The shop: keep it on rr.\n"
        "  - protocol: tcp\n"
        "    vip: 198.18.1.100   # public\n"
        "    port: 80\n"
        "    scheduler: rr\n"
        "    real_servers:\n"
        "      - {address: 198.18.1.11}\n"
        "\n"
        "  # DNS.\n"
        "  - protocol: udp\n"
        "    vip: 198.18.1.100\n"
        "    port: 53\n"
        "    real_servers:\n"
        "      - {address: 198.18.1.12, weight: 3}\n"
        "\n"
        "  - protocol: tcp\n"
        "    vip: 198.18.1.101\n"
        "    port: 443\n"
        "    scheduler: sh\n"
        "    real_servers:\n"
        "      - {address: 198.18.1.13, forward: dr}\n"
        "\n"
        "# Tuned for the shop.\n"
        "neighbors:\n"
        "  retries: 5\n");
}

TEST_CASE("save: deleting every service, a list indented at column 0, run-time settings") {
  CHECK(saved(json::array({{{"op", "clear"}}})) ==
        "# The site's balancer.\n"
        "ports:\n"
        "  - name: ext\n"
        "    device: net_null0\n"
        "    address: 198.18.1.1/24\n"
        "\n"
        "# Web first.\n"
        "services: []\n"
        "\n"
        "# Tuned for the shop.\n"
        "neighbors:\n"
        "  retries: 5\n");

  const std::string flush =
      "ports: [{name: ext, device: net_null0, address: 198.18.1.1/24}]\n"
      "services:\n"
      "- protocol: tcp   # flush left\n"
      "  vip: 198.18.1.100\n"
      "  port: 80\n";
  CHECK(saved(json::array({{{"op", "add_service"}, {"service", kDns}}}), flush) ==
        flush +
            "\n"
            "- protocol: udp\n"
            "  vip: 198.18.1.100\n"
            "  port: 53\n");

  // Timeouts set at run time (`set`) land in `connections`, added when the
  // file had none.
  const auto loaded = load(flush);
  REQUIRE(loaded.config);
  config::Config running = *loaded.config;
  running.connections.timeouts.tcp_ms[1] = 600000;  // ESTABLISHED
  running.connections.expire_nodest_conn = true;
  const auto out = config::splice_running(flush, *loaded.config, running);
  REQUIRE(std::holds_alternative<std::string>(out));
  const auto reread = load(std::get<std::string>(out));
  REQUIRE(reread.config);
  CHECK(reread.config->connections.timeouts.tcp_ms[1] == 600000);
  CHECK(reread.config->connections.expire_nodest_conn);
  CHECK(std::get<std::string>(out).starts_with(flush));
}

}  // namespace lb::test

namespace lb::test {

TEST_CASE("save: a new service after a kept last one is set apart by one blank line") {
  constexpr std::string_view file =
      "ports:\n"
      "  - {name: ext, device: net_null0, address: 198.18.1.1/24}\n"
      "services:\n"
      "  # DNS.\n"
      "  - {protocol: udp, vip: 198.18.1.100, port: 53, real_servers: [{address: 198.18.1.12}]}\n"
      "\n"
      "\n";
  const auto out = saved(
      json::array(
          {{{"op", "add_service"},
            {"service",
             {{"protocol", "tcp"}, {"vip", "198.18.1.100"}, {"port", 80}, {"scheduler", "rr"}}}}}),
      file);
  CHECK(out ==
        "ports:\n"
        "  - {name: ext, device: net_null0, address: 198.18.1.1/24}\n"
        "services:\n"
        "  # DNS.\n"
        "  - {protocol: udp, vip: 198.18.1.100, port: 53, real_servers: [{address: 198.18.1.12}]}\n"
        "\n"
        "  - protocol: tcp\n"
        "    vip: 198.18.1.100\n"
        "    port: 80\n"
        "    scheduler: rr\n"
        "\n"
        "\n");
}

}  // namespace lb::test

namespace lb::test {

TEST_CASE(
    "save: health settings edited live are written; a checked service unchanged keeps its text") {
  constexpr std::string_view file =
      "ports:\n"
      "  - {name: ext, device: net_null0, address: 198.18.1.1/24}\n"
      "services:\n"
      "  # Web, checked as lvs.cf did.\n"
      "  - protocol: tcp\n"
      "    vip: 198.18.1.100\n"
      "    port: 80\n"
      "    health:\n"
      "      check: {type: send_expect, send: 'GET / HTTP/1.0\\r\\n\\r\\n', expect: HTTP}  # "
      "nanny\n"
      "    real_servers:\n"
      "      - {address: 198.18.1.11}\n"
      "  # DNS.\n"
      "  - {protocol: udp, vip: 198.18.1.100, port: 53, real_servers: [{address: 198.18.1.12}]}\n";
  const json web = {{"protocol", "tcp"}, {"vip", "198.18.1.100"}, {"port", 80}};
  // A check given to a DNS server, binary bytes in its send string: the web
  // service keeps its text, comment and escapes included.
  const auto dns_checked =
      saved(json::array({{{"op", "edit_real"},
                          {"service", kDns},
                          {"real",
                           {{"address", "198.18.1.12"},
                            {"check", {{"type", "udp"}, {"send", "\\x00\\x01ping\\xff"}}}}}}}),
            file);
  CHECK(dns_checked ==
        "ports:\n"
        "  - {name: ext, device: net_null0, address: 198.18.1.1/24}\n"
        "services:\n"
        "  # Web, checked as lvs.cf did.\n"
        "  - protocol: tcp\n"
        "    vip: 198.18.1.100\n"
        "    port: 80\n"
        "    health:\n"
        "      check: {type: send_expect, send: 'GET / HTTP/1.0\\r\\n\\r\\n', expect: HTTP}  # "
        "nanny\n"
        "    real_servers:\n"
        "      - {address: 198.18.1.11}\n"
        "  # DNS.\n"
        "  - protocol: udp\n"
        "    vip: 198.18.1.100\n"
        "    port: 53\n"
        "    real_servers:\n"
        "      - {address: 198.18.1.12, check: {type: udp, send: '\\x00\\x01ping\\xff'}}\n");
  // ... which, read back, are the bytes the edit gave.
  const auto reread = load(dns_checked);
  REQUIRE(reread.config);
  REQUIRE(reread.config->services.at(1).real_servers.at(0).check);
  CHECK(reread.config->services[1].real_servers[0].check->send == std::string("\0\x01ping\xff", 7));
  // The web service's health changed: written by the emitter, the check's
  // bytes the same.
  const auto web_changed =
      saved(json::array({{{"op", "edit_service"}, {"service", web_with_health(web)}}}), file);
  CHECK(
      web_changed ==
      "ports:\n"
      "  - {name: ext, device: net_null0, address: 198.18.1.1/24}\n"
      "services:\n"
      "  # Web, checked as lvs.cf did.\n"
      "  - protocol: tcp\n"
      "    vip: 198.18.1.100\n"
      "    port: 80\n"
      "    health:\n"
      "      check: {type: send_expect, interval_ms: 2000, send: 'GET / HTTP/1.0\\r\\n\\r\\n', "
      "expect: HTTP}\n"
      "      on_failure: quiesce\n"
      "    sorry_server: {address: 198.18.1.99, port: 8080}\n"
      "    real_servers:\n"
      "      - {address: 198.18.1.11}\n"
      "  # DNS.\n"
      "  - {protocol: udp, vip: 198.18.1.100, port: 53, real_servers: [{address: 198.18.1.12}]}\n");
  // Taking them away again.
  const auto cleared = saved(json::array({{{"op", "edit_service"},
                                           {"service",
                                            {{"protocol", "tcp"},
                                             {"vip", "198.18.1.100"},
                                             {"port", 80},
                                             {"health", nullptr},
                                             {"sorry_server", nullptr}}}}}),
                             file);
  CHECK(cleared.find("health") == std::string::npos);
  CHECK(cleared.find("  # Web, checked as lvs.cf did.\n  - protocol: tcp\n") != std::string::npos);
}

}  // namespace lb::test
