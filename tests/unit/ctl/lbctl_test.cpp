// The real lbctl binary against a ControlServer serving canned results: what
// an operator sees on stdout and stderr, and the exit status.
#include <filesystem>

#include <catch2/catch.hpp>

#include <lb/ctl/client.h>

#include "lbctl_fixture.h"

using lb::test::FakeLbd;
using lb::test::kLbctl;
using lb::test::Outcome;
using lb::test::run;
using lb::test::TempDir;
using nlohmann::json;

namespace {

const std::string kListing =
    "IP Virtual Server version 1.2.1 (size=1048576)\n"
    "Prot LocalAddress:Port Scheduler Flags\n"
    "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
    "TCP  198.18.1.100:80 wlc\n"
    "  -> 198.18.2.11:8080             Masq    1      0          0         \n"
    "  -> 198.18.2.12:8080             Masq    2      3          40        \n"
    "TCP  198.18.1.100:443 sh (sh-fallback,sh-port) persistent 300 mask 255.255.255.0\n"
    "  -> 198.18.2.11:443              Masq    1      0          0         \n"
    "UDP  198.18.1.100:53 rr ops\n"
    "FWM  80 rr persistent 600\n"
    "  -> 198.18.2.11:0                Masq    1      2          1         \n"
    "  -> 198.18.2.12:0                Masq    1      0          0         \n";

const std::string kThresholdsListing =
    "IP Virtual Server version 1.2.1 (size=1048576)\n"
    "Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn \n"
    "  -> RemoteAddress:Port\n"
    "TCP  198.18.1.100:80 wlc\n"
    "  -> 198.18.2.11:8080             0          0          0          0         \n"
    "  -> 198.18.2.12:8080             100        75         3          40        \n"
    "TCP  198.18.1.100:443 sh (sh-fallback,sh-port) persistent 300 mask 255.255.255.0\n"
    "  -> 198.18.2.11:443              0          0          0          0         \n"
    "UDP  198.18.1.100:53 rr ops\n"
    "FWM  80 rr persistent 600\n"
    "  -> 198.18.2.11:0                0          0          2          1         \n"
    "  -> 198.18.2.12:0                0          0          0          0         \n";

const std::string kPersistentConnListing =
    "IP Virtual Server version 1.2.1 (size=1048576)\n"
    "Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn \n"
    "  -> RemoteAddress:Port\n"
    "TCP  198.18.1.100:80 wlc\n"
    "  -> 198.18.2.11:8080             1         0           0          0         \n"
    "  -> 198.18.2.12:8080             2         0           3          40        \n"
    "TCP  198.18.1.100:443 sh (sh-fallback,sh-port) persistent 300 mask 255.255.255.0\n"
    "  -> 198.18.2.11:443              1         5           0          0         \n"
    "UDP  198.18.1.100:53 rr ops\n"
    "FWM  80 rr persistent 600\n"
    "  -> 198.18.2.11:0                1         3           2          1         \n"
    "  -> 198.18.2.12:0                1         0           0          0         \n";

}  // namespace

TEST_CASE("lbctl -Ln prints ipvsadm's listing") {
  REQUIRE(std::filesystem::exists(kLbctl));
  TempDir dir;
  const std::string sock = dir.file("lbd.sock");
  FakeLbd lbd(sock);

  for (const auto& args : std::vector<std::vector<std::string>>{{"-Ln"},
                                                                {"-ln"},
                                                                {"-L", "-n"},
                                                                {"--list", "--numeric"},
                                                                {"-L", "--numeric", "--sort"}}) {
    const Outcome o = run(dir, kLbctl, "lbctl", args, sock);
    CHECK(o.status == 0);
    CHECK(o.out == kListing);
    CHECK(o.err.empty());
  }
  SECTION("the socket from lbctl's options, before the ipvsadm ones") {
    CHECK(run(dir, kLbctl, "lbctl", {"-S", sock, "-Ln"}).out == kListing);
    CHECK(run(dir, kLbctl, "lbctl", {"--socket=" + sock, "-Ln"}).out == kListing);
    CHECK(run(dir, kLbctl, "lbctl", {"--socket", sock, "--json", "-Ln"}).out ==
          lb::ctl::call(sock, "services").dump(2) + "\n");
  }
}

