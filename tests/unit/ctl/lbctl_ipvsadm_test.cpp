// The real lbctl binary, invoked as ipvsadm, against an lbd stand-in that
// applies the edit protocol: the requests each ipvsadm command line sends,
// what it prints, its exit status; -R line by line, -S -> -R round trips.
#include <algorithm>
#include <filesystem>

#include <catch2/catch.hpp>

#include "edit_lbd.h"
#include "lbctl_fixture.h"

using lb::test::EditLbd;
using lb::test::kLbctl;
using lb::test::Outcome;
using lb::test::run;
using lb::test::TempDir;
using nlohmann::json;

namespace {

struct Ipvsadm {
  TempDir dir;
  std::string sock = dir.file("lbd.sock");
  EditLbd lbd{sock};
  std::string link = dir.file("ipvsadm");

  Ipvsadm() { std::filesystem::create_symlink(kLbctl, link); }

  Outcome operator()(std::vector<std::string> args, const std::string& input = "") {
    return run(dir, link, "ipvsadm", args, sock, input);
  }
  // A command that must succeed silently, as ipvsadm's do.
  void ok(std::vector<std::string> args) {
    const Outcome o = (*this)(args);
    INFO(o.err);
    CHECK(o.status == 0);
    CHECK(o.out.empty());
    CHECK(o.err.empty());
  }
  std::vector<json> edits() const { return lbd.log.args_of("edit"); }
};

const std::string kTry = "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n";

// The seed's /etc/sysconfig/ipvsadm (reference/seeds/003_f06f1f03ea6dde7f.txt,
// "IPVSADM — LVS mode tunneling"), addresses moved to test networks.
const std::string kSeedRules =
    "#-A -t 198.18.61.31:80 -s rr\n"
    "#-a -t 198.18.61.31:80 -r 198.19.216.107:80 -g -w 1\n"
    "#-A -t 198.18.61.31:443 -s rr\n"
    "#-a -t 198.18.61.31:443 -r 198.19.216.107:443 -g -w 1\n"
    "-A -t 198.18.61.31:6669 -s rr\n"
    "-a -t 198.18.61.31:6669 -r 198.19.216.107:6669 -i -w 1\n";

// What the init script feeds ipvsadm-restore: `grep -v "^#"`.
std::string without_comment_lines(const std::string& text) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    end = end == std::string::npos ? text.size() : end + 1;
    if (text[start] != '#') out += text.substr(start, end - start);
    start = end;
  }
  return out;
}

}  // namespace

TEST_CASE("the build makes ipvsadm a symlink to lbctl") {
  const std::filesystem::path link = std::filesystem::path(kLbctl).parent_path() / "ipvsadm";
  REQUIRE(std::filesystem::is_symlink(link));
  CHECK(std::filesystem::read_symlink(link) == "lbctl");
  TempDir dir;
  const Outcome o = run(dir, link.string(), "ipvsadm", {"-v"});
  CHECK(o.status == 0);
  CHECK(o.out == "ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n");
}

