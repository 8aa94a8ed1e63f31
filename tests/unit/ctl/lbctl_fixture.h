// The real lbctl binary, run as an operator runs it, against a fake lbd:
// a ControlServer serving canned results and recording what it was asked.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <lb/ctl/dispatcher.h>

#include "ctl_fixture.h"

namespace lb::test {

using nlohmann::json;

inline const std::string kLbctl = LBCTL_PATH;

struct Outcome {
  int status = -1;
  std::string out;
  std::string err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `program` (lbctl, or a symlink to it) with argv[0] = `name`, the
// environment holding only LBD_SOCKET when given, and `input` on stdin
// (default: an empty stdin).
inline Outcome run(const TempDir& dir, const std::string& program, const std::string& name,
                   const std::vector<std::string>& args, const std::string& socket_env = "",
                   const std::string& input = "") {
  std::vector<std::string> argv_storage{name};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string env_entry = "LBD_SOCKET=" + socket_env;
  std::vector<char*> envp;
  if (!socket_env.empty()) envp.push_back(env_entry.data());
  envp.push_back(nullptr);

  const std::string out_path = dir.file("stdout"), err_path = dir.file("stderr");
  const std::string in_path = dir.file("stdin");
  std::ofstream(in_path, std::ios::binary | std::ios::trunc) << input;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  REQUIRE(rc == 0);
  int wstatus = 0;
  REQUIRE(::waitpid(pid, &wstatus, 0) == pid);
  REQUIRE(WIFEXITED(wstatus));
  return {WEXITSTATUS(wstatus), slurp(out_path), slurp(err_path)};
}

// What lbd answers to `services`: an address service of each protocol, one
// with scheduler flags and persistence, one with one-packet scheduling, and a
// persistent firewall-mark service.
inline constexpr const char* kServices = R"({"conn_table_size":1048576,"services":[
  {"protocol":"udp","vip":"198.18.1.100","port":53,"scheduler":"rr","one_packet":true,
   "sched_flags":[],"real_servers":[]},
  {"protocol":"tcp","vip":"198.18.1.100","port":80,"scheduler":"wlc","one_packet":false,
   "sched_flags":[],"real_servers":[
    {"address":"198.18.2.12","port":8080,"forward":"nat","weight":2,"active_conns":3,
     "inactive_conns":40,"persistent_conns":0,"upper_threshold":100,"lower_threshold":75},
    {"address":"198.18.2.11","port":8080,"forward":"nat","weight":1,"active_conns":0,
     "inactive_conns":0,"persistent_conns":0,"upper_threshold":0,"lower_threshold":0}]},
  {"fwmark":80,"scheduler":"rr","persistent":600,"netmask":"255.255.255.255","one_packet":false,
   "sched_flags":[],"real_servers":[
    {"address":"198.18.2.12","port":0,"forward":"nat","weight":1,"active_conns":0,
     "inactive_conns":0,"persistent_conns":0,"upper_threshold":0,"lower_threshold":0},
    {"address":"198.18.2.11","port":0,"forward":"nat","weight":1,"active_conns":2,
     "inactive_conns":1,"persistent_conns":3,"upper_threshold":0,"lower_threshold":0}]},
  {"protocol":"tcp","vip":"198.18.1.100","port":443,"scheduler":"sh","persistent":300,
   "netmask":"255.255.255.0","one_packet":false,"sched_flags":["sh-port","sh-fallback"],
   "real_servers":[
    {"address":"198.18.2.11","port":443,"forward":"nat","weight":1,"active_conns":0,
     "inactive_conns":0,"persistent_conns":5,"upper_threshold":0,"lower_threshold":0}]}]})";

// The connection table lbd serves, in three pages: the middle one empty
// (lbd scanned a stretch of its table and found nothing), as lbd may.
inline const json kPage0 = json::parse(R"([
  {"protocol":"TCP","template":false,"state":"ESTABLISHED","expires_s":897,
   "client_address":"198.18.1.10","client_port":43210,"virtual_address":"198.18.1.100",
   "virtual_port":80,"dest_address":"198.18.2.11","dest_port":8080,"forward":"nat"},
  {"protocol":"TCP","template":true,"state":"NONE","expires_s":359,
   "client_address":"198.18.1.0","client_port":0,"virtual_address":"198.18.1.100",
   "virtual_port":443,"dest_address":"198.18.2.11","dest_port":443}])");