TEST_CASE("lbctl -L --thresholds and --persistent-conn print ipvsadm's other listings") {
  TempDir dir;
  const std::string sock = dir.file("lbd.sock");
  FakeLbd lbd(sock);
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"-Ln", "--thresholds"},
                                             {"-L", "--thresholds", "-n", "--exact"},
                                             // print_title's precedence: thresholds first.
                                             {"-Ln", "--persistent-conn", "--thresholds"}}) {
    const Outcome o = run(dir, kLbctl, "lbctl", args, sock);
    CHECK(o.status == 0);
    CHECK(o.out == kThresholdsListing);
    CHECK(o.err.empty());
  }
  const Outcome o = run(dir, kLbctl, "lbctl", {"-l", "-n", "--persistent-conn"}, sock);
  CHECK(o.status == 0);
  CHECK(o.out == kPersistentConnListing);
  CHECK(o.err.empty());
}

TEST_CASE("lbctl invoked as ipvsadm speaks only ipvsadm") {
  TempDir dir;
  const std::string sock = dir.file("lbd.sock");
  FakeLbd lbd(sock);
  const std::string link = dir.file("ipvsadm");
  std::filesystem::create_symlink(kLbctl, link);

  CHECK(run(dir, link, "ipvsadm", {"-Ln"}, sock).out == kListing);
  const Outcome status = run(dir, link, "ipvsadm", {"status"}, sock);
  CHECK(status.status == 255);
  CHECK(status.err == "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n");
}

TEST_CASE("ipvsadm's errors keep ipvsadm's text and status") {
  TempDir dir;
  const std::string sock = dir.file("lbd.sock");
  FakeLbd lbd(sock);
  const auto check = [&](std::vector<std::string> args, int status, const std::string& err) {
    const Outcome o = run(dir, kLbctl, "lbctl", args, sock);
    CHECK(o.status == status);
    CHECK(o.err == err);
    CHECK(o.out.empty());
  };
  check({"-L", "--bogus"}, 255, "--bogus: unknown option\n");
  check({"-n", "-L"}, 255, "Try `lbctl -h' or 'lbctl --help' for more information.\n");
  check({"-L", "-n", "-n"}, 2, "multiple 'numeric' options specified\n");
  check({"-L", "extra"}, 2, "unexpected argument extra\n");
  check({"-A", "-t", "10.0.0.1:80", "-s", "rr", "--pe", "sip"}, 2,
        "lbctl: ipvsadm option '--pe sip' is not supported: lbd has no persistence engines\n");
  check({"--start-daemon", "master"}, 2,
        "lbctl: ipvsadm command '--start-daemon' is not supported: lbd has no connection sync "
        "daemon\n");
  check({"-Ln", "--sctp-service", "198.18.1.100:80"}, 2,
        "lbctl: ipvsadm option '--sctp-service' is not supported: lbd serves TCP and UDP only\n");
  check({"-Ln", "-t", "[2001:db8::1]:80"}, 2,
        "lbctl: IPv6 virtual services ('-t [2001:db8::1]:80') are not supported\n");
  check({"-L", "--timeout", "--persistent-conn"}, 2, "options conflicts in the list command\n");
  check({"-L", "-c", "--thresholds"}, 2, "options conflicts in the list command\n");
  check({"-L", "--thresholds", "--thresholds"}, 2, "multiple 'thresholds' options specified\n");
  check({"-L", "-c", "--stats"}, 2, "options conflicts in the list command\n");
  check({"-L", "--timeout", "--rate"}, 2, "options conflicts in the list command\n");
  check({"-Lc", "-t", "198.18.1.100:bogus"}, 2,
        "illegal virtual server address[:port] specified\n");
  check({"-Lc", "-f", "0"}, 2, "invalid fwmark value `0' specified\n");
  check({"-Lc", "-t", "198.18.1.100:80", "--timeout"}, 2,
        "The option 'service-address' conflicts with the 'connection' option in the 'list' "
        "command\n");
  check({"--set", "1", "2"}, 2, "--set option requires 3 timeout values\n");
  check({"--set", "900", "x", "300"}, 2, "invalid timeout value `x' specified\n");
  check({"--set", "900", "120", "2678401"}, 2, "invalid timeout value `2678401' specified\n");
  check({"--set", "900", "120", "300", "60"}, 2, "unexpected argument 60\n");
  check({"--set", "-1", "0", "0"}, 255, "-1: unknown option\n");
  // Refused before lbd is asked anything.
  CHECK(lbd.log.all().empty());
}

