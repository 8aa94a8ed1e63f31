#include <catch2/catch.hpp>

#include <vector>

#include <lb/stats/traffic_book.h>

using lb::stats::Rates;
using lb::stats::ServiceKey;
using lb::stats::Traffic;
using lb::stats::TrafficBook;

namespace {

// Raw counters as the data plane keeps them: one per slot, never reset.
struct FakePlane {
  std::vector<Traffic> raw;
  std::vector<ServiceKey> owner;

  uint32_t add_slot(ServiceKey service) {
    raw.emplace_back();
    owner.push_back(service);
    return static_cast<uint32_t>(raw.size() - 1);
  }
  void count(uint32_t slot, uint64_t conns, uint64_t pkts, uint64_t bytes) {
    raw[slot] += Traffic{conns, pkts, pkts / 2, bytes, bytes / 2};
  }
  TrafficBook book() {
    return TrafficBook({[this] { return static_cast<uint32_t>(raw.size()); },
                        [this](uint32_t s) { return raw[s]; },
                        [this](uint32_t s) { return owner[s]; }});
  }
};

const ServiceKey kWeb{6, 0xC6120164, 80};
const ServiceKey kDns{17, 0xC6120164, 53};
const ServiceKey kMark{0, 7, 0};

}  // namespace

TEST_CASE("a service counts the traffic of all its real servers") {
  FakePlane plane;
  auto book = plane.book();
  const uint32_t a = plane.add_slot(kWeb), b = plane.add_slot(kWeb), d = plane.add_slot(kDns);
  const std::vector<ServiceKey> live{kWeb, kDns};
  book.set_services(live);
  plane.count(a, 3, 30, 3000);
  plane.count(b, 1, 10, 1000);
  plane.count(d, 5, 5, 500);
  CHECK(book.dest(a) == Traffic{3, 30, 15, 3000, 1500});
  CHECK(book.service(kWeb) == Traffic{4, 40, 20, 4000, 2000});
  CHECK(book.service(kDns) == Traffic{5, 5, 2, 500, 250});
  CHECK(book.total() == Traffic{9, 45, 22, 4500, 2250});
  CHECK(book.services().size() == 2);
  CHECK(book.service(kMark) == Traffic{});  // not configured
}

TEST_CASE("a removed real server's traffic stays in its service's count") {
  FakePlane plane;
  auto book = plane.book();
  const uint32_t a = plane.add_slot(kWeb);
  const std::vector<ServiceKey> live{kWeb};
  book.set_services(live);
  plane.count(a, 2, 20, 2000);
  // The real server leaves the service (its slot stays, unlisted) and a new
  // one joins: the service's count keeps both, as svc->stats does.
  const uint32_t b = plane.add_slot(kWeb);
  book.set_services(live);
  plane.count(b, 1, 10, 1000);
  CHECK(book.service(kWeb).conns == 3);
  CHECK(book.dest(b).conns == 1);
}

TEST_CASE("a service added again after a delete starts from zero") {
  FakePlane plane;
  auto book = plane.book();
  const uint32_t a = plane.add_slot(kWeb);
  book.set_services(std::vector<ServiceKey>{kWeb});
  plane.count(a, 2, 20, 2000);
  book.set_services(std::vector<ServiceKey>{});
  CHECK(book.service(kWeb) == Traffic{});
  book.set_services(std::vector<ServiceKey>{kWeb});
  CHECK(book.service(kWeb) == Traffic{});
  plane.count(a, 1, 1, 100);
  CHECK(book.service(kWeb).conns == 1);
  // The real server's own slot keeps counting across (the kernel revives a
  // dest from its trash with its counters).
  CHECK(book.dest(a).conns == 3);
}

TEST_CASE("zeroing everything clears counts and rates, and counting resumes") {
  FakePlane plane;
  auto book = plane.book();
  const uint32_t a = plane.add_slot(kWeb), d = plane.add_slot(kDns);
  book.set_services(std::vector<ServiceKey>{kWeb, kDns});
  for (int i = 0; i < 10; ++i) {
    plane.count(a, 200, 2000, 200000);
    plane.count(d, 20, 20, 2000);
    book.sample();
  }
  CHECK(book.dest_rates(a).cps > 0);
  CHECK(book.total_rates().cps > 0);
  book.zero_all();
  CHECK(book.dest(a) == Traffic{});
  CHECK(book.service(kDns) == Traffic{});
  CHECK(book.total() == Traffic{});
  CHECK(book.dest_rates(a) == Rates{});
  CHECK(book.service_rates(kWeb) == Rates{});
  CHECK(book.total_rates() == Rates{});
  plane.count(a, 1, 2, 3);
  CHECK(book.dest(a) == Traffic{1, 2, 1, 3, 1});
  CHECK(book.total().conns == 1);
}

TEST_CASE("zeroing one service leaves the others and the total alone") {
  FakePlane plane;
  auto book = plane.book();
  const uint32_t a = plane.add_slot(kWeb), d = plane.add_slot(kDns);
  book.set_services(std::vector<ServiceKey>{kWeb, kDns});
  plane.count(a, 4, 4, 400);
  plane.count(d, 6, 6, 600);
  book.sample();
  book.zero_service(kWeb);
  CHECK(book.service(kWeb) == Traffic{});
  CHECK(book.dest(a) == Traffic{});
  CHECK(book.service_rates(kWeb) == Rates{});
  CHECK(book.service(kDns).conns == 6);
  CHECK(book.dest(d).conns == 6);
  CHECK(book.service_rates(kDns).cps > 0);
  CHECK(book.total().conns == 10);
}

TEST_CASE("rates of services and real servers follow their traffic") {
  FakePlane plane;
  auto book = plane.book();
  const uint32_t a = plane.add_slot(kMark), b = plane.add_slot(kMark);
  book.set_services(std::vector<ServiceKey>{kMark});
  for (int i = 0; i < 60; ++i) {
    plane.count(a, 200, 2000, 2'000'000);  // per 2 s: 100 conn/s, 1000 pkt/s, 1 MB/s
    plane.count(b, 2, 20, 20'000);
    book.sample();
  }
  CHECK(book.dest_rates(a) == Rates{100, 1000, 500, 1'000'000, 500'000});
  CHECK(book.dest_rates(b) == Rates{1, 10, 5, 10'000, 5'000});
  CHECK(book.service_rates(kMark) == Rates{101, 1010, 505, 1'010'000, 505'000});
  CHECK(book.total_rates() == book.service_rates(kMark));
}

TEST_CASE("a slot appearing between samples starts its rates at zero") {
  FakePlane plane;
  auto book = plane.book();
  book.set_services(std::vector<ServiceKey>{kWeb});
  const uint32_t a = plane.add_slot(kWeb);
  plane.count(a, 2, 2, 2);
  CHECK(book.dest(a).conns == 2);  // counted before the book saw the slot
  CHECK(book.dest_rates(a) == Rates{});
  book.sample();
  CHECK(book.dest_rates(a).cps == 0);  // its first sample is its baseline
}
