// The importers' health checks on samples written for them
// (tests/unit/import/data/*-checks.*): every check form each format has
// that the main samples do not use, converted as the format's daemon ran
// it, and every setting that cannot carry over reported at its line; the
// YAML then loads with the same checks.
#include <catch2/catch.hpp>

#include <lb/import/formats.h>

#include "import_fixture.h"

using lb::import::Imported;
using lb::test::Diagnostics;
using lb::test::diagnostics;
using lb::test::dump_health;
using lb::test::Lines;
using lb::test::load_with;
using lb::test::read;

namespace {

void loads_with_the_same_checks(const Imported& imported, const std::string& format,
                                const std::string& prefix) {
  const auto config = load_with(imported, format, prefix);
  CHECK(dump_health(config.services) == dump_health(imported.services));
  CHECK(lb::test::dump(config.services) == lb::test::dump(imported.services));
}

}  // namespace

TEST_CASE("import lvs.cf checks: regex, wildcard, sending program, connect, and what is refused") {
  const Imported imported = lb::import::import_lvs_cf(read("lvs-checks.cf"));
  CHECK(diagnostics(imported.errors) == Diagnostics{});
  CHECK(
      dump_health(imported.services) ==
      Lines{
          "tcp 198.18.1.110:80 check=send_expect send \"GET /status HTTP/1.0\\r\\n\\r\\n\" expect "
          "regex \"^HTTP/1\\.[01] 200\", every 5000 ms (timeout 3000 ms, rise 1, fall 1, service "
          "timeout 10000 ms, reentry 30000 ms) on_failure=remove sorry=none",
          // nanny's "*": any reply.
          "tcp 198.18.1.110:7000 check=send_expect send \"hello\\n\", every 5000 ms (timeout "
          "3000 ms, rise 1, fall 1) on_failure=remove sorry=none",
          "tcp 198.18.1.110:5353 check=program run \"/usr/local/bin/check_dns %h\" expect "
          "\"OK\", every 5000 ms (timeout 3000 ms, rise 1, fall 1) on_failure=remove sorry=none",
          // No send, no expect: nanny connects.
          "tcp 198.18.1.110:22 check=tcp, every 5000 ms (timeout 3000 ms, rise 1, fall 1) "
          "on_failure=remove sorry=none",
          "tcp 198.18.1.110:8000 check=none on_failure=remove sorry=none",
          "tcp 198.18.1.110:8001 check=none on_failure=remove sorry=none",
          "tcp 198.18.1.110:8002 check=none on_failure=remove sorry=none",
      });
  CHECK(diagnostics(imported.warnings) ==
        Diagnostics{
            {35,
             "virtual program: send is ignored when send_program is set (as nanny does); not "
             "carried over"},
            {52,
             "virtual relative: send_program: the program \"check.sh\" must be given by its "
             "absolute path (lbd runs it without a shell or PATH search); not carried over: the "
             "real servers are not checked"},
            {60,
             "virtual badregex: invalid regex /([/ at offset 2: missing terminating ] for "
             "character class; not carried over: the real servers are not checked"},
            {69,
             "virtual badescape: send: \\x at offset 4 needs two hex digits (write \\\\ for a "
             "backslash); not carried over: the real servers are not checked"},
        });
  loads_with_the_same_checks(imported, "lvs.cf",
                             "ports:\n"
                             "  - {name: ext, device: net_null0, address: 198.18.1.1/24}\n"
                             "  - {name: int, device: net_null1, address: 198.18.2.254/24}\n");
}