inline const json kPage2 = json::parse(R"([
  {"protocol":"IP","template":true,"state":"ASSURED","expires_s":2678399,
   "client_address":"198.18.1.10","client_port":0,"virtual_address":"0.0.0.7",
   "virtual_port":0,"dest_address":"198.18.2.12","dest_port":0},
  {"protocol":"UDP","template":false,"state":"UDP","expires_s":299,
   "client_address":"198.18.1.11","client_port":5353,"virtual_address":"198.18.1.100",
   "virtual_port":53,"dest_address":"198.18.2.12","dest_port":53,"forward":"dr"}])");
// The one connection of the service 127.0.0.1:80, whose names every host has.
inline const json kLoopbackPage = json::parse(R"([
  {"protocol":"TCP","template":false,"state":"ESTABLISHED","expires_s":60,
   "client_address":"127.0.0.1","client_port":43210,"virtual_address":"127.0.0.1",
   "virtual_port":80,"dest_address":"127.0.0.1","dest_port":80,"forward":"nat"}])");

inline json page(const json& entries, json next) {
  return {{"connections", entries}, {"next_cursor", std::move(next)}};
}

// lbd stand-in: the read commands with fixed results, `set` applied to the
// settings it serves, and a log of every request lbctl made (known
// commands or not).
struct FakeLbd {
  explicit FakeLbd(const std::string& path) {
    settings.set(json::parse(kDefaultSettings));
    dispatcher.add("connections", [this](const json& args) {
      const auto service = args.find("service");
      if (service != args.end() && service->value("vip", "") == "127.0.0.1") {
        return page(kLoopbackPage, nullptr);
      }
      if (service != args.end() && service->value("fwmark", 0) == 9) {
        return page(json::array(), nullptr);  // a service without connections
      }
      switch (args.value("cursor", 0)) {
        case 0:
          return page(kPage0, 1000);
        case 1000:
          return page(json::array(), 2000);
        case 2000:
          return page(kPage2, nullptr);
        default:
          throw ctl::CtlError("bad_request", "args.cursor: not a cursor lbd gave");
      }
    });
    dispatcher.add("settings", [this](const json&) { return settings.get(); });
    dispatcher.add("set", [this](const json& args) {
      json now = settings.get();
      if (args.contains("expire_nodest_conn"))
        now["expire_nodest_conn"] = args["expire_nodest_conn"];
      if (args.contains("timeouts")) now["timeouts"].update(args["timeouts"]);
      settings.set(now);
      return now;
    });
    dispatcher.add("status", [](const json&) {
      return json{{"version", "0.1.0"},
                  {"pid", 4242},
                  {"uptime_s", 3725},
                  {"workers", {1, 2}},
                  {"ports",
                   {{{"name", "ext"},
                     {"device", "net_af_xdp0,iface=lb-ext"},
                     {"mac", "02:00:00:00:00:01"},
                     {"address", "198.18.1.1/24"},
                     {"link_up", true}}}},
                  {"services", 2}};
    });
    dispatcher.add("services", [](const json&) { return json::parse(kServices); });
    dispatcher.add("stats", [](const json&) {
      json worker = {{"lcore", 1},      {"rx_packets", 10},  {"rx_bytes", 1000}, {"tx_packets", 9},
                     {"tx_bytes", 900}, {"busy_cycles", 25}, {"idle_cycles", 75}};
      worker["drops"] = {{"no_service", 1}, {"bad_ip_checksum", 0}};
      json stats = {{"workers", json::array({worker})}, {"ports", json::array()}};
      stats["connections"] = {{"capacity", 1000}, {"in_use", 10}, {"created", 12}, {"expired", 2}};
      return stats;
    });
    server.emplace(path, [this](const ctl::Request& request) {
      log.add(request.cmd, request.args);
      return dispatcher(request);
    });
  }
  RequestLog log;
  SharedJson settings;
  ctl::Dispatcher dispatcher;
  std::optional<ServerThread> server;
};

}  // namespace lb::test