TEST_CASE("lbctl's own commands") {
  TempDir dir;
  const std::string sock = dir.file("lbd.sock");
  FakeLbd lbd(sock);

  const Outcome status = run(dir, kLbctl, "lbctl", {"status"}, sock);
  CHECK(status.status == 0);
  CHECK(status.out.rfind("lbd 0.1.0 (pid 4242), up 1h 2m 5s\n", 0) == 0);

  const Outcome json_status = run(dir, kLbctl, "lbctl", {"status", "--json"}, sock);
  CHECK(json_status.status == 0);
  CHECK(json::parse(json_status.out) == lb::ctl::call(sock, "status"));

  const Outcome stats = run(dir, kLbctl, "lbctl", {"-S", sock, "stats"});
  CHECK(stats.status == 0);
  CHECK(stats.out.find("no_service") != std::string::npos);
  CHECK(stats.out.find("bad_ip_checksum") != std::string::npos);

  const Outcome services = run(dir, kLbctl, "lbctl", {"services"}, sock);
  CHECK(services.status == 0);
  CHECK(services.out.find("198.18.2.11:8080") < services.out.find("198.18.2.12:8080"));
  CHECK(services.out.find("TCP 198.18.1.100:443  scheduler sh  flags sh-port,sh-fallback  "
                          "persistence 5m 0s netmask 255.255.255.0\n") != std::string::npos);
  CHECK(services.out.find("UDP 198.18.1.100:53  scheduler rr  one-packet\n") != std::string::npos);
  CHECK(services.out.find("FWM 80  scheduler rr  persistence 10m 0s\n") != std::string::npos);

  const Outcome version = run(dir, kLbctl, "lbctl", {"version"});
  CHECK(version.out == "lbctl 0.1.0\n");
  CHECK(run(dir, kLbctl, "lbctl", {"--version"}).out == "lbctl 0.1.0\n");

  const Outcome help = run(dir, kLbctl, "lbctl", {"--help"});
  CHECK(help.status == 0);
  CHECK(help.out.find("services") != std::string::npos);
  CHECK(help.out.find("ipvsadm dialect") != std::string::npos);

  const Outcome unknown = run(dir, kLbctl, "lbctl", {"reboot"}, sock);
  CHECK(unknown.status == 2);
  CHECK(unknown.err == "lbctl: unknown command 'reboot'\nRun 'lbctl --help' for usage.\n");
  CHECK(run(dir, kLbctl, "lbctl", {}, sock).status == 2);
}

TEST_CASE("lbctl exits 1 with a reason when lbd cannot answer") {
  TempDir dir;
  const std::string missing = dir.file("nobody.sock");
  for (const auto& args : std::vector<std::vector<std::string>>{{"status"}, {"-Ln"}}) {
    const Outcome o = run(dir, kLbctl, "lbctl", args, missing);
    CHECK(o.status == 1);
    CHECK(o.err == "lbctl: cannot connect to lbd at " + missing +
                       ": No such file or directory (is lbd running?)\n");
    CHECK(o.out.empty());
  }

  SECTION("lbd answers with an error") {
    lb::ctl::Dispatcher empty;
    lb::test::ServerThread server(dir.file("old.sock"), std::cref(empty));
    const Outcome o = run(dir, kLbctl, "lbctl", {"stats"}, dir.file("old.sock"));
    CHECK(o.status == 1);
    CHECK(o.err ==
          "lbctl: lbd answered 'stats' with an error: unknown command 'stats' (known: ) "
          "(unknown_command)\n");
  }
}

TEST_CASE("lbctl save PATH sends lbd an absolute path") {
  TempDir dir;
  const std::string sock = dir.file("lbd.sock");
  FakeLbd lbd(sock);  // has no `save`: the request is logged, then refused
  const std::string cwd = std::filesystem::current_path().string();
  CHECK(run(dir, kLbctl, "lbctl", {"save", "backup.yaml"}, sock).status == 1);
  CHECK(run(dir, kLbctl, "lbctl", {"save", "/etc/lbd/copy.yaml"}, sock).status == 1);
  CHECK(run(dir, kLbctl, "lbctl", {"save"}, sock).status == 1);
  const auto saves = lbd.log.args_of("save");
  REQUIRE(saves.size() == 3);
  CHECK(saves[0] == json{{"path", cwd + "/backup.yaml"}});
  CHECK(saves[1] == json{{"path", "/etc/lbd/copy.yaml"}});
  CHECK(saves[2] == json::object());  // lbd's own file

  const Outcome empty = run(dir, kLbctl, "lbctl", {"save", ""}, sock);
  CHECK(empty.status == 2);
  CHECK(empty.err.starts_with("lbctl: save: PATH is empty"));
  CHECK(lbd.log.args_of("save").size() == 3);
}