TEST_CASE("ipvsadm's editing commands send whole definitions and print nothing") {
  Ipvsadm ipvsadm;
  ipvsadm.ok({"-A", "-t", "198.18.1.100:80", "-s", "wrr"});
  ipvsadm.ok({"-a", "-t", "198.18.1.100:80", "-r", "198.18.2.11:8080", "-m", "-w", "4"});
  ipvsadm.ok({"-a", "-t", "198.18.1.100:80", "-r", "198.18.2.12"});
  ipvsadm.ok({"-e", "-t", "198.18.1.100:80", "-r", "198.18.2.12", "-w", "7", "-x", "100"});
  ipvsadm.ok({"-A", "-u", "198.18.1.100:53", "-s", "sh", "-b", "sh-port", "-p", "-o"});
  ipvsadm.ok({"-E", "-u", "198.18.1.100:53", "-s", "rr"});
  ipvsadm.ok({"-A", "-f", "7", "-p", "600", "-M", "255.255.255.0"});
  ipvsadm.ok({"-a", "-f", "7", "-r", "198.18.2.20", "-i", "-w", "0"});
  ipvsadm.ok({"-d", "-t", "198.18.1.100:80", "-r", "198.18.2.11:8080"});

  const std::vector<json> edits = ipvsadm.edits();
  REQUIRE(edits.size() == 9);
  CHECK(edits[0] == json::parse(R"({"ops":[{"op":"add_service","service":{"protocol":"tcp",
    "vip":"198.18.1.100","port":80,"scheduler":"wrr","sched_flags":[],"persistent":0,
    "one_packet":false}}]})"));
  CHECK(edits[2] == json::parse(R"({"ops":[{"op":"add_real","service":{"protocol":"tcp",
    "vip":"198.18.1.100","port":80},"real":{"address":"198.18.2.12","port":80,"forward":"dr",
    "weight":1,"upper_threshold":0,"lower_threshold":0}}]})"));
  CHECK(edits[3]["ops"][0]["real"] == json::parse(R"({"address":"198.18.2.12","port":80,
    "forward":"dr","weight":7,"upper_threshold":100,"lower_threshold":0})"));
  CHECK(edits[5]["ops"][0] == json::parse(R"({"op":"edit_service","service":{"protocol":"udp",
    "vip":"198.18.1.100","port":53,"scheduler":"rr","sched_flags":[],"persistent":0,
    "one_packet":false}})"));
  CHECK(edits[8]["ops"][0] == json::parse(R"({"op":"delete_real","service":{"protocol":"tcp",
    "vip":"198.18.1.100","port":80},"real":{"address":"198.18.2.11","port":8080}})"));

  const Outcome list = ipvsadm({"-Ln"});
  CHECK(list.status == 0);
  CHECK(list.out ==
        "IP Virtual Server version 1.2.1 (size=4096)\n"
        "Prot LocalAddress:Port Scheduler Flags\n"
        "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
        "TCP  198.18.1.100:80 wrr\n"
        "  -> 198.18.2.12:80               Route   7      0          0         \n"
        "UDP  198.18.1.100:53 rr\n"
        "FWM  7 wlc persistent 600 mask 255.255.255.0\n"
        "  -> 198.18.2.20:0                Tunnel  0      0          0         \n");

  ipvsadm.ok({"-D", "-u", "198.18.1.100:53"});
  ipvsadm.ok({"-C"});
  CHECK(ipvsadm.edits().back() == json::parse(R"({"ops":[{"op":"clear"}]})"));
  CHECK(ipvsadm({"-Ln"}).out ==
        "IP Virtual Server version 1.2.1 (size=4096)\n"
        "Prot LocalAddress:Port Scheduler Flags\n"
        "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n");
}

