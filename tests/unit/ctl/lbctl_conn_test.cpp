// The real lbctl binary and lbd's connection table and settings: `-L -c`,
// `-L --timeout`, `--set`, and lbctl's own `connections`, `settings` and
// `set`, against a fake lbd that serves the table in three pages.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "lbctl_fixture.h"

using lb::test::FakeLbd;
using lb::test::kDefaultSettings;
using lb::test::kLbctl;
using lb::test::kPage0;
using lb::test::kPage2;
using lb::test::Outcome;
using lb::test::page;
using lb::test::run;
using lb::test::TempDir;
using nlohmann::json;

namespace {

const std::string kConnTitle =
    "IPVS connection entries\n"
    "pro expire state       source             virtual            destination\n";

// Pages 0 and 2, in order; the empty page 1 adds nothing.
const std::string kConnRows =
    "TCP 14:57  ESTABLISHED 198.18.1.10:43210  198.18.1.100:80    198.18.2.11:8080\n"
    "TCP 05:59  NONE        198.18.1.0:0       198.18.1.100:443   198.18.2.11:443\n"
    "IP  44639:59 ASSURED     198.18.1.10:0      0.0.0.7:0          198.18.2.12:0\n"
    "UDP 04:59  UDP         198.18.1.11:5353   198.18.1.100:53    198.18.2.12:53\n";

// What print_json prints for the whole table.
std::string whole_table_json() {
  json all = kPage0;
  all.insert(all.end(), kPage2.begin(), kPage2.end());
  return json{{"connections", all}}.dump(2) + "\n";
}

std::vector<json> cursors(const std::vector<json>& args) {
  std::vector<json> out;
  for (const json& a : args)
    out.push_back(a.at("cursor"));
  return out;
}

}  // namespace

TEST_CASE("lbctl -Lcn lists every page of the connection table in order") {
  TempDir dir;
  const std::string sock = dir.file("lbd.sock");
  FakeLbd lbd(sock);
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"-Lcn"},
                                             {"-L", "-c", "-n"},
                                             {"--list", "--connection", "--numeric", "--exact"},
                                             {"-lnc", "--sort", "--nosort"}}) {
    const Outcome o = run(dir, kLbctl, "lbctl", args, sock);
    CHECK(o.status == 0);
    CHECK(o.out == kConnTitle + kConnRows);
    CHECK(o.err.empty());
  }
  // One walk: cursor 0, then each next_cursor until null; nothing filtered.
  lbd.log.clear();
  run(dir, kLbctl, "lbctl", {"-Lcn"}, sock);
  const auto asked = lbd.log.args_of("connections");
  CHECK(cursors(asked) == std::vector<json>{0, 1000, 2000});
  for (const json& a : asked) {
    CHECK_FALSE(a.contains("service"));
    CHECK(a.at("limit") == 1000);
  }
}

TEST_CASE("lbctl -Lc --persistent-conn: the wider heading, the same rows") {
  TempDir dir;
  const std::string sock = dir.file("lbd.sock");
  FakeLbd lbd(sock);
  const Outcome o = run(dir, kLbctl, "lbctl", {"-Lcn", "--persistent-conn"}, sock);
  CHECK(o.status == 0);
  CHECK(o.out ==
        "IPVS connection entries\n"
        "pro expire state       source             virtual            destination        pe name "
        "         pe_data\n" +
            kConnRows);
}

TEST_CASE("lbctl -Lc -t/-u/-f: only that service's connections (lbd's extension)") {
  TempDir dir;
  const std::string sock = dir.file("lbd.sock");
  FakeLbd lbd(sock);
  const auto service_asked = [&](std::vector<std::string> args) {
    lbd.log.clear();
    const Outcome o = run(dir, kLbctl, "lbctl", args, sock);
    CHECK(o.status == 0);
    const auto asked = lbd.log.args_of("connections");
    REQUIRE_FALSE(asked.empty());
    for (const json& a : asked)
      CHECK(a.at("service") == asked.front().at("service"));  // on every page
    return asked.front().at("service");
  };
  CHECK(service_asked({"-Lcn", "-t", "198.18.1.100:80"}) ==
        json{{"protocol", "tcp"}, {"vip", "198.18.1.100"}, {"port", 80}});
  CHECK(service_asked({"-L", "-u", "198.18.1.100:domain", "-c", "-n"}) ==
        json{{"protocol", "udp"}, {"vip", "198.18.1.100"}, {"port", 53}});
  CHECK(service_asked({"-Lcn", "--fwmark-service=7"}) == json{{"fwmark", 7}});

  // Without -n, names as ipvsadm resolves them (the loopback's are on every
  // host): the service's one connection.
  const Outcome named = run(dir, kLbctl, "lbctl", {"-Lc", "-t", "127.0.0.1:80"}, sock);
  CHECK(named.status == 0);
  CHECK(named.out ==
        kConnTitle +
            "TCP 01:00  ESTABLISHED localhost:43210    localhost:http     localhost:http\n");
  CHECK(run(dir, kLbctl, "lbctl", {"-Lcn", "-t", "127.0.0.1:80"}, sock).out ==
        kConnTitle + "TCP 01:00  ESTABLISHED 127.0.0.1:43210    127.0.0.1:80       127.0.0.1:80\n");
}

