// The importers on real files (tests/unit/import/data: the lvs.cf sample,
// and ldirectord.cf and keepalived.conf samples written to their upstream
// documentation): the exact services and warnings each gives, and the YAML
// that, with the `ports:` section an operator adds, loads through
// lb::config::load_string with the same services. Then malformed input:
// errors with their lines, never a crash.
#include <random>

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

TEST_CASE("import lvs.cf: the sample's services, rules, timeouts and warnings") {
  const std::string text = read("lvs.cf");
  CHECK(lb::import::detect_format(text) == lb::import::find_format("lvs.cf"));
  const Imported imported = lb::import::import_lvs_cf(text);
  CHECK(diagnostics(imported.errors) == Diagnostics{});
  // HTTP and HTTPS share mark 80: one service, their servers once, one
  // classifier rule per virtual server; network = nat for every server;
  // "active = 0" disables; no port on a server means the virtual's.
  CHECK(dump(imported.services) ==
        Lines{
            "fwm=80 tcp 0.0.0.0:0 sched=wlc flags=0 persist=600/255.255.255.0 ops=false "
            "quiesce=false en=true",
            "  198.18.2.11:0 w=1 fwd=nat x=0 y=0 en=true",
            "  198.18.2.12:0 w=2 fwd=nat x=0 y=0 en=true",
            "fwm=0 tcp 198.18.1.101:21 sched=lc flags=0 persist=600/255.255.255.255 ops=false "
            "quiesce=true en=true",
            "  198.18.2.21:21 w=1 fwd=nat x=0 y=0 en=true",
            "  198.18.2.22:21 w=1 fwd=nat x=0 y=0 en=false",
            "fwm=0 udp 198.18.1.102:53 sched=rr flags=0 persist=none ops=false quiesce=false "
            "en=false",
            "  198.18.2.31:5353 w=1 fwd=nat x=0 y=0 en=true",
        });
  CHECK(dump(imported.mark_rules) == Lines{
                                         "mark=80 proto=tcp dst=198.18.1.100/32 ports=80-80",
                                         "mark=80 proto=tcp dst=198.18.1.100/32 ports=443-443",
                                     });
  REQUIRE(imported.timeouts);
  CHECK(imported.timeouts->tcp(lb::conn::TcpState::kEstablished) == 900000);
  CHECK(imported.timeouts->tcp(lb::conn::TcpState::kFinWait) == 60000);
  CHECK(imported.timeouts->udp_ms == lb::conn::Timeouts{}.udp_ms);  // udp_timeout = 0: unchanged
  CHECK(diagnostics(imported.warnings) ==
        Diagnostics{
            {13, "serial_no: lvs.cf's revision number has no lbd equivalent; not carried over"},
            {14,
             "primary: the LVS routers' own addresses are not lbd settings; kept as a hint in the "
             "header"},
            {15,
             "primary_private: the LVS routers' own addresses are not lbd settings; kept as a hint "
             "in the header"},
            {17,
             "backup_active: lbd has no active/backup failover yet (pulse's heartbeat and "
             "takeover): not carried over"},
            {18,
             "backup: lbd has no active/backup failover yet (pulse's heartbeat and takeover): not "
             "carried over"},
            {19,
             "backup_private: lbd has no active/backup failover yet (pulse's heartbeat and "
             "takeover): not carried over"},
            {20,
             "heartbeat: lbd has no active/backup failover yet (pulse's heartbeat and takeover): "
             "not carried over"},
            {21,
             "heartbeat_port: lbd has no active/backup failover yet (pulse's heartbeat and "
             "takeover): not carried over"},
            {22,
             "keepalive: lbd has no active/backup failover yet (pulse's heartbeat and takeover): "
             "not carried over"},
            {23,
             "deadtime: lbd has no active/backup failover yet (pulse's heartbeat and takeover): "
             "not carried over"},
            {25,
             "nat_router: lbd's ports are not in lvs.cf; the address is a hint in the header (give "
             "it to the port toward the real servers)"},
            {27, "debug_level: a setting of Piranha's own daemons; not carried over"},
            {31,
             "virtual http: firewall mark 80: lvs.cf does not hold the iptables rule that marked "
             "its packets; lbd classifies packets itself, with the firewall_marks rule written "
             "from this virtual server (tcp 198.18.1.100:80). Compare it with your iptables -t "
             "mangle rules: any other port (e.g. an FTP passive range) needs a rule of its own"},
            {59,
             "virtual https: firewall mark 80: lvs.cf does not hold the iptables rule that marked "
             "its packets; lbd classifies packets itself, with the firewall_marks rule written "
             "from this virtual server (tcp 198.18.1.100:443). Compare it with your iptables -t "
             "mangle rules: any other port (e.g. an FTP passive range) needs a rule of its own"},
            {59,
             "virtual https shares fwmark 80 with virtual http (line 31) but its health check "
             "differs; the service keeps virtual http's"},
            {93,
             "virtual ftp: load_monitor = rup: lbd does not adjust weights from real-server load; "
             "not carried over"},
            {110,
             "virtual dns: a UDP service without send: nanny sent nothing and waited for a "
             "reply; lbd sends an empty datagram and waits for a reply"},
        });
  CHECK(imported.service_comments.at(1) ==
        Lines{"Piranha virtual ftp (line 85)", "load_monitor = rup (not carried over)"});
  // nanny's checks: send/expect with Piranha's escapes decoded, a failing
  // server out at once (fall 1) and back after the re-entry time; `timeout`
  // is the service timeout. The marked service is checked on the first
  // virtual server's port; a UDP virtual server over UDP.
  CHECK(lb::test::dump_health(imported.services) ==
        Lines{
            "fwm=80 check=send_expect port 80 send \"GET / HTTP/1.0\\r\\n\\r\\n\" expect \"HTTP\", "
            "every 5000 ms (timeout 3000 ms, rise 1, fall 1, service timeout 6000 ms, reentry "
            "15000 ms) on_failure=remove sorry=none",
            "tcp 198.18.1.101:21 check=send_expect send \"quit\" expect \"220\", every 5000 ms "
            "(timeout 3000 ms, rise 1, fall 1, service timeout 6000 ms, reentry 15000 ms) "
            "on_failure=remove sorry=none",
            "udp 198.18.1.102:53 check=udp, every 5000 ms (timeout 3000 ms, rise 1, fall 1) "
            "on_failure=remove sorry=none",
        });
  REQUIRE(imported.services[0].health.check);
  CHECK(imported.services[0].health.check->send == "GET / HTTP/1.0\r\n\r\n");

  const auto config = load_with(imported, "lvs.cf",
                                "ports:\n"
                                "  - {name: ext, device: net_null0, address: 198.18.1.1/24}\n"
                                "  - {name: int, device: net_null1, address: 198.18.2.254/24}\n");
  CHECK(dump(config.services) == dump(imported.services));
  CHECK(lb::test::dump_health(config.services) == lb::test::dump_health(imported.services));
  CHECK(dump(config.mark_rules) == dump(imported.mark_rules));
  CHECK(config.connections.timeouts == *imported.timeouts);
  const std::string yaml =
      lb::import::render_yaml(imported, "lvs.cf", *lb::import::find_format("lvs.cf"));
  CHECK(yaml.find("#   NAT router 198.18.2.254 (device eth1:1): the real servers' default "
                  "gateway; give lbd's port toward them this address\n") != std::string::npos);
  CHECK(yaml.find("#   VIP 198.18.1.101 on device eth0:2 (virtual ftp)\n") != std::string::npos);
}