TEST_CASE("lbd's refusals come back in ipvsadm's words, exit 255") {
  Ipvsadm ipvsadm;
  ipvsadm.ok({"-A", "-t", "198.18.1.100:80"});
  ipvsadm.ok({"-a", "-t", "198.18.1.100:80", "-r", "198.18.2.11"});
  const auto check = [&](std::vector<std::string> args, const std::string& err) {
    const Outcome o = ipvsadm(args);
    CHECK(o.status == 255);
    CHECK(o.err == err);
    CHECK(o.out.empty());
  };
  check({"-A", "-t", "198.18.1.100:80"}, "Service already exists\n");
  check({"-A", "-t", "198.18.1.100:81", "-s", "bogus"},
        "Scheduler or persistence engine not found\n");
  check({"-E", "-t", "198.18.1.100:81"}, "No such service\n");
  check({"-D", "-t", "198.18.1.100:81"}, "No such service\n");
  check({"-Z", "-t", "198.18.1.100:81"}, "No such service\n");
  check({"-a", "-t", "198.18.1.100:81", "-r", "198.18.2.11"}, "Service not defined\n");
  check({"-a", "-t", "198.18.1.100:80", "-r", "198.18.2.11"}, "Destination already exists\n");
  check({"-e", "-t", "198.18.1.100:80", "-r", "198.18.2.12"}, "No such destination\n");
  check({"-d", "-t", "198.18.1.100:80", "-r", "198.18.2.12"}, "No such destination\n");
  check({"-a", "-t", "198.18.1.100:80", "-r", "198.18.2.12", "-y", "1"},
        "Numerical result out of range\n");

  // ipvsadm's own checks: exit 2, and lbd is not asked.
  const std::size_t asked = ipvsadm.lbd.log.all().size();
  const Outcome bad = ipvsadm({"-a", "-t", "198.18.1.100:80", "-r", "198.18.2.12", "-w", "x"});
  CHECK(bad.status == 2);
  CHECK(bad.err == "illegal weight specified\n");
  CHECK(ipvsadm.lbd.log.all().size() == asked);

  SECTION("lbd not running: lbctl's message, exit 1") {
    const Outcome o =
        run(ipvsadm.dir, ipvsadm.link, "ipvsadm", {"-C"}, ipvsadm.dir.file("nobody.sock"));
    CHECK(o.status == 1);
    CHECK(o.err.starts_with("lbctl: cannot connect to lbd at "));
  }
}

TEST_CASE("ipvsadm -R on the seed's /etc/sysconfig/ipvsadm") {
  Ipvsadm ipvsadm;
  SECTION("as the file is: ipvsadm has no comments, the first '#' line ends the restore") {
    const Outcome o = ipvsadm({"-R"}, kSeedRules);
    CHECK(o.status == 255);
    CHECK(o.err == kTry);
    CHECK(ipvsadm.edits().empty());
  }
  SECTION("as the init script feeds it, without '#' lines: applied in one edit") {
    const Outcome o = ipvsadm({"-R"}, without_comment_lines(kSeedRules));
    CHECK(o.status == 0);
    CHECK(o.err.empty());
    CHECK(o.out.empty());
    REQUIRE(ipvsadm.edits().size() == 1);
    CHECK(ipvsadm.edits()[0]["ops"].size() == 2);
    CHECK(ipvsadm({"-Ln"}).out ==
          "IP Virtual Server version 1.2.1 (size=4096)\n"
          "Prot LocalAddress:Port Scheduler Flags\n"
          "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
          "TCP  198.18.61.31:6669 rr\n"
          "  -> 198.19.216.107:6669          Tunnel  1      0          0         \n");
    CHECK(ipvsadm({"-S", "-n"}).out ==
          "-A -t 198.18.61.31:6669 -s rr\n"
          "-a -t 198.18.61.31:6669 -r 198.19.216.107:6669 -i -w 1 --tun-type ipip\n");
  }
}

