// `lbctl import` as an operator runs it: the detected format named, every
// warning as FILE:LINE: warning: ..., the YAML written to stdout or -o and
// loadable once a ports section is added; unusable input exits 1 and writes
// nothing, a wrong --from exits 2.
#include <filesystem>

#include <catch2/catch.hpp>

#include <lb/config/load.h>

#include "lbctl_fixture.h"

using lb::test::kLbctl;
using lb::test::run;
using lb::test::slurp;
using lb::test::TempDir;

namespace {

const std::string kData = LB_IMPORT_DATA;

size_t count_lines(const std::string& text, std::string_view needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++n;
  return n;
}

}  // namespace

TEST_CASE("lbctl import: a Piranha lvs.cf to a file, format detected") {
  TempDir dir;
  const std::string input = kData + "/lvs.cf";
  const std::string out = dir.file("lbd.yaml");
  const auto result = run(dir, kLbctl, "lbctl", {"import", input, "-o", out});
  CHECK(result.status == 0);
  CHECK(result.out.empty());
  CHECK(result.err.starts_with("lbctl: import: " + input +
                               ": read as lvs.cf (Piranha lvs.cf (/etc/sysconfig/ha/lvs.cf)); "
                               "--from chooses another\n"));
  CHECK(result.err.find(input + ":13: warning: serial_no: lvs.cf's revision number has no lbd "
                                "equivalent; not carried over\n") != std::string::npos);
  CHECK(count_lines(result.err, ": warning: ") == 17);
  CHECK(result.err.ends_with("lbctl: import: wrote 3 services to " + out + "\n"));

  const std::string yaml = slurp(out);
  CHECK(yaml.starts_with("# Converted from " + input + " (Piranha lvs.cf"));
  const auto loaded = lb::config::load_string(
      "ports:\n"
      "  - {name: ext, device: net_null0, address: 198.18.1.1/24}\n"
      "  - {name: int, device: net_null1, address: 198.18.2.254/24}\n" +
          yaml,
      "lbd.yaml");
  REQUIRE(loaded.errors.empty());
  REQUIRE(loaded.config);
  REQUIRE(loaded.config->services.size() == 3);
  CHECK(loaded.config->services[0].fwmark == 80);
  CHECK(loaded.config->services[1].port == 21);
  CHECK_FALSE(loaded.config->services[2].enabled);
  // nanny's send/expect check, carried over.
  REQUIRE(loaded.config->services[1].health.check);
  CHECK(loaded.config->services[1].health.check->send == "quit");
  CHECK(yaml.find("      check: {type: send_expect, rise: 1, fall: 1, service_timeout_ms: 6000, "
                  "reentry_ms: 15000, send: quit, expect: '220'}\n") != std::string::npos);
}

TEST_CASE("lbctl import: --from, stdout, and the other formats") {
  TempDir dir;
  const auto keepalived =
      run(dir, kLbctl, "lbctl", {"import", "--from", "keepalived", kData + "/keepalived.conf"});
  CHECK(keepalived.status == 0);
  // Chosen, not detected: no "read as" line.
  CHECK(keepalived.err.find("read as") == std::string::npos);
  CHECK(keepalived.out.find("\nservices:\n  # keepalived virtual_server 198.18.1.100 80 (line "
                            "35)\n") != std::string::npos);
  CHECK(keepalived.err.find(kData + "/keepalived.conf:15: warning: vrrp_instance: VRRP and address "
                                    "failover are not imported (lbd has no failover yet)\n") !=
        std::string::npos);

  const auto ldirectord = run(dir, kLbctl, "lbctl", {"import", kData + "/ldirectord.cf"});
  CHECK(ldirectord.status == 0);
  CHECK(ldirectord.err.find(": read as ldirectord ") != std::string::npos);
  CHECK(ldirectord.out.find("  - fwmark: 1\n    scheduler: sh\n") != std::string::npos);
}