TEST_CASE("lbctl --json -Lcn prints the whole table as one object") {
  TempDir dir;
  const std::string sock = dir.file("lbd.sock");
  FakeLbd lbd(sock);
  const Outcome o = run(dir, kLbctl, "lbctl", {"--json", "-Lcn"}, sock);
  CHECK(o.status == 0);
  CHECK(o.out == whole_table_json());
  CHECK(json::parse(o.out).at("connections").size() == 4);

  const Outcome empty = run(dir, kLbctl, "lbctl", {"--json", "-Lcn", "-f", "9"}, sock);
  CHECK(empty.status == 0);
  CHECK(empty.out == json{{"connections", json::array()}}.dump(2) + "\n");
  CHECK(run(dir, kLbctl, "lbctl", {"-Lcn", "-f", "9"}, sock).out == kConnTitle);
  CHECK(run(dir, kLbctl, "lbctl", {"connections", "--service", "fwmark:9"}, sock)
            .out.ends_with("FORWARD\n0 connections, 0 templates\n"));
}

TEST_CASE("lbctl -L --timeout and --set speak to lbd's settings") {
  TempDir dir;
  const std::string sock = dir.file("lbd.sock");
  FakeLbd lbd(sock);
  Outcome o = run(dir, kLbctl, "lbctl", {"-L", "--timeout"}, sock);
  CHECK(o.status == 0);
  CHECK(o.out == "Timeout (tcp tcpfin udp): 900 120 300\n");
  CHECK(run(dir, kLbctl, "lbctl", {"-l", "--timeout", "-n", "--exact"}, sock).out ==
        "Timeout (tcp tcpfin udp): 900 120 300\n");

  // 0 leaves a timeout alone: only fin_wait is sent.
  o = run(dir, kLbctl, "lbctl", {"--set", "0", "60", "0"}, sock);
  CHECK(o.status == 0);
  CHECK(o.out.empty());  // ipvsadm is silent on success
  CHECK(o.err.empty());
  CHECK(lbd.log.args_of("set") == std::vector<json>{json{{"timeouts", {{"fin_wait", 60}}}}});
  CHECK(run(dir, kLbctl, "lbctl", {"-L", "--timeout"}, sock).out ==
        "Timeout (tcp tcpfin udp): 900 60 300\n");

  lbd.log.clear();
  CHECK(run(dir, kLbctl, "lbctl", {"--set", "7200", "30", "2678400"}, sock).status == 0);
  CHECK(lbd.log.args_of("set") ==
        std::vector<json>{
            json{{"timeouts", {{"established", 7200}, {"fin_wait", 30}, {"udp", 2678400}}}}});
  CHECK(run(dir, kLbctl, "lbctl", {"-L", "--timeout"}, sock).out ==
        "Timeout (tcp tcpfin udp): 7200 30 2678400\n");

  // All three 0: nothing to set, but lbd must be there, as the kernel must
  // for ipvsadm.
  lbd.log.clear();
  o = run(dir, kLbctl, "lbctl", {"--set", "0", "0", "0"}, sock);
  CHECK(o.status == 0);
  CHECK(o.out.empty());
  CHECK(lbd.log.args_of("set").empty());
  CHECK(lbd.log.args_of("settings").size() == 1);
  CHECK(run(dir, kLbctl, "lbctl", {"--set", "0", "0", "0"}, dir.file("none.sock")).status == 1);
}

