// ipvsadm rule files as lbctl import reads them (tests/unit/import/data:
// the seed's /etc/sysconfig/ipvsadm, an `ipvsadm -S -n` output, a hand-kept
// rule file; data/README.md says where each comes from): the exact services,
// real servers, forwarding, weights and timeouts, the warnings, the YAML
// loaded back with the ports section an operator adds; then the lines ipvsadm
// or lbd refuses, each an error at its line.
#include <catch2/catch.hpp>

#include <lb/config/load.h>
#include <lb/import/formats.h>

#include "import_fixture.h"

using lb::import::Imported;
using lb::test::Diagnostics;
using lb::test::diagnostics;
using lb::test::dump;
using lb::test::Lines;
using lb::test::load_with;
using lb::test::read;

namespace {

std::string yaml_of(const Imported& imported, const std::string& source) {
  return lb::import::render_yaml(imported, source, *lb::import::find_format("ipvsadm"));
}

}  // namespace

TEST_CASE("import ipvsadm: the seed's /etc/sysconfig/ipvsadm, '#' lines skipped") {
  const std::string text = read("sysconfig-ipvsadm");
  CHECK(lb::import::detect_format(text) == lb::import::find_format("ipvsadm"));
  const Imported imported = lb::import::import_ipvsadm_rules(text);
  CHECK(diagnostics(imported.errors) == Diagnostics{});
  CHECK(diagnostics(imported.warnings) == Diagnostics{});
  // The four '#' rules are switched off, as under the init scripts; -i is
  // tunnelling, -w 1 the weight.
  CHECK(dump(imported.services) ==
        Lines{
            "fwm=0 tcp 198.18.61.31:6669 sched=rr flags=0 persist=none ops=false quiesce=false "
            "en=true",
            "  198.19.216.107:6669 w=1 fwd=tunnel x=0 y=0 en=true",
        });
  CHECK(imported.mark_rules.empty());
  CHECK_FALSE(imported.timeouts);
  CHECK(imported.service_comments ==
        std::vector<Lines>{{"ipvsadm -A -t 198.18.61.31:6669 -s rr (line 12)"}});
  CHECK(imported.header ==
        Lines{
            "11 lines starting with '#' skipped, as the init scripts skip them (grep -v '^#') "
            "before ipvsadm -R.",
            "Addresses found in the ipvsadm rule file, as hints for ports:",
            "  VIP 198.18.61.31 (line 12)",
        });

  const std::string yaml = yaml_of(imported, "/etc/sysconfig/ipvsadm");
  CHECK(yaml ==
        "# Converted from /etc/sysconfig/ipvsadm (ipvsadm rule file: ipvsadm -S -n output, "
        "/etc/sysconfig/ipvsadm) by lbctl import.\n"
        "#\n"
        "# lbd also needs a `ports:` section (its network ports, which ipvsadm files do not\n"
        "# describe): add one before using this file (see conf/README.md), then check it\n"
        "# with `lbd --check-config --config FILE`.\n"
        "#\n"
        "# 11 lines starting with '#' skipped, as the init scripts skip them (grep -v '^#') "
        "before ipvsadm -R.\n"
        "# Addresses found in the ipvsadm rule file, as hints for ports:\n"
        "#   VIP 198.18.61.31 (line 12)\n"
        "\n"
        "services:\n"
        "  # ipvsadm -A -t 198.18.61.31:6669 -s rr (line 12)\n"
        "  - protocol: tcp\n"
        "    vip: 198.18.61.31\n"
        "    port: 6669\n"
        "    scheduler: rr\n"
        "    real_servers:\n"
        "      - {address: 198.19.216.107, forward: tunnel}\n");
  // The real server is on another network (the seed's point): reached
  // through the gateway.
  const auto config = load_with(
      imported, "ipvsadm",
      "ports:\n"
      "  - {name: ext, device: net_null0, address: 198.18.61.1/24, gateway: 198.18.61.254}\n");
  CHECK(dump(config.services) == dump(imported.services));
}