TEST_CASE("import ldirectord.cf checks: external, simpletcp, HEAD, URLs, fallbacks, off and on") {
  const Imported imported = lb::import::import_ldirectord(read("ldirectord-checks.cf"));
  CHECK(diagnostics(imported.errors) == Diagnostics{});
  CHECK(dump_health(imported.services) ==
        Lines{
            // The global failurecount and fallback; quiescent = no; the
            // virtual's negotiatetimeout within the global checkinterval.
            "tcp 198.18.1.100:80 check=http GET /health host www.example.com body matching "
            "\"OK\", every 5000 ms (timeout 4000 ms, rise 1, fall 3) on_failure=remove "
            "sorry=198.18.2.99:8080/nat",
            // The checkcommand gets ldirectord's four arguments.
            "tcp 198.18.1.100:25 check=program run \"/usr/local/bin/check_smtp 198.18.1.100 25 %h "
            "%p\", every 5000 ms (timeout 3000 ms, rise 1, fall 100) on_failure=quiesce "
            "sorry=198.18.2.99:8080/nat",
            "tcp 198.18.1.100:7000 check=send_expect send \"HELLO\\r\\n\" expect regex "
            "\"^READY\", every 5000 ms (timeout 2000 ms, rise 1, fall 3) on_failure=quiesce "
            "sorry=none",
            "  198.18.2.31:7000 check=send_expect send \"PING\\n\" expect regex \"^PONG\", every "
            "5000 ms (timeout 2000 ms, rise 1, fall 3)",
            "tcp 198.18.1.100:8000 check=none on_failure=remove sorry=none",
            "tcp 198.18.1.100:8001 check=none on_failure=remove sorry=198.18.2.99:8080/nat",
            "tcp 198.18.1.100:8002 check=none on_failure=remove sorry=198.18.2.99:8080/nat",
            "tcp 198.18.1.100:8003 check=none on_failure=remove sorry=198.18.2.99:8080/nat",
            "tcp 198.18.1.100:8004 check=none on_failure=remove sorry=198.18.2.99:8080/nat",
        });
  // checktype = off: none of the real servers is activated.
  CHECK_FALSE(imported.services.at(3).real_servers.at(0).enabled);
  CHECK(imported.services.at(4).real_servers.at(0).enabled);
  CHECK(
      diagnostics(imported.warnings) ==
      Diagnostics{
          {17,
           "virtual 198.18.1.100:80: checktype = 3: lbd runs the negotiate check every time "
           "(ldirectord: once every 3 connect checks)"},
          {18,
           "virtual 198.18.1.100:80: request http://www.example.com/health: ldirectord fetches "
           "that URL, lbd requests its path /health from each real server"},
          {21, "virtual 198.18.1.100:80: httpmethod = HEAD: lbd's check requests with GET"},
          {30, "virtual 198.18.1.100:25: failurecount = 200: lbd's fall is at most 100; 100 it is"},
          {39,
           "virtual 198.18.1.100:7000: fallback 198.18.2.31:7000 masq is also one of the real "
           "servers; lbd's sorry server is another server: not carried over"},
          {43,
           "virtual 198.18.1.100:8000: checktype = off: ldirectord activates none of the real "
           "servers (nor the fallback): they are kept with enabled: false"},
          {52,
           "virtual 198.18.1.100:8002: checkcommand check.sh: the program \"check.sh\" must be "
           "given by its absolute path (lbd runs it without a shell or PATH search); not "
           "carried over: the real servers are not checked"},
          {57,
           "virtual 198.18.1.100:8003: receive (unclosed: invalid regex /(unclosed/ at offset 9: "
           "missing closing parenthesis; the check is not carried over"},
          {62,
           "virtual 198.18.1.100:8004: request HELLO\\xZZ: \\x at offset 5 needs two hex digits "
           "(write \\\\ for a backslash); the check is not carried over"},
      });
  loads_with_the_same_checks(imported, "ldirectord",
                             "ports:\n"
                             "  - {name: ext, device: net_null0, address: 198.18.1.1/24}\n"
                             "  - {name: int, device: net_null1, address: 198.18.2.254/24}\n");
}