TEST_CASE("lbctl connections: every page as one table with a total") {
  TempDir dir;
  const std::string sock = dir.file("lbd.sock");
  FakeLbd lbd(sock);
  const Outcome o = run(dir, kLbctl, "lbctl", {"connections"}, sock);
  CHECK(o.status == 0);
  CHECK(o.err.empty());
  CHECK(
      o.out ==
      "PRO  STATE         EXPIRES  CLIENT                 VIRTUAL                REAL SERVER      "
      "      FORWARD\n"
      "TCP  ESTABLISHED     14:57  198.18.1.10:43210      198.18.1.100:80        198.18.2.11:8080 "
      "      nat\n"
      "TCP  NONE            05:59  198.18.1.0:0           198.18.1.100:443       198.18.2.11:443  "
      "      -        template\n"
      "IP   ASSURED      44639:59  198.18.1.10:0          FWM 7                  198.18.2.12:0    "
      "      -        template\n"
      "UDP  UDP             04:59  198.18.1.11:5353       198.18.1.100:53        198.18.2.12:53   "
      "      dr\n"
      "2 connections, 2 templates\n");
  CHECK(cursors(lbd.log.args_of("connections")) == std::vector<json>{0, 1000, 2000});

  const Outcome as_json = run(dir, kLbctl, "lbctl", {"connections", "--json"}, sock);
  CHECK(as_json.status == 0);
  CHECK(as_json.out == whole_table_json());

  lbd.log.clear();
  CHECK(run(dir, kLbctl, "lbctl", {"connections", "--service", "tcp:198.18.1.100:443"}, sock)
            .status == 0);
  CHECK(run(dir, kLbctl, "lbctl", {"connections", "--service=fwmark:7"}, sock).status == 0);
  const auto asked = lbd.log.args_of("connections");
  REQUIRE(asked.size() == 6);
  CHECK(asked[2].at("service") ==
        json{{"protocol", "tcp"}, {"vip", "198.18.1.100"}, {"port", 443}});
  CHECK(asked[5].at("service") == json{{"fwmark", 7}});

  lbd.log.clear();
  const Outcome bad = run(dir, kLbctl, "lbctl", {"connections", "--service", "tcp:1.2.3.4"}, sock);
  CHECK(bad.status == 2);
  CHECK(bad.out.empty());
  CHECK(bad.err ==
        "lbctl: connections: --service 'tcp:1.2.3.4': expected tcp:VIP:PORT, udp:VIP:PORT or "
        "fwmark:N (e.g. tcp:198.18.1.100:80, fwmark:7)\n"
        "Run 'lbctl connections --help' for usage.\n");
  CHECK(lbd.log.all().empty());
}

TEST_CASE("lbctl settings and lbctl set") {
  TempDir dir;
  const std::string sock = dir.file("lbd.sock");
  FakeLbd lbd(sock);
  Outcome o = run(dir, kLbctl, "lbctl", {"settings"}, sock);
  CHECK(o.status == 0);
  CHECK(o.out == lb::test::kDefaultSettingsText);
  CHECK(json::parse(run(dir, kLbctl, "lbctl", {"--json", "settings"}, sock).out) ==
        json::parse(kDefaultSettings));

  o = run(dir, kLbctl, "lbctl",
          {"set", "timeouts.established=600", "timeouts.udp=60", "expire_nodest_conn=yes"}, sock);
  CHECK(o.status == 0);
  CHECK(o.err.empty());
  CHECK(lbd.log.args_of("set") ==
        std::vector<json>{
            json{{"expire_nodest_conn", true}, {"timeouts", {{"established", 600}, {"udp", 60}}}}});
  // The new settings, as lbd answered them.
  CHECK(o.out.starts_with("expire_nodest_conn: yes\ntimeouts:\n"));
  CHECK(o.out.find("  established      600\n") != std::string::npos);
  CHECK(o.out.find("  udp               60\n") != std::string::npos);
  CHECK(o.out.find("  fin_wait         120\n") != std::string::npos);
  CHECK(run(dir, kLbctl, "lbctl", {"settings"}, sock).out == o.out);

  const Outcome as_json = run(dir, kLbctl, "lbctl", {"set", "timeouts.close=5", "--json"}, sock);
  CHECK(as_json.status == 0);
  CHECK(json::parse(as_json.out).at("timeouts").at("close") == 5);
}