TEST_CASE("import ipvsadm: ipvsadm -S -n output, every option it writes") {
  const std::string text = read("ipvsadm-save.rules");
  CHECK(lb::import::detect_format(text) == lb::import::find_format("ipvsadm"));
  const Imported imported = lb::import::import_ipvsadm_rules(text);
  CHECK(diagnostics(imported.errors) == Diagnostics{});
  // -m keeps a port of its own; -p without -M is a /32; -b names the sh and
  // mh flags; -o one-packet; fwmark servers keep each packet's port (0).
  CHECK(dump(imported.services) ==
        Lines{
            "fwm=0 tcp 198.18.1.10:80 sched=wrr flags=0 persist=none ops=false quiesce=false "
            "en=true",
            "  198.18.2.11:8080 w=4 fwd=nat x=0 y=0 en=true",
            "  198.18.2.12:80 w=3 fwd=dr x=0 y=0 en=true",
            "  198.18.3.13:80 w=2 fwd=tunnel x=0 y=0 en=true",
            "fwm=0 tcp 198.18.1.10:443 sched=sh flags=3 persist=600/255.255.255.0 ops=false "
            "quiesce=false en=true",
            "  198.18.2.11:443 w=1 fwd=dr x=0 y=0 en=true",
            "  198.18.2.12:443 w=0 fwd=dr x=0 y=0 en=true",
            "fwm=0 tcp 198.18.1.20:0 sched=lc flags=0 persist=3600/255.255.255.255 ops=false "
            "quiesce=false en=true",
            "  198.18.2.21:0 w=1 fwd=dr x=0 y=0 en=true",
            "fwm=0 udp 198.18.1.10:53 sched=rr flags=0 persist=none ops=true quiesce=false "
            "en=true",
            "  198.18.2.31:53 w=1 fwd=nat x=0 y=0 en=true",
            "  198.18.2.32:5353 w=2 fwd=nat x=0 y=0 en=true",
            "fwm=7 tcp 0.0.0.0:0 sched=mh flags=2 persist=360/255.255.255.255 ops=false "
            "quiesce=false en=true",
            "  198.18.2.41:0 w=1 fwd=dr x=0 y=0 en=true",
            "  198.18.2.42:0 w=1 fwd=dr x=0 y=0 en=true",
            "fwm=8 tcp 0.0.0.0:0 sched=rr flags=0 persist=none ops=false quiesce=false en=true",
            "  198.18.2.51:0 w=1 fwd=nat x=0 y=0 en=true",
        });
  CHECK(diagnostics(imported.warnings) ==
        Diagnostics{
            {13,
             "-f 7: a firewall-mark service; lbd classifies packets itself and the iptables rule "
             "that marked them is not in the rule file: add a firewall_marks rule for mark 7"},
            {16,
             "-f 8: a firewall-mark service; lbd classifies packets itself and the iptables rule "
             "that marked them is not in the rule file: add a firewall_marks rule for mark 8"},
        });
  CHECK(imported.header ==
        Lines{
            "Addresses found in the ipvsadm rule file, as hints for ports:",
            "  VIP 198.18.1.10 (line 1)",
            "  VIP 198.18.1.20 (line 8)",
            "lbd classifies packets itself; the iptables rules that marked them are not in the "
            "ipvsadm rule file. Add a firewall_marks section with a rule for each mark (see "
            "conf/README.md):",
            "  firewall_marks:",
            "    - {mark: 7, protocol: tcp, destination: VIP, ports: [PORT]}",
            "    - {mark: 8, protocol: tcp, destination: VIP, ports: [PORT]}",
        });
  CHECK(imported.service_comments.at(4) ==
        Lines{"ipvsadm -A -f 7 -s mh -p 360 -b mh-port (line 13)"});

  const auto config = load_with(
      imported, "ipvsadm",
      "ports:\n"
      "  - {name: ext, device: net_null0, address: 198.18.1.1/24, gateway: 198.18.1.254}\n"
      "  - {name: int, device: net_null1, address: 198.18.2.1/24}\n"
      "firewall_marks:\n"
      "  - {mark: 7, protocol: tcp, destination: 198.18.1.30, ports: [80, 443]}\n"
      "  - {mark: 8, protocol: udp, destination: 198.18.1.40}\n");
  CHECK(dump(config.services) == dump(imported.services));
}