TEST_CASE("lbctl import: an ipvsadm rule file, detected, to a file that loads") {
  TempDir dir;
  const std::string input = kData + "/ipvsadm-handwritten.rules";
  const std::string out = dir.file("lbd.yaml");
  const auto result = run(dir, kLbctl, "lbctl", {"import", input, "-o", out});
  CHECK(result.status == 0);
  CHECK(result.out.empty());
  CHECK(result.err ==
        "lbctl: import: " + input +
            ": read as ipvsadm (ipvsadm rule file: ipvsadm -S -n output, /etc/sysconfig/ipvsadm); "
            "--from chooses another\n" +
            input +
            ":10: warning: -C: removes the 1 service defined above it; only the services after "
            "it are in the YAML\n" +
            input +
            ":15: warning: -r 198.18.2.13:8080: with dr forwarding ipvsadm gives the real server "
            "the service's port 80 (only -m translates ports); port 8080 is not carried over\n" +
            input +
            ":22: warning: -f 3: a firewall-mark service; lbd classifies packets itself and the "
            "iptables rule that marked them is not in the rule file: add a firewall_marks rule "
            "for mark 3\n" +
            input +
            ":23: warning: -r 198.18.2.70:80: a dr real server of a firewall-mark service "
            "receives each packet's own port, whatever port ipvsadm stored; port 80 is not "
            "carried over\n" +
            input +
            ":24: warning: -Z: zeroes counters, which are not configuration; ignored (lbctl -Z "
            "does it on a running lbd)\n" +
            input + ":25: warning: -L: a listing, which changes no configuration; ignored\n" +
            input +
            ":26: warning: --start-daemon: lbd has no connection sync daemon; not carried over\n"
            "lbctl: import: wrote 2 services to " +
            out + "\n");

  const std::string yaml = slurp(out);
  CHECK(yaml.starts_with("# Converted from " + input + " (ipvsadm rule file"));
  const auto loaded = lb::config::load_string(
      "ports:\n"
      "  - {name: ext, device: net_null0, address: 198.18.1.1/24}\n"
      "  - {name: int, device: net_null1, address: 198.18.2.1/24}\n"
      "firewall_marks:\n"
      "  - {mark: 3, protocol: tcp, destination: 198.18.1.103}\n" +
          yaml,
      "lbd.yaml");
  REQUIRE(loaded.errors.empty());
  REQUIRE(loaded.config);
  REQUIRE(loaded.config->services.size() == 2);
  CHECK(loaded.config->services[0].scheduler == "wrr");
  CHECK(loaded.config->services[0].real_servers.size() == 2);
  CHECK(loaded.config->services[1].fwmark == 3);
  CHECK(loaded.config->connections.timeouts.udp_ms == 600000);

  // ipvsadm -S -n output on stdout, chosen with --from.
  const auto saved =
      run(dir, kLbctl, "lbctl", {"import", "--from", "ipvsadm", kData + "/ipvsadm-save.rules"});
  CHECK(saved.status == 0);
  CHECK(saved.err.find("read as") == std::string::npos);
  CHECK(saved.out.find("\n  # ipvsadm -A -u 198.18.1.10:53 -s rr -o (line 10)\n"
                       "  - protocol: udp\n") != std::string::npos);

  const auto help = run(dir, kLbctl, "lbctl", {"import", "--help"});
  CHECK(help.status == 0);
  CHECK(help.out.find("ipvsadm, keepalived, lvs.cf, ldirectord") != std::string::npos);
  CHECK(help.out.find("an ipvsadm rule file (ipvsadm -S -n output") != std::string::npos);
}

TEST_CASE("lbctl import: an ipvsadm rule file with a refused line writes nothing") {
  TempDir dir;
  const std::string bad = dir.file("ipvsadm");
  {
    std::ofstream f(bad);
    f << "# saved by hand\n"
         "-A -t 198.18.1.1:80 -s rr\n"
         "-a -t 198.18.1.1:80 -r 198.18.2.1 -w 70000\n"
         "-a -t 198.18.1.2:80 -r 198.18.2.1\n";
  }
  const std::string out = dir.file("out.yaml");
  const auto result = run(dir, kLbctl, "lbctl", {"import", bad, "-o", out});
  CHECK(result.status == 1);
  CHECK(result.out.empty());
  CHECK(result.err.ends_with(bad + ":3: error: illegal weight specified\n" + bad +
                             ":4: error: Service not defined (no service tcp 198.18.1.2:80)\n"
                             "lbctl: import: " +
                             bad + ": 2 errors; nothing written\n"));
  CHECK_FALSE(std::filesystem::exists(out));
}

TEST_CASE("lbctl import: unusable input, unknown format, missing file") {
  TempDir dir;
  const std::string bad = dir.file("bad.cf");
  {
    std::ofstream f(bad);
    f << "network = nat\nvirtual web {\n  address = 198.18.1.300\n  port = 80\n";
  }
  const std::string out = dir.file("out.yaml");
  const auto broken = run(dir, kLbctl, "lbctl", {"import", bad, "-o", out});
  CHECK(broken.status == 1);
  CHECK(broken.out.empty());
  CHECK(broken.err.find(bad + ":2: error: the block opened here ('virtual') is never closed "
                              "(unbalanced braces)\n") != std::string::npos);
  CHECK(broken.err.find(bad + ":3: error: virtual web address: expected an IPv4 address "
                              "(a.b.c.d), got \"198.18.1.300\"\n") != std::string::npos);
  CHECK(broken.err.ends_with("lbctl: import: " + bad + ": 3 errors; nothing written\n"));
  CHECK_FALSE(std::filesystem::exists(out));

  const std::string prose = dir.file("notes.txt");
  {
    std::ofstream f(prose);
    f << "hello\n";
  }
  const auto unknown = run(dir, kLbctl, "lbctl", {"import", prose});
  CHECK(unknown.status == 1);
  CHECK(unknown.err == "lbctl: import: " + prose +
                           ": cannot tell its format (no virtual service found); give --from "
                           "(ipvsadm, keepalived, lvs.cf, ldirectord)\n");

  const auto wrong = run(dir, kLbctl, "lbctl", {"import", "--from", "nginx", prose});
  CHECK(wrong.status == 2);
  CHECK(wrong.err.starts_with(
      "lbctl: import: --from 'nginx': expected one of: ipvsadm, keepalived, lvs.cf, ldirectord\n"));

  const auto missing = run(dir, kLbctl, "lbctl", {"import", dir.file("nope.cf")});
  CHECK(missing.status == 1);
  CHECK(missing.err ==
        "lbctl: import: cannot read " + dir.file("nope.cf") + ": No such file or directory\n");
}