TEST_CASE("lbctl set refuses a bad word before asking lbd") {
  TempDir dir;
  const std::string sock = dir.file("lbd.sock");
  FakeLbd lbd(sock);
  const std::string keys =
      "valid keys: expire_nodest_conn (yes, no, true or false); timeouts.none, "
      "timeouts.established, timeouts.syn_sent, timeouts.syn_recv, timeouts.fin_wait, "
      "timeouts.time_wait, timeouts.close, timeouts.close_wait, timeouts.last_ack, "
      "timeouts.listen, timeouts.synack, timeouts.udp, timeouts.icmp (seconds, 1..2678400)\n"
      "Run 'lbctl set --help' for usage.\n";
  const auto check = [&](std::vector<std::string> args, const std::string& first_line) {
    args.insert(args.begin(), "set");
    const Outcome o = run(dir, kLbctl, "lbctl", args, sock);
    CHECK(o.status == 2);
    CHECK(o.out.empty());
    CHECK(o.err == "lbctl: set: " + first_line + "\n" + keys);
  };
  check({"timeouts.established=600", "timeouts.fin=5"},
        "'timeouts.fin=5': unknown key 'timeouts.fin'");
  check({"timeouts.udp=0"}, "'timeouts.udp=0': timeouts.udp takes whole seconds, 1..2678400");
  check({"expire_nodest_conn=maybe"},
        "'expire_nodest_conn=maybe': expire_nodest_conn takes yes, no, true or false");
  check({"udp"}, "'udp' is not KEY=VALUE");
  check({}, "nothing to set: give at least one KEY=VALUE");
  CHECK(lbd.log.all().empty());
}

TEST_CASE("lbd's failures during the new commands: reason on stderr, exit 1") {
  TempDir dir;
  const std::string sock = dir.file("lbd.sock");
  lb::ctl::Dispatcher failing;
  failing.add("connections", [](const json& args) -> json {
    if (args.at("cursor") == 0) return page(kPage0, 1000);
    throw lb::ctl::CtlError("internal", "connection table unavailable");
  });
  failing.add("set", [](const json&) -> json {
    throw lb::ctl::CtlError("bad_request", "args.timeouts.fin_wait: not now");
  });
  lb::test::ServerThread server(sock, std::cref(failing));

  // The first page is out before lbd fails on the second.
  Outcome o = run(dir, kLbctl, "lbctl", {"-Lcn"}, sock);
  CHECK(o.status == 1);
  CHECK(o.out ==
        kConnTitle +
            "TCP 14:57  ESTABLISHED 198.18.1.10:43210  198.18.1.100:80    198.18.2.11:8080\n"
            "TCP 05:59  NONE        198.18.1.0:0       198.18.1.100:443   198.18.2.11:443\n");
  CHECK(o.err ==
        "lbctl: lbd answered 'connections' with an error: connection table unavailable "
        "(internal)\n");
  o = run(dir, kLbctl, "lbctl", {"connections"}, sock);
  CHECK(o.status == 1);
  CHECK(o.out.find("198.18.1.10:43210") != std::string::npos);
  CHECK(o.out.find("connections,") == std::string::npos);  // no total for a partial table

  o = run(dir, kLbctl, "lbctl", {"--set", "0", "60", "0"}, sock);
  CHECK(o.status == 1);
  CHECK(o.err ==
        "lbctl: lbd answered 'set' with an error: args.timeouts.fin_wait: not now "
        "(bad_request)\n");
  o = run(dir, kLbctl, "lbctl", {"set", "timeouts.fin_wait=60"}, sock);
  CHECK(o.status == 1);
  CHECK(o.out.empty());
  CHECK(o.err ==
        "lbctl: lbd answered 'set' with an error: args.timeouts.fin_wait: not now "
        "(bad_request)\n");

  o = run(dir, kLbctl, "lbctl", {"-L", "--timeout"}, sock);
  CHECK(o.status == 1);
  CHECK(o.err.find("unknown command 'settings'") != std::string::npos);
}

TEST_CASE("a connections page lbctl cannot show ends the listing with the field named") {
  TempDir dir;
  const std::string sock = dir.file("lbd.sock");
  lb::ctl::Dispatcher broken;
  broken.add("connections", [](const json&) {
    json entries = kPage0;
    entries[1]["client_port"] = -1;
    return page(entries, nullptr);
  });
  lb::test::ServerThread server(sock, std::cref(broken));
  const Outcome o = run(dir, kLbctl, "lbctl", {"-Lcn"}, sock);
  CHECK(o.status == 1);
  CHECK(o.out.empty());
  CHECK(o.err ==
        "lbctl: lbd's connections result: connections[1].client_port: expected an integer in "
        "0..65535\n");
}
