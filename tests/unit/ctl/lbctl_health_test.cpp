// lbctl's health-check options on the real binary, against a stand-in lbd
// that accepts every edit: the `edit` request each command line sends, what
// lbctl prints, and the usage errors it finds before asking lbd.
#include <catch2/catch.hpp>

#include "lbctl_fixture.h"

using lb::test::kLbctl;
using lb::test::Outcome;
using lb::test::RequestLog;
using lb::test::run;
using lb::test::ServerThread;
using lb::test::TempDir;
using nlohmann::json;

namespace {

struct EditingLbd {
  explicit EditingLbd(const std::string& path) {
    dispatcher.add("edit", [](const json& args) {
      return json{{"applied", args.at("ops").size()}, {"services", 1}};
    });
    dispatcher.add("config", [](const json&) {
      return json::parse(R"({"config_path":"/etc/lbd/lbd.yaml","unsaved_edits":true,"services":[
        {"protocol":"tcp","vip":"198.18.1.100","port":80,"scheduler":"wlc","sched_flags":[],
         "persistent":0,"one_packet":false,"quiesce_server":false,"enabled":true,
         "health":{"check":{"type":"http","port":8080,"interval_ms":2000},"on_failure":"quiesce"},
         "sorry_server":{"address":"198.18.2.99","port":8080,"forward":"nat"},
         "real_servers":[
          {"address":"198.18.2.11","port":8080,"forward":"nat","weight":1,"upper_threshold":0,
           "lower_threshold":0,"enabled":true,"check":{"type":"tcp"}},
          {"address":"198.18.2.12","port":8080,"forward":"nat","weight":1,"upper_threshold":0,
           "lower_threshold":0,"enabled":true,"check":null}]}]})");
    });
    server.emplace(path, [this](const lb::ctl::Request& request) {
      log.add(request.cmd, request.args);
      return dispatcher(request);
    });
  }
  RequestLog log;
  lb::ctl::Dispatcher dispatcher;
  std::optional<ServerThread> server;
};

const json kWeb = {{"protocol", "tcp"}, {"vip", "198.18.1.100"}, {"port", 80}};

}  // namespace

