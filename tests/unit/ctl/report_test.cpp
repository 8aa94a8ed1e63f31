// lbctl's own human forms: aligned columns, totals, every drop counter.
#include <catch2/catch.hpp>

#include <lb/ctl/report.h>

#include "ctl_fixture.h"

using nlohmann::json;

TEST_CASE("durations") {
  CHECK(lb::ctl::format_duration(0) == "0s");
  CHECK(lb::ctl::format_duration(59) == "59s");
  CHECK(lb::ctl::format_duration(300) == "5m 0s");
  CHECK(lb::ctl::format_duration(3725) == "1h 2m 5s");
  CHECK(lb::ctl::format_duration(3 * 86400 + 5) == "3d 0h 0m 5s");
}

TEST_CASE("status") {
  const json status = json::parse(R"({"version":"0.1.0","pid":123,"uptime_s":5,"workers":[1,2],
    "ports":[{"name":"ext","device":"net_af_xdp0,iface=lb-ext","mac":"02:00:00:00:00:01",
              "address":"198.18.1.1/24","link_up":true},
             {"name":"int","device":"net_af_xdp1,iface=lb-int","mac":"02:00:00:00:00:02",
              "address":"198.18.2.1/24","link_up":false}],"services":2})");
  CHECK(lb::ctl::format_status(status) ==
        "lbd 0.1.0 (pid 123), up 5s\n"
        "workers:  lcore 1, 2\n"
        "services: 2\n"
        "ports:\n"
        "  NAME  DEVICE                    MAC                ADDRESS        LINK\n"
        "  ext   net_af_xdp0,iface=lb-ext  02:00:00:00:00:01  198.18.1.1/24  up\n"
        "  int   net_af_xdp1,iface=lb-int  02:00:00:00:00:02  198.18.2.1/24  down\n");
}

TEST_CASE("stats: per-worker traffic with a total, drops by name per worker and in total") {
  const json stats = json::parse(R"({
    "workers":[{"lcore":1,"rx_packets":1000,"rx_bytes":64000,"tx_packets":990,"tx_bytes":63360,
                "busy_cycles":250,"idle_cycles":750,
                "drops":{"no_service":7,"bad_ip_checksum":1}},
               {"lcore":2,"rx_packets":5,"rx_bytes":320,"tx_packets":5,"tx_bytes":320,
                "busy_cycles":0,"idle_cycles":0,"drops":{"no_service":2,"ttl_exceeded":3}}],
    "ports":[{"name":"ext","rx_packets":1005,"rx_bytes":64320,"tx_packets":0,"tx_bytes":0,
              "rx_missed":0,"rx_errors":0,"tx_errors":0}],
    "connections":{"capacity":1000,"in_use":12,"inserted":100,"templates_inserted":2,
      "refused_full":3,"reused":4,"expired":88,"templates_expired":1,"flushed":5,
      "awaiting_reclaim":1,"memory_bytes":262144,"bytes_per_connection":262,
      "rehashes":7}})");
  CHECK(lb::ctl::format_stats(stats) ==
        "Workers:\n"
        "  LCORE  RX PACKETS  RX BYTES  TX PACKETS  TX BYTES   BUSY\n"
        "  1            1000     64000         990     63360  25.0%\n"
        "  2               5       320           5       320      -\n"
        "  total        1005     64320         995     63680  25.0%\n"
        "Drops:\n"
        "  COUNTER          LCORE 1  LCORE 2  TOTAL\n"
        "  bad_ip_checksum        1        0      1\n"
        "  no_service             7        2      9\n"
        "  ttl_exceeded           0        3      3\n"
        "Ports:\n"
        "  NAME  RX PACKETS  RX BYTES  TX PACKETS  TX BYTES  RX MISSED  RX ERRORS  TX ERRORS\n"
        "  ext         1005     64320           0         0          0          0          0\n"
        "Connections:\n"
        "  capacity 1000, in use 12 (1.2%), awaiting reclaim 1\n"
        "  inserted 100, templates inserted 2, refused as full 3, reopened 4\n"
        "  expired 88, templates expired 1, flushed 5\n"
        "  memory 0.2 MiB, 262 bytes per connection\n"
        "  rehashes 7\n");
}

