// lbd's metrics page from fixed control-socket JSON (data/*.json, in the
// shapes app/lbd/control_api.cpp answers status, services and stats with):
// the exact page (data/metrics.prom), a page a scraper accepts, every number
// equal to its JSON field, and clear errors for JSON the page cannot be made
// from.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include <lb/metrics/render.h>

#include "exposition_checker.h"

using nlohmann::json;

namespace {

const std::filesystem::path kData{LB_METRICS_DATA_DIR};

std::string read(const std::string& name) {
  std::ifstream in(kData / name, std::ios::binary);
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Input {
  json status = json::parse(read("status.json"));
  json services = json::parse(read("services.json"));
  json stats = json::parse(read("stats.json"));

  std::string render() const { return lb::metrics::render(status, services, stats); }
};

std::string error_of(const Input& in) {
  try {
    in.render();
  } catch (const lb::metrics::RenderError& e) {
    return e.what();
  }
  return "<rendered>";
}

// The page's value of a series as written, "" when it is not on the page.
std::string sample(const lb::test::Scrape& scrape, const std::string& series) {
  const auto it = scrape.samples.find(series);
  return it == scrape.samples.end() ? "" : it->second;
}

// A series as the checker names it: labels sorted by name.
using LabelMap = std::map<std::string, std::string>;
std::string series(const std::string& name, const LabelMap& labels) {
  std::string out = name;
  for (const auto& [label, value] : labels)
    out += (out.size() == name.size() ? "{" : ",") + label + "=\"" + value + "\"";
  return labels.empty() ? out : out + "}";
}

LabelMap plus(LabelMap labels, const std::string& name, const std::string& value) {
  labels[name] = value;
  return labels;
}

}  // namespace

TEST_CASE("the page for fixed JSON is exactly data/metrics.prom") {
  CHECK(Input().render() == read("metrics.prom"));
}

TEST_CASE("the page is valid Prometheus text, counters and gauges typed as such") {
  const auto scrape = lb::test::check_exposition(Input().render());
  CHECK(scrape.errors.empty());
  INFO(Catch::Detail::stringify(scrape.errors));
  for (const auto& [family, type] : scrape.types) {
    INFO(family);
    CHECK(family.starts_with("lbd_"));
    CHECK(type == (family.ends_with("_total") ? "counter" : "gauge"));
    CHECK(scrape.help.count(family) == 1);
  }
  CHECK(scrape.types.size() == 51);
}

TEST_CASE("every number on the page is the JSON's") {
  const Input in;
  const auto scrape = lb::test::check_exposition(in.render());
  REQUIRE(scrape.errors.empty());

  // Workers: traffic, cycles, every drop reason and event by name.
  for (size_t w = 0; w < in.stats["workers"].size(); ++w) {
    const json& worker = in.stats["workers"][w];
    const LabelMap labels{{"worker", std::to_string(w)}, {"lcore", worker["lcore"].dump()}};
    const auto check = [&](const std::string& name, const json& value, const LabelMap& at) {
      INFO(series(name, at));
      CHECK(sample(scrape, series(name, at)) == value.dump());
    };
    check("lbd_worker_receive_packets_total", worker["rx_packets"], labels);
    check("lbd_worker_receive_bytes_total", worker["rx_bytes"], labels);
    check("lbd_worker_transmit_packets_total", worker["tx_packets"], labels);
    check("lbd_worker_transmit_bytes_total", worker["tx_bytes"], labels);
    check("lbd_worker_busy_cycles_total", worker["busy_cycles"], labels);
    check("lbd_worker_idle_cycles_total", worker["idle_cycles"], labels);
    for (const auto& [reason, value] : worker["drops"].items())
      check("lbd_drops_total", value, plus(labels, "reason", reason));
    for (const auto& [event, value] : worker["events"].items())
      check("lbd_events_total", value, plus(labels, "event", event));
  }

  // The connection table, field by field.
  const std::map<std::string, std::string> table = {
      {"capacity", "lbd_connection_table_capacity"},
      {"in_use", "lbd_connection_table_in_use"},
      {"awaiting_reclaim", "lbd_connection_table_awaiting_reclaim"},
      {"inserted", "lbd_connection_table_inserted_total"},
      {"templates_inserted", "lbd_connection_table_templates_inserted_total"},
      {"refused_full", "lbd_connection_table_refused_full_total"},
      {"expired", "lbd_connection_table_expired_total"},
      {"templates_expired", "lbd_connection_table_templates_expired_total"},
      {"flushed", "lbd_connection_table_flushed_total"},
      {"reused", "lbd_connection_table_reused_total"},
      {"bytes_per_connection", "lbd_connection_table_entry_bytes"},
      {"memory_bytes", "lbd_connection_table_memory_bytes"},
  };
  REQUIRE(table.size() == in.stats["connections"].size());
  for (const auto& [field, name] : table) {
    INFO(field);
    CHECK(sample(scrape, name) == in.stats["connections"][field].dump());
  }

  // Services and real servers: IPVS's counters and rates, exactly (the
  // largest uint64 included).
  CHECK(sample(scrape, series("lbd_service_bytes_total",
                              {{"direction", "out"}, {"service", "tcp:198.18.1.100:80"}})) ==
        "18446744073709551615");
  size_t reals = 0;
  for (const json& service : in.services["services"]) {
    const std::string name =
        service.contains("fwmark")
            ? fmt::format("fwmark:{}", service["fwmark"].get<uint32_t>())
            : fmt::format("{}:{}:{}", service["protocol"].get<std::string>(),
                          service["vip"].get<std::string>(), service["port"].get<uint16_t>());
    const auto traffic = [&](const std::string& prefix, const json& entry, const LabelMap& labels) {
      const auto at = [&](const std::string& family, const char* direction) {
        return sample(scrape, series(prefix + family,
                                     direction ? plus(labels, "direction", direction) : labels));
      };
      const json& s = entry["stats"];
      const json& r = entry["rates"];
      INFO(series(prefix, labels));
      CHECK(at("_connections_total", nullptr) == s["conns"].dump());
      CHECK(at("_packets_total", "in") == s["inpkts"].dump());
      CHECK(at("_packets_total", "out") == s["outpkts"].dump());
      CHECK(at("_bytes_total", "in") == s["inbytes"].dump());
      CHECK(at("_bytes_total", "out") == s["outbytes"].dump());
      CHECK(at("_connection_rate", nullptr) == r["cps"].dump());
      CHECK(at("_packet_rate", "in") == r["inpps"].dump());
      CHECK(at("_packet_rate", "out") == r["outpps"].dump());
      CHECK(at("_byte_rate", "in") == r["inbps"].dump());
      CHECK(at("_byte_rate", "out") == r["outbps"].dump());
    };
    traffic("lbd_service", service, {{"service", name}});
    for (const json& real : service["real_servers"]) {
      ++reals;
      const LabelMap labels{{"service", name},
                            {"real", fmt::format("{}:{}", real["address"].get<std::string>(),
                                                 real["port"].get<uint16_t>())}};
      traffic("lbd_real_server", real, labels);
      CHECK(sample(scrape, series("lbd_real_server_weight", labels)) == real["weight"].dump());
      CHECK(sample(scrape, series("lbd_real_server_active_connections", labels)) ==
            real["active_conns"].dump());
      CHECK(sample(scrape, series("lbd_real_server_inactive_connections", labels)) ==
            real["inactive_conns"].dump());
      CHECK(sample(scrape, series("lbd_real_server_persistent_connections", labels)) ==
            real["persistent_conns"].dump());
      CHECK(sample(scrape, series("lbd_real_server_info",
                                  plus(labels, "forward", real["forward"].get<std::string>()))) ==
            "1");
    }
  }
  CHECK(reals == 3);

  // Ports: status's identity and link, stats' counters.
  CHECK(sample(scrape, "lbd_port_link_up{port=\"ext\"}") == "1");
  CHECK(sample(scrape, "lbd_port_link_up{port=\"int\"}") == "0");
  CHECK(sample(scrape,
               "lbd_port_info{address=\"198.18.2.1/24\",device=\"net_pcap0,rx_pcap=/tmp/in "
               "\"1\".pcap\",mac=\"02:00:00:00:02:01\",port=\"int\"}") == "1");
  CHECK(sample(scrape, "lbd_port_receive_missed_total{port=\"ext\"}") == "2");
  CHECK(sample(scrape, "lbd_port_receive_errors_total{port=\"int\"}") == "1");
  CHECK(sample(scrape, "lbd_uptime_seconds") == "3725");
  CHECK(sample(scrape, "lbd_build_info{version=\"0.1.0\"}") == "1");
}

TEST_CASE("services without stats and rates (an lbd that has none) get no traffic series") {
  Input in;
  for (json& service : in.services["services"]) {
    service.erase("stats");
    service.erase("rates");
    for (json& real : service["real_servers"]) {
      real.erase("stats");
      real.erase("rates");
    }
  }
  const auto scrape = lb::test::check_exposition(in.render());
  CHECK(scrape.errors.empty());
  for (const char* family :
       {"lbd_service_connections_total", "lbd_service_packets_total", "lbd_service_bytes_total",
        "lbd_service_connection_rate", "lbd_service_packet_rate", "lbd_service_byte_rate",
        "lbd_real_server_connections_total", "lbd_real_server_packets_total",
        "lbd_real_server_bytes_total", "lbd_real_server_connection_rate",
        "lbd_real_server_packet_rate", "lbd_real_server_byte_rate"}) {
    INFO(family);
    CHECK(scrape.types.count(family) == 0);
  }
  CHECK(scrape.types.size() == 39);
  CHECK(sample(scrape,
               series("lbd_real_server_weight",
                      {{"real", "198.18.2.13:5353"}, {"service", "udp:198.18.1.100:53"}})) == "3");
}

TEST_CASE("an empty lbd: no services, one worker, no traffic") {
  Input in;
  in.services["services"] = json::array();
  in.status["services"] = 0;
  in.stats["workers"].erase(1);
  const auto scrape = lb::test::check_exposition(in.render());
  CHECK(scrape.errors.empty());
  CHECK(scrape.types.count("lbd_service_info") == 0);
  CHECK(sample(scrape, "lbd_services") == "0");
  CHECK(sample(scrape, "lbd_up") == "1");
}

TEST_CASE("JSON the page cannot be made from is an error naming the field") {
  {
    Input in;
    in.stats["workers"][1].erase("rx_packets");
    CHECK(error_of(in) == "stats.workers[1].rx_packets: missing");
  }
  {
    Input in;
    in.stats["workers"][0]["drops"]["no_service"] = -1;
    CHECK(error_of(in) ==
          "stats.workers[0].drops.no_service: expected a non-negative integer, got -1");
  }
  {
    Input in;
    in.stats["connections"]["in_use"] = "12";
    CHECK(error_of(in) == "stats.connections.in_use: expected a non-negative integer, got \"12\"");
  }
  {
    Input in;
    in.services["services"][0]["real_servers"][1]["rates"]["cps"] = "fast";
    CHECK(error_of(in) ==
          "services.services[0].real_servers[1].rates.cps: expected a number, got \"fast\"");
  }
  {
    Input in;
    in.services["services"][2]["stats"] = json::array();
    CHECK(error_of(in) == "services.services[2].stats: expected an object, got []");
  }
  {
    Input in;
    in.status["ports"][0]["link_up"] = 1;
    CHECK(error_of(in) == "status.ports[0].link_up: expected true or false, got 1");
  }
  {
    Input in;
    in.status = json::array();
    CHECK(error_of(in) == "status: expected an object, got []");
  }
  {
    Input in;
    in.services["services"] = std::string(100, 'x');
    CHECK(error_of(in) ==
          "services.services: expected a list, got \"" + std::string(36, 'x') + "...");
  }
}

namespace {

// The `health` result in the shape app/lbd/health_control.cpp answers.
const json kHealth = json::parse(R"({
  "servers": [
    {"service": {"protocol": "tcp", "vip": "198.18.1.100", "port": 80},
     "address": "198.18.2.11", "port": 8080, "check_type": "http", "check_port": 8080,
     "state": "down", "checks": 17,
     "last": {"ok": false, "reason": "expected 200, got 503", "latency_ms": 250, "age_ms": 10}},
    {"service": {"fwmark": 7}, "address": "198.18.2.12", "port": 0, "check_type": "tcp",
     "check_port": 22, "state": "unknown"}],
  "sorry_servers_serving": [
    {"service": {"protocol": "tcp", "vip": "198.18.1.100", "port": 80},
     "address": "198.18.2.99", "port": 8080}]})");

}  // namespace