TEST_CASE("import ldirectord.cf: the sample's services and warnings") {
  const std::string text = read("ldirectord.cf");
  CHECK(lb::import::detect_format(text) == lb::import::find_format("ldirectord"));
  const Imported imported = lb::import::import_ldirectord(text);
  CHECK(diagnostics(imported.errors) == Diagnostics{});
  // ldirectord's defaults: scheduler wrr, udp for port 53, a real server
  // without a port gets the virtual's; "https" is port 443; a range is one
  // server per address.
  CHECK(dump(imported.services) ==
        Lines{
            "fwm=0 tcp 10.1.3.61:80 sched=rr flags=0 persist=none ops=false quiesce=false en=true",
            "  192.168.6.4:80 w=1 fwd=nat x=0 y=0 en=true",
            "  192.168.6.5:80 w=2 fwd=nat x=0 y=0 en=true",
            "fwm=0 tcp 10.1.3.61:443 sched=rr flags=0 persist=none ops=false quiesce=false en=true",
            "  192.168.6.4:443 w=1 fwd=nat x=0 y=0 en=true",
            "  192.168.6.5:443 w=1 fwd=nat x=0 y=0 en=true",
            "fwm=0 tcp 10.1.3.61:21 sched=wlc flags=0 persist=600/255.255.255.0 ops=false "
            "quiesce=false en=true",
            "  192.168.6.4:21 w=1 fwd=nat x=0 y=0 en=true",
            "  192.168.6.5:21 w=1 fwd=nat x=0 y=0 en=true",
            "fwm=1 tcp 0.0.0.0:0 sched=sh flags=0 persist=300/255.255.255.255 ops=false "
            "quiesce=false en=true",
            "  192.168.6.10:0 w=1 fwd=dr x=0 y=0 en=true",
            "  192.168.6.11:0 w=1 fwd=dr x=0 y=0 en=true",
            "  192.168.6.12:0 w=1 fwd=dr x=0 y=0 en=true",
            "fwm=0 udp 10.1.3.62:53 sched=wrr flags=0 persist=none ops=true quiesce=false en=true",
            "  192.168.6.20:53 w=1 fwd=nat x=0 y=0 en=true",
            "  192.168.6.21:53 w=3 fwd=nat x=0 y=0 en=true",
        });
  CHECK(imported.mark_rules.empty());
  CHECK_FALSE(imported.timeouts);
  CHECK(diagnostics(imported.warnings) ==
        Diagnostics{
            {14,
             "autoreload: lbd re-reads its file on `lbctl reload` (or SIGHUP), not by itself; not "
             "carried over"},
            {15, "logfile: a setting of ldirectord's own daemon; not carried over"},
            {19,
             "virtual 10.1.3.61:80: the check's timeout of 10 s is longer than its interval of 2 "
             "s: lbd ends a check before the next one starts, so it times out after 2 s"},
            {30,
             "virtual 10.1.3.61:https: the check's timeout of 10 s is longer than its interval of "
             "2 s: lbd ends a check before the next one starts, so it times out after 2 s"},
            {41,
             "virtual 10.1.3.61:21: the check's timeout of 10 s is longer than its interval of 2 "
             "s: lbd ends a check before the next one starts, so it times out after 2 s"},
            {44,
             "virtual 10.1.3.61:21: the negotiate check of service ftp (its protocol exchange) "
             "has no lbd equivalent; checked by a TCP connect instead"},
            {45,
             "virtual 10.1.3.61:21: login: a setting of ldirectord's negotiate checks lbd has no "
             "equivalent for; not carried over"},
            {46,
             "virtual 10.1.3.61:21: passwd: a setting of ldirectord's negotiate checks lbd has no "
             "equivalent for; not carried over"},
            {53,
             "virtual = 1: a firewall-mark service; lbd classifies packets itself and the iptables "
             "rule that marked them is not in ldirectord.cf: add a firewall_marks rule for mark 1"},
            {53,
             "virtual 1: the check's timeout of 10 s is longer than its interval of 2 s: lbd ends "
             "a check before the next one starts, so it times out after 2 s"},
            {60,
             "virtual 1: fallback 127.0.0.1:80 gate: 127.0.0.1 is loopback: the director itself; "
             "lbd's sorry server is another host: not carried over"},
            {67,
             "virtual 10.1.3.62:53: checktype = ping: lbd has no ICMP check; not carried over: "
             "the real servers are not checked"},
            {68, "virtual 10.1.3.62:53: unknown setting \"frobnicate\"; not carried over"},
        });
  // Secrets stay out of the YAML.
  CHECK(imported.service_comments.at(2) == Lines{"ldirectord virtual = 10.1.3.61:21 (line 41)",
                                                 "not carried over: login = anonymous",
                                                 "not carried over: passwd = (not copied)"});
  // negotiate (the default checktype) by each port's service: HTTP(S) with
  // request and receive, the real server's own pair its own check; the
  // global checkinterval, checktimeout and quiescent = yes; checkport for
  // the marked service's port-0 servers; ping not carried over.
  CHECK(lb::test::dump_health(imported.services) ==
        Lines{
            "tcp 10.1.3.61:80 check=http GET /index.html body matching \"Test Page\", every 2000 "
            "ms (timeout 2000 ms, rise 1, fall 1) on_failure=quiesce sorry=none",
            "  192.168.6.5:80 check=http GET /index.html body matching \"Welcome\", every 2000 ms "
            "(timeout 2000 ms, rise 1, fall 1)",
            "tcp 10.1.3.61:443 check=https GET /index.html body matching \"Test Page\", every "
            "2000 ms (timeout 2000 ms, rise 1, fall 1) on_failure=quiesce sorry=none",
            "tcp 10.1.3.61:21 check=tcp, every 2000 ms (timeout 2000 ms, rise 1, fall 1) "
            "on_failure=quiesce sorry=none",
            "fwm=1 check=tcp port 80, every 2000 ms (timeout 2000 ms, rise 1, fall 1) "
            "on_failure=quiesce sorry=none",
            "udp 10.1.3.62:53 check=none on_failure=remove sorry=none",
        });
  const std::string yaml =
      lb::import::render_yaml(imported, "ldirectord.cf", *lb::import::find_format("ldirectord"));
  CHECK(yaml.find("ldirectord@example.net") == std::string::npos);
  CHECK(yaml.find("#     - {mark: 1, protocol: tcp, destination: VIP, ports: [PORT]}\n") !=
        std::string::npos);

  // The operator adds the ports and, as the header says, a rule for mark 1.
  const auto config =
      load_with(imported, "ldirectord",
                "ports:\n"
                "  - {name: ext, device: net_null0, address: 10.1.3.1/24}\n"
                "  - {name: int, device: net_null1, address: 192.168.6.1/24}\n"
                "firewall_marks:\n"
                "  - {mark: 1, protocol: tcp, destination: 10.1.3.63, ports: [80, 443]}\n");
  CHECK(dump(config.services) == dump(imported.services));
  CHECK(lb::test::dump_health(config.services) == lb::test::dump_health(imported.services));
}