TEST_CASE("services: sorted numerically, lbd's forwarding names") {
  const json services = json::parse(R"({"conn_table_size":1048576,"services":[
    {"protocol":"udp","vip":"198.18.1.100","port":53,"scheduler":"rr","one_packet":false,
     "sched_flags":[],"real_servers":[]},
    {"protocol":"tcp","vip":"198.18.1.100","port":80,"scheduler":"rr","one_packet":false,
     "sched_flags":[],"real_servers":[
      {"address":"198.18.2.12","port":8080,"forward":"dr","weight":2,"active_conns":3,
       "inactive_conns":40,"persistent_conns":0,"upper_threshold":0,"lower_threshold":0},
      {"address":"198.18.2.11","port":8080,"forward":"nat","weight":1,"active_conns":0,
       "inactive_conns":0,"persistent_conns":0,"upper_threshold":0,"lower_threshold":0}]}]})");
  CHECK(lb::ctl::format_services(services) ==
        "Connection table size: 1048576\n"
        "\n"
        "TCP 198.18.1.100:80  scheduler rr\n"
        "  REAL SERVER       FORWARD  WEIGHT  ACTIVE  INACTIVE  PERSISTENT  UPPER  LOWER\n"
        "  198.18.2.11:8080  nat           1       0         0           0      -      -\n"
        "  198.18.2.12:8080  dr            2       3        40           0      -      -\n"
        "\n"
        "UDP 198.18.1.100:53  scheduler rr\n"
        "  (no real servers)\n");
}

TEST_CASE("services: flags, persistence, one-packet, thresholds, firewall marks") {
  const json services = json::parse(R"({"conn_table_size":4096,"services":[
    {"fwmark":80,"scheduler":"rr","persistent":600,"netmask":"255.255.255.255",
     "one_packet":false,"sched_flags":[],"real_servers":[
      {"address":"198.18.2.11","port":0,"forward":"nat","weight":1,"active_conns":2,
       "inactive_conns":1,"persistent_conns":3,"upper_threshold":1000,"lower_threshold":800}]},
    {"fwmark":21,"scheduler":"wlc","persistent":600,"netmask":"255.255.255.0",
     "one_packet":true,"sched_flags":[],"real_servers":[]},
    {"protocol":"udp","vip":"198.18.1.100","port":53,"scheduler":"mh","one_packet":true,
     "sched_flags":["mh-fallback","mh-port"],"real_servers":[]},
    {"protocol":"tcp","vip":"198.18.1.100","port":443,"scheduler":"sh","persistent":300,
     "netmask":"255.255.255.0","one_packet":false,"sched_flags":["sh-fallback","sh-port"],
     "real_servers":[
      {"address":"198.18.2.12","port":443,"forward":"nat","weight":1,"active_conns":0,
       "inactive_conns":0,"persistent_conns":0,"upper_threshold":500,"lower_threshold":0}]}]})");
  CHECK(lb::ctl::format_services(services) ==
        "Connection table size: 4096\n"
        "\n"
        "TCP 198.18.1.100:443  scheduler sh  flags sh-fallback,sh-port  persistence 5m 0s "
        "netmask 255.255.255.0\n"
        "  REAL SERVER      FORWARD  WEIGHT  ACTIVE  INACTIVE  PERSISTENT  UPPER  LOWER\n"
        "  198.18.2.12:443  nat           1       0         0           0    500      -\n"
        "\n"
        "UDP 198.18.1.100:53  scheduler mh  flags mh-fallback,mh-port  one-packet\n"
        "  (no real servers)\n"
        "\n"
        "FWM 21  scheduler wlc  persistence 10m 0s netmask 255.255.255.0  one-packet\n"
        "  (no real servers)\n"
        "\n"
        "FWM 80  scheduler rr  persistence 10m 0s\n"
        "  REAL SERVER    FORWARD  WEIGHT  ACTIVE  INACTIVE  PERSISTENT  UPPER  LOWER\n"
        "  198.18.2.11:0  nat           1       2         1           3   1000    800\n");
}

TEST_CASE("missing fields show as '-' rather than failing") {
  CHECK(lb::ctl::format_status(json::object()) ==
        "lbd - (pid -), up -\nworkers:  -\nservices: -\nports:\n  (none)\n");
  CHECK(lb::ctl::format_services(json::object()) ==
        "Connection table size: -\nNo virtual services.\n");
  CHECK_NOTHROW(lb::ctl::format_stats(json::array()));
}

