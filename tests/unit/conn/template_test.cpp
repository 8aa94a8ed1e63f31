#include <atomic>
#include <thread>

#include <catch2/catch.hpp>

#include <lb/conn/connection.h>

using namespace lb;
using conn::Connection;

namespace {

packet::FlowKeyV4 flow(const char* client, uint16_t sport, const char* vip, uint16_t dport,
                       uint8_t proto = 6) {
  packet::FlowKeyV4 k;
  k.src = packet::Ipv4Addr::parse(client)->be;
  k.dst = packet::Ipv4Addr::parse(vip)->be;
  k.sport = packet::hton16(sport);
  k.dport = packet::hton16(dport);
  k.proto = proto;
  return k;
}

sched::ServiceSpec persistent(uint16_t port, const char* mask = "255.255.255.255",
                              uint32_t fwmark = 0) {
  sched::ServiceSpec s;
  s.vip = *packet::Ipv4Addr::parse("198.18.1.100");
  s.port = port;
  s.fwmark = fwmark;
  s.persistence = sched::Persistence{300, *packet::Ipv4Addr::parse(mask)};
  return s;
}

}  // namespace

TEST_CASE("template keys follow ip_vs_sched_persist") {
  const auto f = flow("203.0.113.77", 40000, "198.18.1.100", 443);
  // Ordinary service: <proto, client, 0, vip, vport>, tagged as a template.
  auto k = conn::template_key(f, persistent(443));
  CHECK(k.src == f.src);
  CHECK(k.sport == 0);
  CHECK(k.dst == f.dst);
  CHECK(k.dport == packet::hton16(443));
  CHECK(k.proto == 6);
  CHECK(k.pad[0] == conn::kTemplateKeyTag);
  CHECK_FALSE(k == f);
  // The netmask groups clients.
  k = conn::template_key(f, persistent(443, "255.255.255.0"));
  CHECK(k.src == packet::Ipv4Addr::parse("203.0.113.0")->be);
  // FTP and port-0 services: one template for every port.
  CHECK(conn::template_key(f, persistent(21)).dport == 0);
  CHECK(conn::template_key(f, persistent(0)).dport == 0);
  // Firewall marks: protocol 0, the mark as the address.
  k = conn::template_key(f, persistent(0, "255.255.255.255", 80));
  CHECK(k.proto == 0);
  CHECK(k.dst == packet::hton32(80));
  CHECK(k.dport == 0);
  CHECK(conn::template_key(flow("203.0.113.77", 1, "198.18.1.100", 80, 17),
                           persistent(0, "255.255.255.255", 80)) == k);
}

TEST_CASE("a template lives while it controls connections and for its timeout after") {
  sched::DestCounters counters;
  const sched::Dest dest{
      .id = 3, .addr = *packet::Ipv4Addr::parse("198.18.2.11"), .weight = 1, .counters = &counters};
  Connection t;
  t.open_template(conn::template_key(flow("203.0.113.77", 1, "198.18.1.100", 80), persistent(80)),
                  dest, 300000, 1000);
  CHECK(t.is_template());
  CHECK(counters.persist == 1);
  CHECK(counters.total == 0);  // templates count in PersistConn only
  CHECK(t.n_control == 1);

  // Past its timeout but still controlling a connection: re-armed for 60 s.
  CHECK_FALSE(t.expire_template_if_due(301000));
  CHECK(t.timeout_ms == conn::kTemplateRearmMs);
  CHECK(t.expires_ms == 301000 + 60000);
  // A new connection restarts the timer with the template's (now 60 s) timeout.
  REQUIRE(t.acquire_template(320000, true));
  CHECK(t.n_control == 2);
  CHECK(t.expires_ms == 380000);
  t.release_template();
  t.release_template();
  CHECK_FALSE(t.expire_template_if_due(379999));
  CHECK(t.expire_template_if_due(380000));
  CHECK(t.state == conn::kStateDead);
  // Dead: nobody acquires it again.
  CHECK_FALSE(t.acquire_template(380001, true));
  CHECK_FALSE(t.acquire_template(380001, false));
}

TEST_CASE("a template moves to another server when its own leaves") {
  sched::DestCounters a, b;
  const sched::Dest da{.id = 1, .addr = {}, .weight = 1, .counters = &a};
  const sched::Dest db{.id = 2, .addr = {}, .weight = 1, .counters = &b};
  Connection t;
  t.open_template(conn::template_key(flow("203.0.113.77", 1, "198.18.1.100", 80), persistent(80)),
                  da, 300000, 0);
  t.rebind_template(1, &a, db);
  CHECK(t.dest_slot == 2);
  CHECK(a.persist == 0);
  CHECK(b.persist == 1);
  t.rebind_template(1, &a, db);  // a second worker racing with the first: no double move
  CHECK(a.persist == 0);
  CHECK(b.persist == 1);
}

TEST_CASE("the sweeper and a worker acquiring never both win") {
  for (int round = 0; round < 2000; ++round) {
    sched::DestCounters counters;
    const sched::Dest dest{.id = 0, .addr = {}, .weight = 1, .counters = &counters};
    Connection t;
    t.open_template(conn::template_key(flow("203.0.113.77", 1, "198.18.1.100", 80), persistent(80)),
                    dest, 0, 0);
    t.release_template();  // idle and due
    std::atomic<bool> acquired{false}, expired{false};
    std::thread worker([&] { acquired = t.acquire_template(0, true); });
    std::thread sweeper([&] { expired = t.expire_template_if_due(1); });
    worker.join();
    sweeper.join();
    REQUIRE(acquired != expired);
  }
}