TEST_CASE("import keepalived.conf: the sample's services and warnings") {
  const std::string text = read("keepalived.conf");
  CHECK(lb::import::detect_format(text) == lb::import::find_format("keepalived"));
  const Imported imported = lb::import::import_keepalived(text);
  CHECK(diagnostics(imported.errors) == Diagnostics{});
  // lb_kind/lvs_method for every server (DR drops a real server's own port,
  // as ipvsadm does); sh-port/sh-fallback as scheduler flags; the group's
  // range is one service per VIP; thresholds carried over.
  CHECK(dump(imported.services) ==
        Lines{
            "fwm=0 tcp 198.18.1.100:80 sched=wrr flags=0 persist=50/255.255.255.255 ops=false "
            "quiesce=false en=true",
            "  198.18.2.11:8080 w=3 fwd=nat x=1000 y=800 en=true",
            "  198.18.2.12:8080 w=1 fwd=nat x=0 y=0 en=true",
            "fwm=0 tcp 198.18.1.100:443 sched=sh flags=3 persist=600/255.255.255.0 ops=false "
            "quiesce=false en=true",
            "  198.18.1.21:443 w=1 fwd=dr x=0 y=0 en=true",
            "  198.18.1.22:443 w=1 fwd=dr x=0 y=0 en=true",
            "fwm=7 tcp 0.0.0.0:0 sched=rr flags=0 persist=none ops=false quiesce=false en=true",
            "  198.18.2.31:0 w=1 fwd=nat x=0 y=0 en=true",
            "fwm=0 udp 198.18.1.110:80 sched=lc flags=0 persist=none ops=true quiesce=false "
            "en=true",
            "  198.18.3.41:80 w=2 fwd=tunnel x=0 y=0 en=true",
            "fwm=0 udp 198.18.1.111:80 sched=lc flags=0 persist=none ops=true quiesce=false "
            "en=true",
            "  198.18.3.41:80 w=2 fwd=tunnel x=0 y=0 en=true",
        });
  CHECK(diagnostics(imported.warnings) ==
        Diagnostics{
            {8, "global_defs: keepalived's own settings; not imported"},
            {15,
             "vrrp_instance: VRRP and address failover are not imported (lbd has no failover yet)"},
            {51,
             "real_server 198.18.2.11:8080: HTTP_GET: digest: lbd does not compare the body's MD5 "
             "digest; not carried over"},
            {55,
             "real_server 198.18.2.11:8080: HTTP_GET: delay_before_retry: lbd spaces every check "
             "by the interval (delay_loop), retries included; not carried over"},
            {58,
             "virtual_server 198.18.1.100 80 real_server 198.18.2.12:8080 has no "
             "inhibit_on_failure, but lbd quiesces or removes the failed real servers of a "
             "service alike: another one sets it, so this one is quiesced too"},
            {79,
             "virtual_server 198.18.1.100 443 quorum: lbd has no quorum (a service taken down "
             "when too little weight is up); not carried over"},
            {86,
             "real_server 198.18.1.21:443: SSL_GET: digest: lbd does not compare the body's MD5 "
             "digest; not carried over"},
            {91,
             "real server 198.18.1.22 port 8443: with dr forwarding the real server receives the "
             "packet's own port (as ipvsadm forces it); the port is dropped (its check still "
             "probes port 8443)"},
            {99,
             "fwmark 7: lbd classifies packets itself and the iptables rule that marked them is "
             "not in keepalived.conf: add a firewall_marks rule for mark 7"},
            {123,
             "include /etc/keepalived/conf.d/*.conf: included files are not read; import "
             "/etc/keepalived/conf.d/*.conf separately and merge its services"},
        });
  // Each real server's checker: delay_loop from its virtual_server, retry
  // as fall (the failed check and its retries), status_code; the sorry
  // server forwarded as the virtual server; a DR server's check on the port
  // the file gave; the marked service's MISC_CHECK for its only server.
  CHECK(lb::test::dump_health(imported.services) ==
        Lines{
            "tcp 198.18.1.100:80 check=none on_failure=quiesce sorry=198.18.2.99:80/nat",
            "  198.18.2.11:8080 check=http GET /health, every 6000 ms (timeout 3000 ms, rise 1, "
            "fall 4)",
            "  198.18.2.12:8080 check=http GET /health expect 200, every 6000 ms (timeout 3000 "
            "ms, rise 1, fall 2)",
            "tcp 198.18.1.100:443 check=none on_failure=remove sorry=none",
            "  198.18.1.21:443 check=https GET /, every 60000 ms (timeout 3000 ms, rise 1, fall "
            "2)",
            "  198.18.1.22:443 check=tcp port 8443, every 60000 ms (timeout 3000 ms, rise 1, "
            "fall 2)",
            "fwm=7 check=program run \"/usr/local/bin/check.sh 198.18.2.31\", every 60000 ms "
            "(timeout 5000 ms, rise 1, fall 2) on_failure=remove sorry=none",
            "udp 198.18.1.110:80 check=none on_failure=remove sorry=none",
            "udp 198.18.1.111:80 check=none on_failure=remove sorry=none",
        });
  CHECK(imported.service_comments.at(1) ==
        Lines{"keepalived virtual_server 198.18.1.100 443 (line 71)"});

  const auto config = load_with(
      imported, "keepalived",
      "ports:\n"
      "  - {name: ext, device: net_null0, address: 198.18.1.1/24, gateway: 198.18.1.254}\n"
      "  - {name: int, device: net_null1, address: 198.18.2.1/24}\n"
      "firewall_marks:\n"
      "  - {mark: 7, protocol: tcp, destination: 198.18.1.120}\n");
  CHECK(dump(config.services) == dump(imported.services));
  CHECK(lb::test::dump_health(config.services) == lb::test::dump_health(imported.services));
}

