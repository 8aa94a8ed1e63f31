// Walking lbd's connection table page by page over a real control socket,
// and lbctl's --service spelling.
#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <lb/ctl/client.h>
#include <lb/ctl/connections.h>
#include <lb/ctl/dispatcher.h>

#include "ctl_fixture.h"

using lb::ctl::ServiceSelector;
using lb::test::RequestLog;
using lb::test::TempDir;
using nlohmann::json;

namespace {

// A `connections` stand-in: answers each cursor from a fixed map and records
// every request's args.
struct PagedServer {
  PagedServer(const std::string& path, std::map<uint64_t, json> pages) : pages_(std::move(pages)) {
    dispatcher.add("connections", [this](const json& args) {
      log.add("connections", args);
      const auto it = pages_.find(args.value("cursor", uint64_t{0}));
      if (it == pages_.end()) throw lb::ctl::CtlError("bad_request", "args.cursor: no such page");
      return it->second;
    });
    thread.emplace(path, std::cref(dispatcher));
  }
  std::map<uint64_t, json> pages_;
  RequestLog log;
  lb::ctl::Dispatcher dispatcher;
  std::optional<lb::test::ServerThread> thread;
};

json page(std::vector<int> ids, json next) {
  json entries = json::array();
  for (const int id : ids)
    entries.push_back({{"id", id}});
  return {{"connections", entries}, {"next_cursor", next}};
}

std::vector<int> walk(const std::string& path, const std::optional<ServiceSelector>& service,
                      int stop_after_pages = -1) {
  lb::ctl::ControlClient client(path);
  std::vector<int> ids;
  int pages = 0;
  lb::ctl::walk_connections(client, service, [&](const json& entries) {
    for (const json& e : entries)
      ids.push_back(e.at("id").get<int>());
    return ++pages != stop_after_pages;
  });
  return ids;
}

std::string walk_error(const std::string& path) {
  try {
    walk(path, std::nullopt);
  } catch (const lb::ctl::CtlError& e) {
    return e.code() + ": " + e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("every page in order, an empty one included, until next_cursor is null") {
  TempDir dir;
  PagedServer lbd(dir.file("lbd.sock"),
                  {{0, page({1, 2}, 4096)}, {4096, page({}, 9000)}, {9000, page({3}, nullptr)}});
  CHECK(walk(dir.file("lbd.sock"), std::nullopt) == std::vector<int>{1, 2, 3});
  const auto args = lbd.log.args_of("connections");
  REQUIRE(args.size() == 3);
  CHECK(args[0] == json{{"cursor", 0}, {"limit", 1000}});
  CHECK(args[1] == json{{"cursor", 4096}, {"limit", 1000}});
  CHECK(args[2] == json{{"cursor", 9000}, {"limit", 1000}});
}

TEST_CASE("the service filter goes with every page") {
  TempDir dir;
  PagedServer lbd(dir.file("lbd.sock"), {{0, page({1}, 7)}, {7, page({2}, nullptr)}});
  ServiceSelector fwmark;
  fwmark.fwmark = 7;
  CHECK(walk(dir.file("lbd.sock"), fwmark) == std::vector<int>{1, 2});
  for (const json& args : lbd.log.args_of("connections")) {
    CHECK(args.at("service") == json{{"fwmark", 7}});
  }
  lbd.log.clear();
  CHECK(walk(dir.file("lbd.sock"), lb::ctl::parse_service_selector("udp:198.18.1.100:53")) ==
        std::vector<int>{1, 2});
  const auto args = lbd.log.args_of("connections");
  REQUIRE(args.size() == 2);
  CHECK(args[1] == json{{"cursor", 7},
                        {"limit", 1000},
                        {"service", {{"protocol", "udp"}, {"vip", "198.18.1.100"}, {"port", 53}}}});
}

TEST_CASE("the caller may stop after any page") {
  TempDir dir;
  PagedServer lbd(dir.file("lbd.sock"), {{0, page({1}, 1)}, {1, page({2}, nullptr)}});
  CHECK(walk(dir.file("lbd.sock"), std::nullopt, 1) == std::vector<int>{1});
  CHECK(lbd.log.args_of("connections").size() == 1);
}

TEST_CASE("a page lbctl cannot continue from is a bad reply, not an endless loop") {
  TempDir dir;
  const std::string path = dir.file("lbd.sock");
  SECTION("the same cursor back with nothing in the page") {
    PagedServer lbd(path, {{0, page({1}, 5)}, {5, page({}, 5)}});
    CHECK(walk_error(path) ==
          "bad_reply: lbd's connections result: next_cursor: 5 again after an empty page (no "
          "progress)");
  }
  SECTION("no next_cursor") {
    PagedServer lbd(path, {{0, json{{"connections", json::array()}}}});
    CHECK(walk_error(path) ==
          "bad_reply: lbd's connections result: next_cursor: expected a non-negative integer or "
          "null");
  }
  SECTION("a negative next_cursor") {
    PagedServer lbd(path, {{0, page({}, -1)}});
    CHECK(walk_error(path) ==
          "bad_reply: lbd's connections result: next_cursor: expected a non-negative integer or "
          "null");
  }
  SECTION("no connections array") {
    PagedServer lbd(path, {{0, json{{"next_cursor", nullptr}}}});
    CHECK(walk_error(path) ==
          "bad_reply: lbd's connections result: connections: expected an array");
  }
  SECTION("lbd's own error") {
    PagedServer lbd(path, {{0, page({1}, 3)}});
    CHECK(walk_error(path) == "bad_request: args.cursor: no such page");
  }
}

TEST_CASE("--service SERVICE: tcp:VIP:PORT, udp:VIP:PORT, fwmark:N") {
  const auto json_of = [](const char* text) {
    const auto s = lb::ctl::parse_service_selector(text);
    return s ? s->to_json() : json("(rejected)");
  };
  CHECK(json_of("tcp:198.18.1.100:80") ==
        json{{"protocol", "tcp"}, {"vip", "198.18.1.100"}, {"port", 80}});
  CHECK(json_of("udp:198.18.1.100:0") ==
        json{{"protocol", "udp"}, {"vip", "198.18.1.100"}, {"port", 0}});
  CHECK(json_of("fwmark:7") == json{{"fwmark", 7}});
  CHECK(json_of("fwmark:4294967295") == json{{"fwmark", 4294967295u}});
  for (const char* bad : {"", "tcp", "tcp:198.18.1.100", "tcp:198.18.1.100:",
                          "tcp:198.18.1.100:65536", "tcp:198.18.1.100:+80", "sctp:198.18.1.100:80",
                          "TCP:198.18.1.100:80", "tcp:host:80", "tcp:[2001:db8::1]:80", "fwmark:0",
                          "fwmark:4294967296", "fwmark:", "fwmark:7x", "198.18.1.100:80"}) {
    INFO(bad);
    CHECK(json_of(bad) == "(rejected)");
  }
}