TEST_CASE("import ipvsadm: a hand-kept rule file with changes, --set and non-rules") {
  const std::string text = read("ipvsadm-handwritten.rules");
  CHECK(lb::import::detect_format(text) == lb::import::find_format("ipvsadm"));
  const Imported imported = lb::import::import_ipvsadm_rules(text);
  CHECK(diagnostics(imported.errors) == Diagnostics{});
  // -C drops the syslog service; -E replaces the whole definition (wrr,
  // persistence 120 s), -e the whole real server; -d and -D delete; -g
  // takes the service's port; -x/-y are the thresholds.
  CHECK(dump(imported.services) ==
        Lines{
            "fwm=0 tcp 198.18.1.100:80 sched=wrr flags=0 persist=120/255.255.255.255 ops=false "
            "quiesce=false en=true",
            "  198.18.2.12:8080 w=3 fwd=nat x=500 y=100 en=true",
            "  198.18.2.13:80 w=1 fwd=dr x=0 y=0 en=true",
            "fwm=3 tcp 0.0.0.0:0 sched=wlc flags=0 persist=none ops=false quiesce=false en=true",
            "  198.18.2.70:0 w=2 fwd=dr x=0 y=0 en=true",
        });
  // --set tcp tcpfin udp: lbd's established, fin_wait and udp timeouts.
  REQUIRE(imported.timeouts);
  lb::conn::Timeouts expected;
  expected.tcp_ms[static_cast<size_t>(lb::conn::TcpState::kEstablished)] = 3600000;
  expected.tcp_ms[static_cast<size_t>(lb::conn::TcpState::kFinWait)] = 60000;
  expected.udp_ms = 600000;
  CHECK(*imported.timeouts == expected);
  CHECK(diagnostics(imported.warnings) ==
        Diagnostics{
            {10,
             "-C: removes the 1 service defined above it; only the services after it are in the "
             "YAML"},
            {15,
             "-r 198.18.2.13:8080: with dr forwarding ipvsadm gives the real server the service's "
             "port 80 (only -m translates ports); port 8080 is not carried over"},
            {22,
             "-f 3: a firewall-mark service; lbd classifies packets itself and the iptables rule "
             "that marked them is not in the rule file: add a firewall_marks rule for mark 3"},
            {23,
             "-r 198.18.2.70:80: a dr real server of a firewall-mark service receives each "
             "packet's own port, whatever port ipvsadm stored; port 80 is not carried over"},
            {24,
             "-Z: zeroes counters, which are not configuration; ignored (lbctl -Z does it on a "
             "running lbd)"},
            {25, "-L: a listing, which changes no configuration; ignored"},
            {26, "--start-daemon: lbd has no connection sync daemon; not carried over"},
        });
  CHECK(imported.service_comments.at(0) ==
        Lines{"ipvsadm -A -t 198.18.1.100:80 -s wlc (line 12)",
              "ipvsadm -E -t 198.18.1.100:80 -s wrr -p 120 (line 16)"});

  const std::string yaml = yaml_of(imported, "rules");
  CHECK(yaml.find("\nconnections:\n"
                  "  timeouts:  # seconds\n"
                  "    established: 3600\n"
                  "    fin_wait: 60\n"
                  "    udp: 600\n") != std::string::npos);
  CHECK(yaml.find("# 7 settings could not be carried over: see lbctl import's warnings.\n") !=
        std::string::npos);
  const auto config =
      load_with(imported, "ipvsadm",
                "ports:\n"
                "  - {name: ext, device: net_null0, address: 198.18.1.1/24}\n"
                "  - {name: int, device: net_null1, address: 198.18.2.1/24}\n"
                "firewall_marks:\n"
                "  - {mark: 3, protocol: tcp, destination: 198.18.1.103, ports: [80]}\n");
  CHECK(dump(config.services) == dump(imported.services));
  CHECK(config.connections.timeouts == expected);
}