TEST_CASE("ipvsadm -R runs line by line: refused lines are reported, the rest applied") {
  Ipvsadm ipvsadm;
  const std::string rules =
      "-A -t 198.18.1.100:80 -s rr\n"
      "-a -t 198.18.1.100:80 -r 198.18.2.11 -m\n"
      "-a -t 198.18.1.100:80 -r 198.18.2.11 -m\n"  // a second time: refused
      "\n"
      "ipvsadm -a -t 198.18.1.100:80 -r 198.18.2.12 -m -w 2\n"
      "-e -t 198.18.1.100:80 -r 198.18.2.13\n";  // refused, and the last line
  const Outcome o = ipvsadm({"-R"}, rules);
  CHECK(o.err == "Destination already exists\nNo such destination\n");
  CHECK(o.status == 255);  // the last line's result
  CHECK(o.out.empty());
  // All at once, then the part before the refused line, then the rest.
  std::vector<std::size_t> sizes;
  for (const json& edit : ipvsadm.edits())
    sizes.push_back(edit["ops"].size());
  CHECK(sizes == std::vector<std::size_t>{5, 2, 2, 1});
  CHECK(ipvsadm({"-Ln"}).out.find(
            "  -> 198.18.2.11:80               Masq    1      0          0 ") != std::string::npos);
  CHECK(ipvsadm({"-Ln"}).out.find("  -> 198.18.2.12:80               Masq    2") !=
        std::string::npos);

  SECTION("a refused line followed by a good one: exit 0") {
    const Outcome again = ipvsadm({"-R"}, "-A -t 198.18.1.100:80\n-A -t 198.18.1.100:81\n");
    CHECK(again.err == "Service already exists\n");
    CHECK(again.status == 0);
  }
  SECTION("ipvsadm's own check ends the restore; earlier lines stay applied") {
    const Outcome stop = ipvsadm({"-R"},
                                 "-C\n-A -t 198.18.1.100:82\n-A -t 198.18.1.100:83 -p 0\n"
                                 "-A -t 198.18.1.100:84\n");
    CHECK(stop.err == "invalid timeout value `0' specified\n");
    CHECK(stop.status == 2);
    const std::string listing = ipvsadm({"-Ln"}).out;
    CHECK(listing.find("198.18.1.100:82") != std::string::npos);
    CHECK(listing.find("198.18.1.100:80") == std::string::npos);
    CHECK(listing.find("198.18.1.100:84") == std::string::npos);
  }
  SECTION("a popt error is reported and the restore goes on") {
    const Outcome popt = ipvsadm({"-R"}, "-A -t 198.18.1.100:85 --bogus\n-A -t 198.18.1.100:86\n");
    CHECK(popt.err == "--bogus: unknown option\n");
    CHECK(popt.status == 0);
    CHECK(ipvsadm({"-Ln"}).out.find("198.18.1.100:86") != std::string::npos);
  }
  SECTION("listing and zeroing lines run in their place; -R cannot nest") {
    const Outcome mixed = ipvsadm({"-R"}, "-C\n-A -f 9\n-S -n\n-Z\n-A -f 10\n-R\n-A -f 11\n");
    CHECK(mixed.out == "-A -f 9 -s wlc\n");
    CHECK(mixed.err == kTry);
    CHECK(mixed.status == 255);
    CHECK(ipvsadm.lbd.log.args_of("zero").size() == 1);
    const std::string listing = ipvsadm({"-Ln"}).out;
    CHECK(listing.find("FWM  10 wlc") != std::string::npos);
    CHECK(listing.find("FWM  11") == std::string::npos);
  }
}

TEST_CASE("ipvsadm -S, then -R of its output, gives the same table back") {
  Ipvsadm ipvsadm;
  const Outcome built = ipvsadm({"-R"},
                                "-A -t 198.18.1.100:80 -s wrr\n"
                                "-a -t 198.18.1.100:80 -r 198.18.2.12:80 -g -w 3\n"
                                "-a -t 198.18.1.100:80 -r 198.18.2.11:8080 -m -w 4\n"
                                "-a -t 198.18.1.100:80 -r 198.18.2.13 -i -w 2\n"
                                "-A -u 198.18.1.100:53 -s sh -p 600 -M 255.255.255.0 -o -b "
                                "sh-port,sh-fallback\n"
                                "-A -f 7 -s mh -p -b mh-port\n"
                                "-a -f 7 -r 198.18.2.20 -g -w 0\n"
                                "-A -t 198.18.1.100:0 -s lc -p 30\n");
  REQUIRE(built.status == 0);
  REQUIRE(built.err.empty());
  const std::string saved = ipvsadm({"-S", "-n"}).out;
  CHECK(saved ==
        "-A -t 198.18.1.100:0 -s lc -p 30\n"
        "-A -t 198.18.1.100:80 -s wrr\n"
        "-a -t 198.18.1.100:80 -r 198.18.2.11:8080 -m -w 4\n"
        "-a -t 198.18.1.100:80 -r 198.18.2.12:80 -g -w 3\n"
        "-a -t 198.18.1.100:80 -r 198.18.2.13:80 -i -w 2 --tun-type ipip\n"
        "-A -u 198.18.1.100:53 -s sh -p 600 -M 255.255.255.0 -o -b sh-fallback,sh-port\n"
        "-A -f 7 -s mh -p 360 -b mh-port\n"
        "-a -f 7 -r 198.18.2.20:0 -g -w 0\n");
  const std::string listing = ipvsadm({"-Ln"}).out;

  ipvsadm.ok({"-C"});
  const Outcome restored = ipvsadm({"--restore"}, saved);
  CHECK(restored.status == 0);
  CHECK(restored.err.empty());
  CHECK(ipvsadm({"--save", "--numeric"}).out == saved);
  CHECK(ipvsadm({"-Ln"}).out == listing);
}

