#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include <lb/dataplane/neighbor_table.h>

using lb::dataplane::NeighborParams;
using lb::dataplane::NeighborTable;
using lb::packet::Ipv4Addr;
using lb::packet::MacAddr;
using Kind = NeighborTable::Resolution::Kind;

namespace {

const Ipv4Addr kHop = *Ipv4Addr::parse("198.18.2.11");
const MacAddr kMac = *MacAddr::parse("02:00:00:00:02:0b");
const NeighborParams kParams{/*reachable_ms=*/10000, /*retry_ms=*/1000, /*retries=*/3};

}  // namespace

TEST_CASE("an unknown next hop is requested once per retry interval, then declared unreachable") {
  NeighborTable t(64, kParams);
  auto r = t.resolve(kHop, 0);
  CHECK(r.kind == Kind::kHold);
  CHECK(r.send_request);
  CHECK_FALSE(r.unicast_request);
  // More packets within the interval: held, no new request.
  CHECK(t.resolve(kHop, 10).kind == Kind::kHold);
  CHECK_FALSE(t.resolve(kHop, 999).send_request);
  CHECK(t.resolve(kHop, 1000).send_request);  // second try
  CHECK(t.resolve(kHop, 2000).send_request);  // third try
  r = t.resolve(kHop, 3000);                  // retries exhausted
  CHECK(r.kind == Kind::kUnreachable);
  CHECK(t.resolve(kHop, 3500).kind == Kind::kUnreachable);
  // After another interval the failed hop is tried afresh.
  r = t.resolve(kHop, 4001);
  CHECK(r.kind == Kind::kHold);
  CHECK(r.send_request);
}

TEST_CASE("an answer makes the hop usable; before it expires it is refreshed by unicast") {
  NeighborTable t(64, kParams);
  t.resolve(kHop, 0);
  CHECK(t.learn(kHop, kMac, 100, /*create=*/false));
  auto r = t.resolve(kHop, 200);
  CHECK(r.kind == Kind::kSend);
  CHECK(r.mac == kMac);
  CHECK_FALSE(r.send_request);
  // At 3/4 of reachable_ms: still sent, and one unicast request goes out.
  r = t.resolve(kHop, 100 + 7500);
  CHECK(r.kind == Kind::kSend);
  CHECK(r.send_request);
  CHECK(r.unicast_request);
  CHECK(r.mac == kMac);
  CHECK_FALSE(t.resolve(kHop, 100 + 7600).send_request);
  // No answer at all: the stale binding is used while retrying, then dropped.
  CHECK(t.resolve(kHop, 100 + 10000).kind == Kind::kSend);
  CHECK(t.resolve(kHop, 100 + 11000).kind == Kind::kSend);
  CHECK(t.resolve(kHop, 100 + 12000).kind == Kind::kSend);
  CHECK(t.resolve(kHop, 100 + 13000).kind == Kind::kUnreachable);
}

TEST_CASE("learning creates entries only when asked to, and never overrides static ones") {
  NeighborTable t(64, kParams);
  CHECK_FALSE(t.learn(kHop, kMac, 0, /*create=*/false));
  CHECK(t.learn(kHop, kMac, 0, /*create=*/true));
  CHECK_FALSE(t.learn(kHop, MacAddr::broadcast(), 0, true));  // multicast MACs are not learned
  CHECK_FALSE(t.learn(Ipv4Addr{}, kMac, 0, true));            // nor probes from 0.0.0.0

  const Ipv4Addr gw = *Ipv4Addr::parse("198.18.1.254");
  const MacAddr gw_mac = *MacAddr::parse("02:00:00:00:01:fe");
  t.add_static(gw, gw_mac);
  CHECK_FALSE(t.learn(gw, kMac, 0, true));
  auto r = t.resolve(gw, 100000000);  // static entries never expire
  CHECK(r.kind == Kind::kSend);
  CHECK(r.mac == gw_mac);
  CHECK_FALSE(r.send_request);
}

TEST_CASE("a full table refuses new hops without disturbing known ones") {
  NeighborTable t(64, kParams);
  std::vector<Ipv4Addr> admitted;
  int refused = 0;
  for (uint32_t i = 0; i < 200; ++i) {
    const auto hop = Ipv4Addr::from_host(0xC6120000u + i);
    if (t.resolve(hop, 0).kind == Kind::kFull) {
      ++refused;
    } else {
      admitted.push_back(hop);
    }
  }
  CHECK(refused >= 200 - 64);
  int known = 0;
  t.for_each([&](const NeighborTable::Entry&) { ++known; });
  CHECK(known == static_cast<int>(admitted.size()));
  for (const auto hop : admitted) {
    REQUIRE(t.learn(hop, kMac, 10, false));
    CHECK(t.resolve(hop, 20).kind == Kind::kSend);
  }
}

TEST_CASE("exactly one of many racing workers sends each request") {
  NeighborTable t(1024, kParams);
  std::atomic<int> requests{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        if (t.resolve(kHop, 0).send_request) ++requests;
      }
    });
  }
  for (auto& w : workers)
    w.join();
  CHECK(requests == 1);
}