TEST_CASE("connections: fixed columns, ipvsadm's mm:ss, marks and templates named") {
  const json result = json::parse(R"({"connections":[
    {"protocol":"TCP","template":false,"state":"ESTABLISHED","expires_s":897,
     "client_address":"198.18.1.10","client_port":43210,"virtual_address":"198.18.1.100",
     "virtual_port":80,"dest_address":"198.18.2.11","dest_port":8080,"forward":"nat"},
    {"protocol":"UDP","template":false,"state":"UDP","expires_s":299,
     "client_address":"198.18.1.11","client_port":5353,"virtual_address":"198.18.1.100",
     "virtual_port":53,"dest_address":"198.18.2.12","dest_port":53,"forward":"dr"},
    {"protocol":"TCP","template":true,"state":"NONE","expires_s":2678399,
     "client_address":"198.18.1.0","client_port":0,"virtual_address":"198.18.1.100",
     "virtual_port":443,"dest_address":"198.18.2.11","dest_port":443},
    {"protocol":"IP","template":true,"state":"ASSURED","expires_s":359,
     "client_address":"198.18.1.10","client_port":0,"virtual_address":"0.0.0.7",
     "virtual_port":0,"dest_address":"198.18.2.11","dest_port":0},
    {"protocol":"TCP","template":false,"state":"SYN_RECV","expires_s":59,
     "client_address":"255.255.255.255","client_port":65535,"virtual_address":"198.18.1.100",
     "virtual_port":80,"dest_address":"198.18.2.13","dest_port":8080,"forward":"tunnel"}]})");
  CHECK(
      lb::ctl::format_connections(result) ==
      "PRO  STATE         EXPIRES  CLIENT                 VIRTUAL                REAL SERVER      "
      "      FORWARD\n"
      "TCP  ESTABLISHED     14:57  198.18.1.10:43210      198.18.1.100:80        198.18.2.11:8080 "
      "      nat\n"
      "UDP  UDP             04:59  198.18.1.11:5353       198.18.1.100:53        198.18.2.12:53   "
      "      dr\n"
      "TCP  NONE         44639:59  198.18.1.0:0           198.18.1.100:443       198.18.2.11:443  "
      "      -        template\n"
      "IP   ASSURED         05:59  198.18.1.10:0          FWM 7                  198.18.2.11:0    "
      "      -        template\n"
      "TCP  SYN_RECV        00:59  255.255.255.255:65535  198.18.1.100:80        198.18.2.13:8080 "
      "      tunnel\n"
      "3 connections, 2 templates\n");
}

TEST_CASE("connections: pages line up, the total counts them all") {
  const json entry = {{"protocol", "TCP"},
                      {"template", false},
                      {"state", "CLOSE"},
                      {"expires_s", 5},
                      {"client_address", "1.2.3.4"},
                      {"client_port", 1},
                      {"virtual_address", "5.6.7.8"},
                      {"virtual_port", 80},
                      {"dest_address", "9.9.9.9"},
                      {"dest_port", 80},
                      {"forward", "nat"}};
  lb::ctl::ConnectionsTable table;
  const std::string first = table.page(json::array({entry}));
  CHECK(table.page(json::array()).empty());
  const std::string third = table.page(json::array({entry}));
  CHECK(first == third);
  CHECK(first.size() == lb::ctl::ConnectionsTable::header().find("FORWARD") + 4);  // "nat\n"
  CHECK(table.total() == "2 connections, 0 templates\n");
  CHECK(lb::ctl::format_connections(json{{"connections", json::array({entry})}})
            .ends_with("1 connection, 0 templates\n"));
  CHECK(lb::ctl::format_connections(json::object()) ==
        lb::ctl::ConnectionsTable::header() + "0 connections, 0 templates\n");
}

TEST_CASE("settings: expire_nodest_conn and every timeout in lbd's order") {
  CHECK(lb::ctl::format_settings(json::parse(lb::test::kDefaultSettings)) ==
        lb::test::kDefaultSettingsText);
}

TEST_CASE("settings: what lbd leaves out shows as '-', what it adds is shown too") {
  const json partial = {{"expire_nodest_conn", true},
                        {"timeouts", {{"established", 7200}, {"sctp", 5}}}};
  const std::string out = lb::ctl::format_settings(partial);
  CHECK(out.starts_with("expire_nodest_conn: yes\ntimeouts:\n"));
  CHECK(out.find("  none               -\n") != std::string::npos);
  CHECK(out.find("  established     7200\n") != std::string::npos);
  CHECK(out.ends_with("  icmp               -\n  sctp               5\n"));
  CHECK(lb::ctl::format_settings(json::array()).starts_with("expire_nodest_conn: -\n"));
}