TEST_CASE("import keepalived.conf checks: defaults, ranges, UDP, MISC, and what is refused") {
  const Imported imported = lb::import::import_keepalived(read("keepalived-checks.conf"));
  CHECK(diagnostics(imported.errors) == Diagnostics{});
  CHECK(dump_health(imported.services) ==
        Lines{
            // One check on every real server is the service's; the
            // virtual_server's delay_loop, connect_timeout, retry and
            // virtualhost; status_code ranges; DR's sorry server on the
            // service's port.
            "tcp 198.18.1.100:80 check=http GET /health host www.example.com expect 200,301,302, "
            "every 2500 ms (timeout 2000 ms, rise 1, fall 3) on_failure=quiesce "
            "sorry=198.18.1.99:80/dr",
            "udp 198.18.1.100:53 check=none on_failure=remove sorry=none",
            "  198.18.2.31:53 check=udp send \"\\x01\\x02\\xff\" expect \"\\x03\\x04\", every "
            "60000 ms "
            "(timeout 1000 ms, rise 1, fall 2)",
            "fwm=8 check=none on_failure=remove sorry=none",
            // misc_timeout defaults to the delay loop.
            "  198.18.2.42:0 check=program run \"/usr/bin/test -f /srv/up\", every 60000 ms "
            "(timeout 60000 ms, rise 1, fall 2)",
        });
  CHECK(diagnostics(imported.warnings) ==
        Diagnostics{
            {19,
             "sorry server 198.18.1.99 port 8080: with dr forwarding the sorry server receives the "
             "packet's own port (as ipvsadm forces it); the port is dropped"},
            {28,
             "real_server 198.18.1.11:80: HTTP_GET: another url: lbd checks one path per real "
             "server; the first url is kept"},
            {53,
             "real_server 198.18.2.31:53: TCP_CHECK: lbd runs one check per real server; the "
             "UDP_CHECK above is kept"},
            {58, "real_server 198.18.2.32:53: DNS_CHECK: lbd has no such check; not carried over"},
            {65,
             "fwmark 8: lbd classifies packets itself and the iptables rule that marked them is "
             "not in keepalived.conf: add a firewall_marks rule for mark 8"},
            {69,
             "real_server 198.18.2.41:0: alpha: lbd schedules a real server until its first check "
             "says it is down; not carried over"},
            {70,
             "real_server 198.18.2.41:0: TCP_CHECK: the real server keeps each packet's port and "
             "the checker has no connect_port; not carried over"},
            {75,
             "real_server 198.18.2.42:0: warmup: lbd checks from the start, without a random "
             "delay; not carried over"},
            {78,
             "real_server 198.18.2.42:0: MISC_CHECK: misc_dynamic: the program's exit status does "
             "not set the weight in lbd; not carried over"},
        });
  loads_with_the_same_checks(imported, "keepalived",
                             "ports:\n"
                             "  - {name: ext, device: net_null0, address: 198.18.1.1/24}\n"
                             "  - {name: int, device: net_null1, address: 198.18.2.254/24}\n"
                             "firewall_marks:\n"
                             "  - {mark: 8, protocol: tcp, destination: 198.18.1.120}\n");
}

TEST_CASE("import: malformed check settings are errors at their lines") {
  const Imported l = lb::import::import_ldirectord(
      "virtual=198.18.1.100:80\n"
      "\treal=198.18.2.1:80 masq\n"
      "\tchecktype=sometimes\n"
      "\tquiescent=maybe\n"
      "\tservice=gopher\n"
      "\tfallback=198.18.2.9:80 tunnel\n");
  CHECK(diagnostics(l.errors) ==
        Diagnostics{
            {4, "quiescent must be 'yes' or 'no'"},
            {5,
             "service must be dns, ftp, http, https, http_proxy, imap, imaps, ldap, nntp, mysql, "
             "none, oracle, pop, pops, radius, pgsql, simpletcp, sip, smtp or submission"},
            {6, "forward method must be gate, masq or ipip"},
        });
  const Imported k = lb::import::import_keepalived(
      "virtual_server 198.18.1.100 80 {\n"
      "  delay_loop soon\n"
      "  sorry_server 198.18.2.9\n"
      "  real_server 198.18.2.1 80 {\n"
      "    TCP_CHECK {\n"
      "      connect_timeout 1.5.2\n"
      "    }\n"
      "  }\n"
      "  real_server 198.18.2.2 80 {\n"
      "    TCP_CHECK {\n"
      "    }\n"
      "  }\n"
      "}\n");
  // The virtual_server's delay_loop is reported once, not at each checker.
  CHECK(diagnostics(k.errors) ==
        Diagnostics{
            {2, "delay_loop: expected seconds (e.g. 3 or 2.5), got \"soon\""},
            {3, "sorry_server: expected ADDRESS PORT"},
            {6, "connect_timeout: expected seconds (e.g. 3 or 2.5), got \"1.5.2\""},
        });
  const Imported p = lb::import::import_lvs_cf(
      "virtual web {\n"
      "  address = 198.18.1.100\n"
      "  port = 80\n"
      "  timeout = soon\n"
      "  use_regex = 2\n"
      "}\n");
  CHECK(diagnostics(p.errors) ==
        Diagnostics{
            {4, "virtual web timeout: expected an integer 0..86400, got \"soon\""},
            {5, "virtual web use_regex: expected an integer 0..1, got \"2\""},
        });
}