TEST_CASE("import ipvsadm: refused lines are errors at their lines, in ipvsadm's words") {
  const Imported imported = lb::import::import_ipvsadm_rules(
      "-A -t 198.18.1.1:80 -s rr\n"
      "-a -t 198.18.1.1:80 -r 198.18.2.1 -w x\n"
      "-A -t 198.18.1.1:80 -s rr\n"
      "-a -t 198.18.1.2:80 -r 198.18.2.1\n"
      "  #-A -t 198.18.1.3:80\n"
      "-A -t [2001:db8::1]:443 -s lc\n"
      "-A -u 198.18.1.8:53 -s wlc --pe sip\n"
      "-a -t 198.18.1.1:80 -r web1.example.net:80 -m\n"
      "-a -t 198.18.1.1:80 -r 198.18.2.5 -i --tun-type gue --tun-port 6080\n"
      "-R\n"
      "-A -t 198.18.1.9:80 -s fastest\n"
      "--set 1 2\n"
      "-A -t 198.18.1.3 -s rr\n"
      "-a -t 198.18.1.1:80 -r 198.18.2.6 -m -x 10 -y 20\n"
      "ls -l /etc\n"
      "-a -t 198.18.1.1:80 -r 224.0.0.1 -m\n"
      "echo done\n"
      "-A -t localhost:http -s rr -p 60 -M 255.255.255.0\n"
      "-A -t 198.18.1.4:80 -p 60 -M mask.example.net\n");
  CHECK(diagnostics(imported.errors) ==
        Diagnostics{
            {2, "illegal weight specified"},
            {3, "Service already exists (service tcp 198.18.1.1:80 already exists)"},
            {4, "Service not defined (no service tcp 198.18.1.2:80)"},
            {5,
             "\"#-A\" is not an ipvsadm command (-A, -E, -D, -C, -a, -e, -d, --set): ipvsadm -R "
             "stops here with \"Try `ipvsadm -h' or 'ipvsadm --help' for more information.\" "
             "(only lines starting with '#' are comments, as the init scripts strip them with "
             "grep -v '^#')"},
            {6, "IPv6 virtual services ('-t [2001:db8::1]:443') are not supported"},
            {7, "ipvsadm option '--pe sip' is not supported: lbd has no persistence engines"},
            {8,
             "-r web1.example.net:80: \"web1.example.net\" is a host name; ipvsadm -R would look "
             "it up, lbctl import does not: write the address (ipvsadm -S -n saves addresses)"},
            {9, "ipvsadm option '--tun-type gue' is not supported: lbd tunnels with IPIP only"},
            {10,
             "-R inside a rule file: ipvsadm -R stops here with \"Try `ipvsadm -h' or 'ipvsadm "
             "--help' for more information.\""},
            {11,
             "Scheduler or persistence engine not found (unknown scheduler \"fastest\" for tcp "
             "198.18.1.9:80, expected one of: dh, fo, lblc, lblcr, lc, mh, nq, ovf, rr, sed, sh, "
             "twos, wlc, wrr)"},
            {12, "--set option requires 3 timeout values"},
            {13, "Zero port specified for non-persistent service"},
            {14, "Numerical result out of range"},
            // popt takes -l as the command wherever it is, as in ipvsadm.
            {15, "unexpected argument ls"},
            {16, "\"address\" must be a unicast IPv4 address, got 224.0.0.1 (multicast)"},
            {17,
             "\"echo\" is not an ipvsadm command (-A, -E, -D, -C, -a, -e, -d, --set): ipvsadm -R "
             "stops here with \"Try `ipvsadm -h' or 'ipvsadm --help' for more information.\""},
            // Host names are refused without a lookup.
            {18,
             "-t localhost:http: \"localhost\" is a host name; ipvsadm -R would look it up, "
             "lbctl import does not: write the address (ipvsadm -S -n saves addresses)"},
            {19,
             "-M mask.example.net: \"mask.example.net\" is a host name; ipvsadm -R would look it "
             "up, lbctl import does not: write the address (ipvsadm -S -n saves addresses)"},
        });
  CHECK(diagnostics(imported.warnings) == Diagnostics{});
  // Only the one good line made a service.
  CHECK(dump(imported.services) ==
        Lines{"fwm=0 tcp 198.18.1.1:80 sched=rr flags=0 persist=none ops=false quiesce=false "
              "en=true"});
}

