#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include <lb/conn/connection.h>

using namespace lb;
using conn::Connection;
using conn::Direction;

namespace {

constexpr uint8_t kSyn = 0x02, kAck = 0x10, kFin = 0x01;

struct Fixture {
  sched::DestCounters counters;
  sched::Dest dest{.id = 0,
                   .addr = *packet::Ipv4Addr::parse("198.18.2.11"),
                   .port_be = packet::hton16(8080),
                   .weight = 1,
                   .last_weight = 1,
                   .forward = sched::ForwardMethod::kNat,
                   .counters = &counters};
  conn::Timeouts timeouts;

  static packet::FlowKeyV4 key(uint8_t proto, uint16_t sport) {
    packet::FlowKeyV4 k;
    k.src = packet::Ipv4Addr::parse("198.18.1.10")->be;
    k.dst = packet::Ipv4Addr::parse("198.18.1.100")->be;
    k.sport = packet::hton16(sport);
    k.dport = packet::hton16(80);
    k.proto = proto;
    return k;
  }
};

}  // namespace

TEST_CASE("a new TCP connection is active at once and counted once") {
  Fixture f;
  Connection c;
  c.open(Fixture::key(6, 40000), f.dest, f.dest.port_be, 3, kSyn, 1000, f.timeouts);
  CHECK(c.state == static_cast<uint8_t>(conn::TcpState::kSynRecv));
  CHECK(f.counters.active_conns() == 1);
  CHECK(f.counters.inactive_conns() == 0);
  CHECK(c.expires_ms == 1000 + 60000);  // SYN_RECV's timeout

  const auto rk = c.reply_key();
  CHECK(rk.src == f.dest.addr.be);
  CHECK(rk.sport == f.dest.port_be);
  CHECK(rk.dst == Fixture::key(6, 40000).src);
  CHECK(rk.dport == packet::hton16(40000));
}

TEST_CASE("closing moves the connection from ActiveConn to InActConn, expiry removes it") {
  Fixture f;
  Connection c;
  c.open(Fixture::key(6, 40000), f.dest, f.dest.port_be, 0, kSyn, 0, f.timeouts);
  REQUIRE(c.on_packet(Direction::kOutput, kSyn | kAck, 10, f.timeouts));
  REQUIRE(c.on_packet(Direction::kInput, kAck, 20, f.timeouts));
  CHECK(c.expires_ms == 20 + 900000);
  REQUIRE(c.on_packet(Direction::kOutput, kFin | kAck, 30, f.timeouts));
  CHECK(f.counters.active_conns() == 0);
  CHECK(f.counters.inactive_conns() == 1);

  CHECK_FALSE(c.expire_if_due(30 + 120000 - 1));
  auto died = c.expire_if_due(30 + 120000);
  REQUIRE(died);
  CHECK(*died == static_cast<uint8_t>(conn::TcpState::kFinWait));
  CHECK(f.counters.total == 0);
  // Dead is final: no packet revives it, no second expiry.
  CHECK_FALSE(c.on_packet(Direction::kInput, kAck, 40, f.timeouts));
  CHECK_FALSE(c.expire_if_due(10000000));
  CHECK(f.counters.total == 0);
}

TEST_CASE("UDP connections are never active and live for the UDP timeout") {
  Fixture f;
  Connection c;
  c.open(Fixture::key(17, 5353), f.dest, f.dest.port_be, 0, 0, 500, f.timeouts);
  CHECK(c.state == conn::kStateUdp);
  CHECK(f.counters.active_conns() == 0);
  CHECK(f.counters.inactive_conns() == 1);
  CHECK(c.on_packet(Direction::kOutput, 0, 1000, f.timeouts));
  CHECK(c.expires_ms == 1000 + 300000);
}

TEST_CASE("counters stay exact when workers race the sweeper") {
  // Two threads feed packets in both directions (like two workers with RSS
  // splitting a flow's directions) while a third expires connections as soon
  // as they are due; afterwards every counter must be back at zero.
  Fixture f;
  constexpr int kConns = 2000;
  std::vector<Connection> conns(kConns);
  for (int i = 0; i < kConns; ++i) {
    conns[static_cast<size_t>(i)].open(Fixture::key(6, static_cast<uint16_t>(i)), f.dest,
                                       f.dest.port_be, 0, kSyn, 0, f.timeouts);
  }
  auto feed = [&](Direction dir, uint8_t flags1, uint8_t flags2) {
    for (int round = 0; round < 20; ++round) {
      for (auto& c : conns) {
        c.on_packet(dir, round % 2 ? flags1 : flags2, 1, f.timeouts);
      }
    }
  };
  std::thread in([&] { feed(Direction::kInput, kAck, kFin | kAck); });
  std::thread out([&] { feed(Direction::kOutput, kSyn | kAck, kAck); });
  std::thread sweeper([&] {
    for (int round = 0; round < 50; ++round) {
      for (auto& c : conns) {
        if (round > 30) c.expires_ms = 0;  // force everything due at the end
        c.expire_if_due(round > 30 ? 1000 : 0);
      }
    }
  });
  in.join();
  out.join();
  sweeper.join();
  for (auto& c : conns) {
    c.expires_ms = 0;
    c.expire_if_due(1000);
  }
  CHECK(f.counters.total == 0);
  CHECK(f.counters.active_conns() == 0);
}

TEST_CASE("fragment records: keyed apart from flows, retargeted on ID reuse, expired after 10 s") {
  const uint32_t client = packet::Ipv4Addr::parse("198.18.1.10")->be;
  const uint32_t vip = packet::Ipv4Addr::parse("198.18.1.100")->be;
  const uint32_t rs1 = packet::Ipv4Addr::parse("198.18.2.11")->be;
  const uint32_t rs2 = packet::Ipv4Addr::parse("198.18.3.11")->be;
  const auto key = conn::fragment_key(client, vip, packet::kIpProtoUdp, packet::hton16(7));

  // A flow whose source port happens to equal the ID is another key.
  packet::FlowKeyV4 flow;
  flow.src = client;
  flow.dst = vip;
  flow.sport = packet::hton16(7);
  flow.proto = packet::kIpProtoUdp;
  CHECK_FALSE(key == flow);

  Connection r;
  r.open_fragment(key, rs1, sched::ForwardMethod::kNat, false, 1000);
  CHECK(conn::state_name(r.state.load()) == "FRAGMENT");
  auto t = r.fragment_target();
  CHECK(t.addr_be == rs1);
  CHECK(t.method == sched::ForwardMethod::kNat);
  CHECK_FALSE(t.rewrite_source);
  CHECK_FALSE(r.expire_if_due(1'000'000));  // the flow sweeper leaves it alone

  r.retarget_fragment(rs2, sched::ForwardMethod::kTunnel, false, 5000);
  t = r.fragment_target();
  CHECK(t.addr_be == rs2);
  CHECK(t.method == sched::ForwardMethod::kTunnel);
  CHECK_FALSE(r.expire_fragment_if_due(5000 + conn::kFragmentTimeoutMs - 1));
  CHECK(r.expire_fragment_if_due(5000 + conn::kFragmentTimeoutMs));
  CHECK(r.state.load() == conn::kStateDead);
  CHECK_FALSE(r.expire_fragment_if_due(100'000));  // once
}