TEST_CASE("lbctl service add|edit: --check and its settings, --on-failure, --sorry") {
  TempDir dir;
  const std::string sock = dir.file("lbd.sock");
  EditingLbd lbd(sock);
  const auto lbctl = [&](std::vector<std::string> words) {
    return run(dir, kLbctl, "lbctl", words, sock);
  };

  const Outcome added = lbctl({"service",
                               "add",
                               "tcp:198.18.1.100:80",
                               "--check",
                               "http",
                               "--check-path",
                               "/health",
                               "--expect-status",
                               "200,204",
                               "--interval",
                               "2s",
                               "--timeout",
                               "500ms",
                               "--rise",
                               "2",
                               "--fall",
                               "3",
                               "--on-failure",
                               "quiesce",
                               "--sorry",
                               "198.18.2.99:8080"});
  CHECK(added.status == 0);
  CHECK(added.out == "added service tcp 198.18.1.100:80\n");
  json service = kWeb;
  service["health"] = {{"check",
                        {{"type", "http"},
                         {"path", "/health"},
                         {"expect_status", {200, 204}},
                         {"interval_ms", 2000},
                         {"timeout_ms", 500},
                         {"rise", 2},
                         {"fall", 3}}},
                       {"on_failure", "quiesce"}};
  service["sorry_server"] = {{"address", "198.18.2.99"}, {"port", 8080}};
  REQUIRE(lbd.log.args_of("edit").size() == 1);
  CHECK(lbd.log.args_of("edit")[0] ==
        json{{"ops", json::array({{{"op", "add_service"}, {"service", service}}})}});

  // Settings without --check change the current check; --no-check and
  // --no-sorry clear; text and regex forms of expect; durations in m.
  const std::vector<std::pair<std::vector<std::string>, json>> edits = {
      {{"--interval", "1m", "--service-timeout", "6s", "--reentry", "15s"},
       {{"health",
         {{"check",
           {{"interval_ms", 60000}, {"service_timeout_ms", 6000}, {"reentry_ms", 15000}}}}}}},
      {{"--check", "send_expect", "--send", "GET / HTTP/1.0\\r\\n\\r\\n", "--expect-regex",
        "^HTTP/1\\.[01] 200", "--check-port", "8080"},
       {{"health",
         {{"check",
           {{"type", "send_expect"},
            {"send", "GET / HTTP/1.0\\r\\n\\r\\n"},
            {"expect", {{"text", "^HTTP/1\\.[01] 200"}, {"regex", true}}},
            {"port", 8080}}}}}}},
      {{"--check", "program", "--command", "/usr/local/bin/check %h %p", "--expect", "OK",
        "--through-tunnel", "no"},
       {{"health",
         {{"check",
           {{"type", "program"},
            {"command", "/usr/local/bin/check %h %p"},
            {"expect", "OK"},
            {"through_tunnel", false}}}}}}},
      {{"--check", "https", "--check-host", "www.example.com", "--expect-body-regex", "ok$"},
       {{"health",
         {{"check",
           {{"type", "https"},
            {"host", "www.example.com"},
            {"expect_body", {{"text", "ok$"}, {"regex", true}}}}}}}}},
      {{"--no-check", "--no-sorry"}, {{"health", {{"check", nullptr}}}, {"sorry_server", nullptr}}},
      {{"--on-failure", "remove", "--sorry", "198.18.2.98", "--sorry-forward", "dr"},
       {{"health", {{"on_failure", "remove"}}},
        {"sorry_server", {{"address", "198.18.2.98"}, {"forward", "dr"}}}}},
  };
  for (const auto& [options, fields] : edits) {
    std::vector<std::string> words = {"service", "edit", "tcp:198.18.1.100:80"};
    words.insert(words.end(), options.begin(), options.end());
    INFO(Catch::Detail::stringify(words));
    const Outcome o = lbctl(words);
    CHECK(o.status == 0);
    CHECK(o.out == "changed service tcp 198.18.1.100:80\n");
    json expected = kWeb;
    expected.update(fields);
    CHECK(lbd.log.args_of("edit").back() ==
          json{{"ops", json::array({{{"op", "edit_service"}, {"service", expected}}})}});
  }
}

TEST_CASE("lbctl real add|edit: a real server's own check, --no-check") {
  TempDir dir;
  const std::string sock = dir.file("lbd.sock");
  EditingLbd lbd(sock);
  const auto lbctl = [&](std::vector<std::string> words) {
    return run(dir, kLbctl, "lbctl", words, sock);
  };
  CHECK(lbctl({"real", "add", "tcp:198.18.1.100:80", "198.18.2.11:8080", "-w", "2", "--check",
               "tcp", "--check-port", "8081"})
            .status == 0);
  CHECK(lbctl({"real", "edit", "tcp:198.18.1.100:80", "198.18.2.11:8080", "--fall", "5"}).status ==
        0);
  const Outcome cleared =
      lbctl({"real", "edit", "tcp:198.18.1.100:80", "198.18.2.11:8080", "--no-check"});
  CHECK(cleared.status == 0);
  CHECK(cleared.out == "changed real server 198.18.2.11:8080 of service tcp 198.18.1.100:80\n");
  const auto edits = lbd.log.args_of("edit");
  REQUIRE(edits.size() == 3);
  CHECK(edits[0]["ops"][0]["real"] == json{{"address", "198.18.2.11"},
                                           {"port", 8080},
                                           {"weight", 2},
                                           {"check", {{"type", "tcp"}, {"port", 8081}}}});
  CHECK(edits[1]["ops"][0] ==
        json{{"op", "edit_real"},
             {"service", kWeb},
             {"real", {{"address", "198.18.2.11"}, {"port", 8080}, {"check", {{"fall", 5}}}}}});
  CHECK(edits[2]["ops"][0]["real"] ==
        json{{"address", "198.18.2.11"}, {"port", 8080}, {"check", nullptr}});
}