TEST_CASE("import ipvsadm: detection, and the other formats still detected as before") {
  const auto* ipvsadm = lb::import::find_format("ipvsadm");
  REQUIRE(ipvsadm != nullptr);
  CHECK(lb::import::detect_format("ipvsadm -A -t 198.18.1.1:80\n") == ipvsadm);
  CHECK(lb::import::detect_format("\n# saved\n--add-service -t 198.18.1.1:80\n") == ipvsadm);
  CHECK(lb::import::detect_format("-At 198.18.1.1:80 -s rr\r\n") == ipvsadm);
  // A shell script calling ipvsadm is not a rule file (ipvsadm -R would
  // refuse it), nor is a file without a single -A or -a.
  CHECK(lb::import::detect_format("#!/bin/sh\n/sbin/ipvsadm -A -t 198.18.1.1:80\n") == nullptr);
  CHECK(lb::import::detect_format("-C\n-Z\n") == nullptr);
  CHECK(lb::import::detect_format("-A -t 198.18.1.1:80\necho done\n") == nullptr);
  // A '#' line quoting other formats' keywords does not confuse it.
  CHECK(lb::import::detect_format("# was: virtual_server 198.18.1.1 80 { real_server ... }\n"
                                  "-A -t 198.18.1.1:80\n") == ipvsadm);
  for (const auto& [file, format] : {std::pair{"lvs.cf", "lvs.cf"},
                                     {"ldirectord.cf", "ldirectord"},
                                     {"keepalived.conf", "keepalived"}}) {
    CHECK(lb::import::detect_format(read(file)) == lb::import::find_format(format));
  }
  // An empty rule file is valid (ipvsadm -R does nothing) and has no service.
  const Imported empty = lb::import::import_ipvsadm_rules("");
  CHECK(empty.errors.empty());
  CHECK(empty.services.empty());
  CHECK(yaml_of(empty, "empty").ends_with("\nservices: []\n"));
}

TEST_CASE("import ipvsadm: port names, as ipvsadm -S without -n writes them") {
  // /etc/services, as ipvsadm reads it: http and https for TCP, domain for UDP.
  const Imported imported = lb::import::import_ipvsadm_rules(
      "-A -t 198.18.1.5:http -s rr\n"
      "-a -t 198.18.1.5:http -r 198.18.2.5:https -m -w 1\n"
      "-A -u 198.18.1.5:domain -s rr\n");
  CHECK(diagnostics(imported.errors) == Diagnostics{});
  CHECK(dump(imported.services) ==
        Lines{
            "fwm=0 tcp 198.18.1.5:80 sched=rr flags=0 persist=none ops=false quiesce=false en=true",
            "  198.18.2.5:443 w=1 fwd=nat x=0 y=0 en=true",
            "fwm=0 udp 198.18.1.5:53 sched=rr flags=0 persist=none ops=false quiesce=false en=true",
        });
  CHECK(imported.header.at(1) == "  VIP 198.18.1.5 (line 1)");
  CHECK(imported.header.size() == 2);
}