TEST_CASE("import: malformed lvs.cf gets errors at their lines") {
  const Imported unbalanced = lb::import::import_lvs_cf(
      "network = bridge\n"
      "virtual web {\n"
      "  address = 198.18.1.300 eth0:1\n"
      "  port = eighty\n"
      "  scheduler = fastest\n"
      "  colour = blue\n"
      "  server a {\n"
      "    address = 198.18.2.11\n"
      "    weight = 70000\n"
      "  }\n"
      "}\n"
      "}\n"
      "virtual open {\n"
      "  port = 80\n");
  CHECK(diagnostics(unbalanced.errors) ==
        Diagnostics{
            {1, "network: expected nat, direct or tunnel, got \"bridge\""},
            {2, "virtual web has no address"},
            {2, "virtual web has no port"},
            {3, "virtual web address: expected an IPv4 address (a.b.c.d), got \"198.18.1.300\""},
            {4, "virtual web port: expected an integer 1..65535, got \"eighty\""},
            {9, "server a weight: expected an integer 0..65535, got \"70000\""},
            {12, "'}' without a block to close (unbalanced braces)"},
            {13, "the block opened here ('virtual') is never closed (unbalanced braces)"},
            {13, "virtual open has no address"},
        });
  CHECK(diagnostics(unbalanced.warnings) ==
        Diagnostics{
            {5, "scheduler \"fastest\" is not one lbd has; the service uses wlc instead"},
            {6, "virtual web: unknown setting \"colour\"; not carried over"},
        });
  CHECK(diagnostics(lb::import::import_lvs_cf("service = fos\nvirtual x y {\n}\n").errors) ==
        Diagnostics{
            {1,
             "service = fos: only LVS configurations (service = lvs) can be imported; failover "
             "services (fos) has no virtual services for lbd"},
            {2, "expected \"virtual NAME {\", got \"virtual x y\""},
            {2, "virtual x has no address"},
            {2, "virtual x has no port"},
        });
}