TEST_CASE("lbctl config shows the checks and the sorry server") {
  TempDir dir;
  const std::string sock = dir.file("lbd.sock");
  EditingLbd lbd(sock);
  const Outcome o = run(dir, kLbctl, "lbctl", {"config"}, sock);
  CHECK(o.status == 0);
  CHECK(o.out ==
        "/etc/lbd/lbd.yaml (live edits not saved: `lbctl save` writes them)\n"
        "tcp 198.18.1.100:80 wlc check http:8080 on-failure quiesce sorry 198.18.2.99:8080\n"
        "  -> 198.18.2.11:8080 nat weight 1 check tcp\n"
        "  -> 198.18.2.12:8080 nat weight 1\n");
}

TEST_CASE("lbctl's health options: usage errors before lbd is asked") {
  TempDir dir;
  const std::string sock = dir.file("lbd.sock");
  EditingLbd lbd(sock);
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"service", "edit", "tcp:198.18.1.100:80", "--interval", "2000"},
       "lbctl: service: --interval '2000': give a unit: 2000ms or 2000s\n"},
      {{"service", "edit", "tcp:198.18.1.100:80", "--timeout", "2 s"},
       "lbctl: service: --timeout '2 s': expected a duration, a whole number with a unit: ms, s "
       "or m (e.g. 2s, 500ms)\n"},
      {{"service", "edit", "tcp:198.18.1.100:80", "--reentry", "1h"},
       "lbctl: service: --reentry '1h': expected a duration, a whole number with a unit: ms, s or "
       "m (e.g. 2s, 500ms)\n"},
      {{"service", "edit", "tcp:198.18.1.100:80", "--rise", "two"},
       "lbctl: service: --rise 'two': expected a number\n"},
      {{"service", "edit", "tcp:198.18.1.100:80", "--expect-status", "200,,204"},
       "lbctl: service: --expect-status '': expected a number\n"},
      {{"service", "edit", "tcp:198.18.1.100:80", "--through-tunnel", "maybe"},
       "lbctl: service: --through-tunnel 'maybe': expected yes or no\n"},
      {{"service", "add", "tcp:198.18.1.100:80", "--interval", "2s"},
       "lbctl: service: --interval sets a check's setting: give the check with --check TYPE\n"},
      {{"service", "edit", "tcp:198.18.1.100:80", "--no-check", "--check", "tcp"},
       "lbctl: service: --no-check and --check contradict each other\n"},
      {{"service", "edit", "tcp:198.18.1.100:80", "--no-check", "--fall", "2"},
       "lbctl: service: --no-check and --fall contradict each other\n"},
      {{"service", "edit", "tcp:198.18.1.100:80", "--expect", "a", "--expect-regex", "b"},
       "lbctl: service: --expect and --expect-regex contradict each other\n"},
      {{"service", "edit", "tcp:198.18.1.100:80", "--no-sorry", "--sorry", "198.18.2.9"},
       "lbctl: service: --no-sorry and --sorry contradict each other\n"},
      {{"service", "edit", "tcp:198.18.1.100:80", "--sorry-forward", "dr"},
       "lbctl: service: --sorry-forward needs --sorry ADDRESS[:PORT]\n"},
      {{"service", "edit", "tcp:198.18.1.100:80", "--sorry", "sorry.example.com"},
       "lbctl: service: --sorry 'sorry.example.com': expected ADDRESS or ADDRESS:PORT\n"},
      {{"real", "add", "tcp:198.18.1.100:80", "198.18.2.11", "--send", "x"},
       "lbctl: real: --send sets a check's setting: give the check with --check TYPE\n"},
  };
  for (const auto& [words, message] : cases) {
    INFO(Catch::Detail::stringify(words));
    const Outcome o = run(dir, kLbctl, "lbctl", words, sock);
    CHECK(o.status == 2);
    CHECK(o.err == message + "Run 'lbctl " + words[0] + " --help' for usage.\n");
  }
  // The service-only options are not real servers' options (CLI11 refuses
  // the extra words).
  CHECK(run(dir, kLbctl, "lbctl",
            {"real", "add", "tcp:198.18.1.100:80", "198.18.2.11", "--sorry", "198.18.2.9"}, sock)
            .status == 2);
  CHECK(lbd.log.args_of("edit").empty());
}
