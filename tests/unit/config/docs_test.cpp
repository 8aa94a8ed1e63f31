// conf/README.md documents every key the parser accepts: the accepted keys
// are taken from the parser itself (the "unknown key" error lists them, map
// by map), and each must have a row in its map's table in the README.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "config_test.h"

using lb::test::errors_of;

namespace {

std::string readme() {
  std::ifstream in(lb::test::kConfDir / "README.md");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The keys a map accepts, from the error for an unknown key "zz_unknown"
// placed in it (`yaml` contains "zz_unknown: 1" where that map is).
std::vector<std::string> accepted_keys(const std::string& yaml) {
  const auto lines = errors_of(yaml);
  for (const auto& line : lines) {
    const std::string marker = "unknown key \"zz_unknown\", expected one of: ";
    const auto at = line.find(marker);
    if (at == std::string::npos) continue;
    std::vector<std::string> keys;
    std::stringstream list(line.substr(at + marker.size()));
    for (std::string key; std::getline(list, key, ',');) {
      keys.push_back(key.substr(key.find_first_not_of(' ')));
    }
    return keys;
  }
  FAIL("no unknown-key error in " << Catch::Detail::stringify(lines));
  return {};
}

// The README's text from `start` to the next "\n## " heading (or `end`).
std::string section(const std::string& text, const std::string& start,
                    const std::string& end = "\n## ") {
  const auto from = text.find(start);
  REQUIRE(from != std::string::npos);
  const auto to = text.find(end, from + start.size());
  return text.substr(from, to == std::string::npos ? std::string::npos : to - from);
}

const std::string kPort =
    "ports:\n  - {name: ext, device: net_null0, address: 198.18.1.1/24, gateway: 198.18.1.254}\n";

}  // namespace

TEST_CASE("conf/README.md has a table row for every key of every map") {
  const std::string text = readme();
  struct Map {
    std::string yaml;          // a file with zz_unknown in the map
    std::string readme_start;  // where the map's table starts in the README
    std::string readme_end = "\n## ";
  };
  const std::vector<Map> maps = {
      {"eal: {zz_unknown: 1}\n" + kPort, "## `eal`"},
      {"lcores: {zz_unknown: 1}\n" + kPort, "## `lcores`"},
      {"control: {zz_unknown: 1}\n" + kPort, "## `control`"},
      {"logging: {zz_unknown: 1}\n" + kPort, "## `logging`"},
      {"metrics: {zz_unknown: 1}\n" + kPort, "## `metrics`"},
      {"ports:\n  - {name: ext, device: net_null0, address: 198.18.1.1/24, zz_unknown: 1}\n",
       "## `ports`"},
      {kPort + "neighbors: {zz_unknown: 1}\n", "## `neighbors`", "Each `static` entry"},
      {kPort + "neighbors: {static: [{zz_unknown: 1}]}\n", "Each `static` entry"},
      {kPort + "connections: {zz_unknown: 1}\n", "## `connections`", "`timeouts` takes"},
      {kPort + "connections: {timeouts: {zz_unknown: 1}}\n", "`timeouts` takes"},
      {kPort + "services: [{zz_unknown: 1}]\n", "## `services`", "`persistence` as a map"},
      {kPort + "services: [{protocol: tcp, vip: 198.18.1.100, port: 80, persistence: "
               "{zz_unknown: 1}}]\n",
       "`persistence` as a map", "Each real server"},
      {kPort + "services: [{protocol: tcp, vip: 198.18.1.100, port: 80, real_servers: "
               "[{zz_unknown: 1}]}]\n",
       "Each real server"},
      {kPort + "services: [{protocol: tcp, vip: 198.18.1.100, port: 80, health: {zz_unknown: "
               "1}}]\n",
       "`health` takes:", "A check ("},
      {kPort + "services: [{protocol: tcp, vip: 198.18.1.100, port: 80, health: {check: {type: "
               "tcp, zz_unknown: 1}}}]\n",
       "A check (", "`expect` and `expect_body` as a map"},
      {kPort + "services: [{protocol: tcp, vip: 198.18.1.100, port: 80, health: {check: {type: "
               "http, expect_body: {text: a, zz_unknown: 1}}}}]\n",
       "`expect` and `expect_body` as a map", "**Escapes"},
      {kPort + "services: [{protocol: tcp, vip: 198.18.1.100, port: 80, sorry_server: {address: "
               "198.18.1.9, zz_unknown: 1}}]\n",
       "`sorry_server` takes", "Rules for health checks"},
      {kPort + "firewall_marks: [{zz_unknown: 1}]\n", "## `firewall_marks`"},
  };
  std::size_t documented = 0;
  for (const auto& map : maps) {
    const std::string table = section(text, map.readme_start, map.readme_end);
    for (const auto& key : accepted_keys(map.yaml)) {
      INFO(map.readme_start << ": key " << key);
      CHECK(table.find("| `" + key + "` |") != std::string::npos);
      ++documented;
    }
  }
  // Every top-level section has its heading.
  for (const auto& key : accepted_keys("zz_unknown: 1\n" + kPort)) {
    INFO("section " << key);
    CHECK(text.find("\n## `" + key + "`") != std::string::npos);
  }
  CHECK(documented >= 95);
}