TEST_CASE("health: a state set per checked server, its checks, last result and latency") {
  const Input in;
  const auto scrape =
      lb::test::check_exposition(lb::metrics::render(in.status, in.services, in.stats, kHealth));
  CHECK(scrape.errors.empty());
  const LabelMap first{{"real", "198.18.2.11:8080"}, {"service", "tcp:198.18.1.100:80"}};
  CHECK(sample(scrape, series("lbd_real_server_health", plus(first, "state", "down"))) == "1");
  CHECK(sample(scrape, series("lbd_real_server_health", plus(first, "state", "up"))) == "0");
  CHECK(sample(scrape, series("lbd_real_server_health", plus(first, "state", "unknown"))) == "0");
  CHECK(sample(scrape, series("lbd_real_server_health_checks_total", first)) == "17");
  CHECK(sample(scrape, series("lbd_real_server_health_check_success", first)) == "0");
  CHECK(sample(scrape, series("lbd_real_server_health_check_latency_seconds", first)) == "0.25");
  CHECK(scrape.types.at("lbd_real_server_health_checks_total") == "counter");
  // Not checked yet: only its state.
  const LabelMap second{{"real", "198.18.2.12:0"}, {"service", "fwmark:7"}};
  CHECK(sample(scrape, series("lbd_real_server_health", plus(second, "state", "unknown"))) == "1");
  CHECK(sample(scrape, series("lbd_real_server_health_check_success", second)).empty());
  CHECK(sample(scrape,
               series("lbd_sorry_server_serving",
                      {{"real", "198.18.2.99:8080"}, {"service", "tcp:198.18.1.100:80"}})) == "1");
  // Without the health result the page has no health series.
  CHECK(lb::test::check_exposition(in.render()).types.count("lbd_real_server_health") == 0);
}

TEST_CASE("health: a result the page cannot be made from is a clear error") {
  const Input in;
  json bad = kHealth;
  bad["servers"][0].erase("state");
  try {
    lb::metrics::render(in.status, in.services, in.stats, bad);
    FAIL("rendered");
  } catch (const lb::metrics::RenderError& e) {
    CHECK(std::string(e.what()).find("health.servers[0].state") != std::string::npos);
  }
}