TEST_CASE("reload says which run-time settings it kept") {
  CHECK(lb::ctl::format_reload({{"services", 2}, {"firewall_mark_rules", 0}}) ==
        "configuration reloaded: 2 service(s), 0 firewall-mark rule(s)\n");
  CHECK(
      lb::ctl::format_reload({{"services", 1},
                              {"firewall_mark_rules", 3},
                              {"kept_settings", {"timeouts.established", "expire_nodest_conn"}}}) ==
      "configuration reloaded: 1 service(s), 3 firewall-mark rule(s)\n"
      "kept run-time settings the file does not change: timeouts.established, "
      "expire_nodest_conn\n");
}

TEST_CASE("services and stats: traffic counters and rates when lbd sends them") {
  const json services = json::parse(R"({"conn_table_size":64,"services":[
    {"protocol":"udp","vip":"198.18.1.100","port":53,"scheduler":"wlc","sched_flags":[],
     "stats":{"conns":1,"inpkts":10,"outpkts":10,"inbytes":1280,"outbytes":1330},
     "rates":{"cps":0,"inpps":36,"outpps":36,"inbps":3380,"outbps":3561},
     "real_servers":[]}]})");
  CHECK(lb::ctl::format_services(services) ==
        "Connection table size: 64\n"
        "\n"
        "UDP 198.18.1.100:53  scheduler wlc\n"
        "  traffic 1 conns, in 10 packets 1280 bytes, out 10 packets 1330 bytes; rate 0 conn/s, "
        "in 36 packets/s 3380 bytes/s, out 36 packets/s 3561 bytes/s\n"
        "  (no real servers)\n");
  const json stats = json::parse(R"({"workers":[],"ports":[],
    "traffic":{"stats":{"conns":31,"inpkts":190,"outpkts":130,"inbytes":12830,"outbytes":12730}}})");
  CHECK_THAT(lb::ctl::format_stats(stats),
             Catch::Contains("Traffic (every service, as ipvsadm --stats counts it):\n"
                             "  traffic 31 conns, in 190 packets 12830 bytes, out 130 packets "
                             "12730 bytes\n"
                             "Ports:\n"));
}

TEST_CASE("reload says when it discarded unsaved live edits") {
  CHECK(lb::ctl::format_reload(
            {{"services", 2}, {"firewall_mark_rules", 0}, {"discarded_live_edits", false}}) ==
        "configuration reloaded: 2 service(s), 0 firewall-mark rule(s)\n");
  CHECK(lb::ctl::format_reload(
            {{"services", 2}, {"firewall_mark_rules", 0}, {"discarded_live_edits", true}}) ==
        "configuration reloaded: 2 service(s), 0 firewall-mark rule(s)\n"
        "discarded live edits that had not been saved: the file's services run now\n");
}

TEST_CASE("health: one line per checked server, the reason last, then the sorry servers") {
  const json health = json::parse(R"({"servers": [
    {"service": {"protocol": "tcp", "vip": "198.18.1.100", "port": 80}, "address": "198.18.2.11",
     "port": 8080, "check_type": "http", "check_port": 8080, "state": "up", "state_age_ms": 125000,
     "on_failure": "remove", "last": {"ok": true, "reason": "HTTP 200", "latency_ms": 3, "age_ms": 400}},
    {"service": {"protocol": "tcp", "vip": "198.18.1.100", "port": 80}, "address": "198.18.2.12",
     "port": 8080, "check_type": "http", "check_port": 8080, "state": "down", "state_age_ms": 2500,
     "on_failure": "quiesce",
     "last": {"ok": false, "reason": "expected 200, got 503", "latency_ms": 12, "age_ms": 100}},
    {"service": {"fwmark": 7}, "address": "198.18.2.13", "port": 0, "check_type": "tcp",
     "check_port": 22, "state": "unknown", "on_failure": "remove"}],
    "sorry_servers_serving": [{"service": {"protocol": "udp", "vip": "198.18.1.100", "port": 53},
                               "address": "198.18.2.99", "port": 5353}]})");
  // clang-format off
  CHECK(lb::ctl::format_health(health) == R"(SERVICE              REAL SERVER       CHECK       STATE              FOR   CHECKED  LATENCY  LAST RESULT
TCP 198.18.1.100:80  198.18.2.11:8080  http :8080  up               2m 5s  0.4s ago     3 ms  ok: HTTP 200
TCP 198.18.1.100:80  198.18.2.12:8080  http :8080  down (quiesced)   2.5s  0.1s ago    12 ms  failed: expected 200, got 503
FWM 7                198.18.2.13:0     tcp :22     unknown              -     never        -  -
Sorry server 198.18.2.99:5353 takes the new connections of UDP 198.18.1.100:53
)");
  // clang-format on
  CHECK(lb::ctl::format_health(json::parse(R"({"servers": []})")) ==
        "No real server is health-checked.\n");
}