TEST_CASE("import: malformed keepalived.conf and ldirectord.cf get errors at their lines") {
  const Imported k = lb::import::import_keepalived(
      "virtual_server 198.18.1.100 80 {\n"
      "  lb_kind MASQ\n"
      "  protocol SCTP\n"
      "  real_server 198.18.2.1 80 {\n"
      "    weight heavy\n"
      "    frob 1\n"
      "  }\n"
      "  real_server example.com 80 {\n"
      "  }\n"
      "virtual_server 198.18.1.101 \"80\n"
      "frobnicate_everything\n");
  CHECK(diagnostics(k.errors) ==
        Diagnostics{
            {1, "the block opened here ('virtual_server') is never closed (unbalanced braces)"},
            {2, "lb_kind: expected NAT, DR or TUN, got \"MASQ\""},
            {3, "protocol SCTP: lbd balances TCP and UDP only"},
            {5, "weight: expected an integer 0..65535, got \"heavy\""},
            {8,
             "real_server: expected an IPv4 address (a.b.c.d), got \"example.com\" (host names "
             "are not resolved: write the address)"},
            {10, "unterminated quoted string"},
        });
  CHECK(diagnostics(k.warnings) ==
        Diagnostics{{6, "real_server 198.18.2.1:80: unknown keyword \"frob\"; not carried over"},
                    {10,
                     "virtual_server 198.18.1.100 80: unknown keyword \"virtual_server\"; not "
                     "carried over"},
                    {11,
                     "virtual_server 198.18.1.100 80: unknown keyword "
                     "\"frobnicate_everything\"; not carried over"}});

  const Imported l = lb::import::import_ldirectord(
      "virtual=198.18.1.300:80\n"
      "\treal=198.18.2.1:80 gate\n"
      "virtual=198.18.1.100:www\n"
      "virtual=198.18.1.100:80\n"
      "\treal=198.18.2.1:80 route\n"
      "\treal=198.18.2.5->198.18.2.1:80 masq\n"
      "\treal=198.18.2.6:80 masq 1 junk\n"
      "\tprotocol=sctp\n"
      "\n"
      "\tscheduler=rr\n"
      "frobnicate=yes\n");
  CHECK(
      diagnostics(l.errors) ==
      Diagnostics{
          {1, "virtual: expected an IPv4 address (a.b.c.d), got \"198.18.1.300\""},
          {3, "virtual port: unknown port or service name \"www\"; write the port number"},
          {5, "real 198.18.2.1:80: forward method must be gate, masq or ipip, got \"route\""},
          {6, "real 198.18.2.5->198.18.2.1: expected a range of 1..1024 addresses, first to last"},
          {7,
           "real 198.18.2.6:80: unexpected \"junk\" after the weight (expected \"REQUEST\", "
           "\"RECEIVE\")"},
          {8,
           "protocol must be tcp or udp if the virtual service is an address and port, got "
           "\"sctp\""},
          {10,
           "indented line outside a virtual block (a blank line ends a block): "
           "\"scheduler=rr\""},
      });
  CHECK(diagnostics(l.warnings) ==
        Diagnostics{{11, "unknown setting \"frobnicate\"; not carried over"}});
}

TEST_CASE("import: any input, however broken, gives a result and never a crash") {
  std::mt19937 random(12345);
  const std::string alphabet = "{}\"#!=:-> \t\n\rabvirtualserver_0123456789.";
  for (const auto& format : lb::import::formats()) {
    for (int round = 0; round < 300; ++round) {
      std::string text;
      const size_t length = random() % 400;
      for (size_t i = 0; i < length; ++i) {
        text += round % 3 == 0 ? static_cast<char>(random() % 256)
                               : alphabet[random() % alphabet.size()];
      }
      const Imported imported = format.parse(text);
      const std::string yaml = lb::import::render_yaml(imported, "fuzz", format);
      CHECK_FALSE(yaml.empty());
    }
  }
  CHECK(lb::import::detect_format("hello, world\n") == nullptr);
  CHECK(lb::import::find_format("nginx") == nullptr);
  CHECK(lb::import::format_names() == "ipvsadm, keepalived, lvs.cf, ldirectord");
}