TEST_CASE("ipvsadm -Z, --stats, --rate and -L SERVICE") {
  Ipvsadm ipvsadm;
  REQUIRE(ipvsadm({"-R"},
                  "-A -t 198.18.1.100:80\n-a -t 198.18.1.100:80 -r 198.18.2.11\n"
                  "-A -f 7\n")
              .status == 0);
  ipvsadm.lbd.model.add_traffic();
  const std::string header =
      "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n"
      "  -> RemoteAddress:Port\n";
  CHECK(ipvsadm({"-L", "-n", "--stats"}).out ==
        "IP Virtual Server version 1.2.1 (size=4096)\n" + header +
            "TCP  198.18.1.100:80                     7       70       63     7000     6300\n"
            "  -> 198.18.2.11:80                      3       30       27     3000     2700\n"
            "FWM  7                                   7       70       63     7000     6300\n");
  CHECK(ipvsadm({"-L", "-n", "--rate", "-f", "7"}).out ==
        "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n"
        "  -> RemoteAddress:Port\n"
        "FWM  7                                   0        0        0        0        0\n");

  ipvsadm.ok({"-Z", "-f", "7"});
  ipvsadm.ok({"-Z"});
  CHECK(ipvsadm.lbd.log.args_of("zero") ==
        std::vector<json>{json::parse(R"({"service":{"fwmark":7}})"), json::object()});
  CHECK(ipvsadm({"-Ln", "--stats", "-t", "198.18.1.100:80"}).out ==
        header +
            "TCP  198.18.1.100:80                     0        0        0        0        0\n"
            "  -> 198.18.2.11:80                      0        0        0        0        0\n");

  const Outcome missing = ipvsadm({"-Ln", "-t", "198.18.1.100:81"});
  CHECK(missing.status == 1);
  CHECK(missing.err == "No such service\n");
  CHECK(missing.out.empty());
}

TEST_CASE("ipvsadm -h, and the sync daemon lbd does not have") {
  Ipvsadm ipvsadm;
  const Outcome help = ipvsadm({"-h"});
  CHECK(help.status == 0);
  CHECK(
      help.out.starts_with("ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n"
                           "Usage:\n"
                           "  ipvsadm -A|E virtual-service [-s scheduler] [-p [timeout]] "
                           "[-M netmask] [--pe persistence_engine] [-b sched-flags]\n"));
  CHECK(std::count(help.out.begin(), help.out.end(), '\n') == 82);
  CHECK(help.out.ends_with("  --mcast-ttl ttl                     Multicast TTL (default=1)\n"));

  const Outcome stop = ipvsadm({"--stop-daemon", "master"});
  CHECK(stop.status == 255);
  CHECK(stop.err == "No daemon is running\n");
  const Outcome daemons = ipvsadm({"-L", "--daemon"});
  CHECK(daemons.status == 0);
  CHECK(daemons.out.empty());
}
