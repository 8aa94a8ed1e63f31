// The metrics endpoint's HTTP side (app/lbd/metrics_server), with the test
// as its control thread: what a scraper gets when the control thread
// answers, is slow, fails to render or stops, and when the address is taken.
//
// Runs in a network namespace of its own (unshare, loopback brought up), so
// its listeners use no address outside the test. Needs root, like the e2e
// tests.
#include <catch2/catch.hpp>

#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "metrics_server.h"

using lb::daemon::MetricsServer;
using namespace std::chrono_literals;

namespace {

// Every thread the tests start is created after this, so all of them are in
// the private namespace.
void private_network() {
  static const bool done = [] {
    if (unshare(CLONE_NEWNET) != 0) {
      FAIL("unshare(CLONE_NEWNET): " << std::strerror(errno) << " (the test needs root)");
    }
    const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    ifr.ifr_flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING;
    const int rc = ioctl(s, SIOCSIFFLAGS, &ifr);
    close(s);
    if (rc != 0) FAIL("bringing lo up: " << std::strerror(errno));
    return true;
  }();
  (void)done;
}

const lb::config::ListenAddress kAt{lb::packet::Ipv4Addr::from_octets(127, 0, 0, 1), 9100};

httplib::Result get(const std::string& path) {
  httplib::Client client("127.0.0.1", kAt.port);
  client.set_connection_timeout(5s);
  client.set_read_timeout(20s);
  return client.Get(path.c_str());
}

// Waits until `n` requests have woken the control side (the eventfd counts
// its writes), consuming the wakeups; process() then finds them all queued.
void wait_for_requests(const MetricsServer& server, uint64_t n) {
  uint64_t seen = 0;
  while (seen < n) {
    pollfd p{server.fd(), POLLIN, 0};
    REQUIRE(poll(&p, 1, 20000) == 1);
    uint64_t count = 0;
    if (read(server.fd(), &count, sizeof(count)) == sizeof(count)) seen += count;
  }
}

std::string error_of(const lb::config::ListenAddress& at) {
  try {
    MetricsServer server(at);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "<listening>";
}

}  // namespace

TEST_CASE("GET /metrics is rendered on the control side, once for every request waiting") {
  private_network();
  MetricsServer server(kAt);
  server.start();
  std::vector<std::future<httplib::Result>> scrapes;
  for (int i = 0; i < 4; ++i)
    scrapes.push_back(std::async(std::launch::async, [] { return get("/metrics"); }));
  wait_for_requests(server, 4);
  int renders = 0;
  server.process([&] {
    ++renders;
    return std::string("# TYPE lbd_up gauge\nlbd_up 1\n");
  });
  CHECK(renders == 1);
  for (auto& scrape : scrapes) {
    const auto res = scrape.get();
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == "# TYPE lbd_up gauge\nlbd_up 1\n");
    CHECK(res->get_header_value("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  }
  // Nothing waiting: no render.
  server.process([&] {
    ++renders;
    return std::string();
  });
  CHECK(renders == 1);
}

TEST_CASE("a control thread that does not answer in time gives 503, a render that fails 500") {
  private_network();
  MetricsServer server(kAt, 200ms);
  server.start();
  auto res = get("/metrics");
  REQUIRE(res);
  CHECK(res->status == 503);
  CHECK(res->body == "lbd's control thread did not answer within 200 ms\n");
  // The late answer goes nowhere, and hurts nothing.
  server.process([] { return std::string("late\n"); });

  MetricsServer slow(lb::config::ListenAddress{kAt.addr, 9101}, 20s);
  slow.start();
  auto failing = std::async(std::launch::async, [] {
    httplib::Client client("127.0.0.1", 9101);
    return client.Get("/metrics");
  });
  wait_for_requests(slow, 1);
  slow.process([]() -> std::string { throw std::runtime_error("stats.workers[0]: missing"); });
  res = failing.get();
  REQUIRE(res);
  CHECK(res->status == 500);
  CHECK(res->body == "stats.workers[0]: missing\n");
}

TEST_CASE("stop() answers a waiting request with 503 and closes the endpoint") {
  private_network();
  auto server = std::make_unique<MetricsServer>(kAt, 20s);
  server->start();
  auto waiting = std::async(std::launch::async, [] { return get("/metrics"); });
  wait_for_requests(*server, 1);
  server->stop();
  const auto res = waiting.get();
  REQUIRE(res);
  CHECK(res->status == 503);
  CHECK(res->body == "lbd is stopping\n");
  CHECK_FALSE(get("/metrics"));  // nothing listens any more
  server.reset();
  // The address is free again.
  MetricsServer again(kAt);
  again.start();
  again.stop();
}

TEST_CASE("/ is an index, other paths 404 with a hint") {
  private_network();
  MetricsServer server(kAt);
  server.start();
  auto res = get("/");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "text/html; charset=utf-8");
  CHECK(res->body.find("<a href=\"/metrics\">Metrics</a>") != std::string::npos);
  res = get("/metricz");
  REQUIRE(res);
  CHECK(res->status == 404);
  CHECK(res->body == "404 Not Found; the metrics are at /metrics\n");
}

TEST_CASE("an address in use or not on this host is refused at construction, with the reason") {
  private_network();
  {
    MetricsServer first(kAt);  // bound, not yet serving
    CHECK(error_of(kAt) == "metrics.listen 127.0.0.1:9100: cannot listen: Address already in use");
    first.start();
    CHECK(error_of(kAt) == "metrics.listen 127.0.0.1:9100: cannot listen: Address already in use");
  }
  CHECK(error_of({lb::packet::Ipv4Addr::from_octets(198, 51, 100, 7), 9100}) ==
        "metrics.listen 198.51.100.7:9100: cannot listen: Cannot assign requested address");
  // Another program's listener (SO_REUSEPORT, as httplib sets by default)
  // does not let lbd share its address either.
  const int other = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(other, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(9102);
  sa.sin_addr.s_addr = kAt.addr.be;
  REQUIRE(bind(other, reinterpret_cast<const sockaddr*>(&sa), sizeof(sa)) == 0);
  REQUIRE(listen(other, 1) == 0);
  CHECK(error_of({kAt.addr, 9102}) ==
        "metrics.listen 127.0.0.1:9102: cannot listen: Address already in use");
  close(other);
}

TEST_CASE("start() then stop() at once, and a server never started, stop cleanly") {
  private_network();
  for (int i = 0; i < 20; ++i) {
    MetricsServer server(kAt);
    server.start();
    server.stop();
  }
  for (int i = 0; i < 3; ++i)
    MetricsServer never(kAt);
  MetricsServer last(kAt);
  last.start();
  auto waiting = std::async(std::launch::async, [] { return get("/metrics"); });
  wait_for_requests(last, 1);
  last.process([] { return std::string("x 1\n"); });
  CHECK(waiting.get()->body == "x 1\n");
}
