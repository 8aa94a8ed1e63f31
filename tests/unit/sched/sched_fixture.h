// Builds a service the way lbd does (ServiceTable over ServiceSpecs, real
// servers in configuration order) so scheduler tests see the kernel's list
// order and real DestCounters.
#pragma once

#include <string>
#include <vector>

#include <lb/sched/service.h>

namespace lb::test {

struct SchedFixture {
  sched::DestRegistry registry{64};
  sched::ServiceTable table;

  // Real servers 10.0.0.<n> in the given order, with the given weights.
  const sched::Service& make(const std::string& scheduler, const std::vector<uint32_t>& weights) {
    sched::ServiceSpec spec;
    spec.vip = *packet::Ipv4Addr::parse("198.18.1.100");
    spec.port = 80;
    spec.scheduler = scheduler;
    for (size_t i = 0; i < weights.size(); ++i) {
      spec.real_servers.push_back(
          {packet::Ipv4Addr::from_octets(10, 0, 0, static_cast<uint8_t>(i + 1)), 80, weights[i],
           sched::ForwardMethod::kNat});
    }
    std::vector<sched::ServiceSpec> specs{spec};
    table = sched::ServiceTable(specs, registry);
    table.commit(registry);
    return *table.services()[0];
  }

  // make() with scheduler flags (ipvsadm -b, SchedFlag bits).
  const sched::Service& make(const std::string& scheduler, const std::vector<uint32_t>& weights,
                             uint8_t sched_flags) {
    return make(spec(scheduler, weights, sched_flags));
  }

  // The spec make() builds, for tests that adjust it before building.
  static sched::ServiceSpec spec(const std::string& scheduler, const std::vector<uint32_t>& weights,
                                 uint8_t sched_flags = 0) {
    sched::ServiceSpec s;
    s.vip = *packet::Ipv4Addr::parse("198.18.1.100");
    s.port = 80;
    s.scheduler = scheduler;
    s.sched_flags = sched_flags;
    for (size_t i = 0; i < weights.size(); ++i) {
      s.real_servers.push_back(
          {packet::Ipv4Addr::from_octets(10, 0, 0, static_cast<uint8_t>(i + 1)), 80, weights[i],
           sched::ForwardMethod::kNat});
    }
    return s;
  }

  // A fresh table holding `s` (no previous snapshot).
  const sched::Service& make(const sched::ServiceSpec& s) {
    std::vector<sched::ServiceSpec> specs{s};
    table = sched::ServiceTable(specs, registry);
    table.commit(registry);
    return *table.services()[0];
  }

  // The next snapshot, as a configuration reload builds it: the service's
  // scheduler takes over from the one in the current table.
  const sched::Service& reload(const sched::ServiceSpec& s) {
    std::vector<sched::ServiceSpec> specs{s};
    sched::ServiceTable next(specs, registry, &table);
    next.commit(registry);
    table = std::move(next);
    return *table.services()[0];
  }

  // A client's packet: source address and port, destination (network order
  // in the key, as the data plane fills it).
  static packet::FlowKeyV4 flow(const char* src, uint16_t sport = 0,
                                const char* dst = "198.18.1.100", uint16_t dport = 80) {
    packet::FlowKeyV4 f;
    f.src = packet::Ipv4Addr::parse(src)->be;
    f.dst = packet::Ipv4Addr::parse(dst)->be;
    f.sport = packet::hton16(sport);
    f.dport = packet::hton16(dport);
    f.proto = 6;
    return f;
  }

  // The last octet of the chosen real server, or 0 when none qualified.
  static int pick(const sched::Service& svc, const packet::FlowKeyV4& flow = {},
                  uint64_t now_ms = 0) {
    const sched::Dest* d = svc.schedule(sched::PickInput{flow, 0, now_ms});
    return d == nullptr ? 0 : static_cast<int>(d->addr.host() & 0xff);
  }

  static std::vector<int> sequence(const sched::Service& svc, int n) {
    std::vector<int> out;
    for (int i = 0; i < n; ++i)
      out.push_back(pick(svc));
    return out;
  }

  // Sets a real server's connection counts (both views, as without quiesce).
  static void set_conns(const sched::Service& svc, int octet, uint32_t active, uint32_t inactive) {
    auto& c = counters(svc, octet);
    c.active = active;
    c.total = active + inactive;
    c.sched_active = static_cast<int32_t>(active);
    c.sched_total = static_cast<int32_t>(active + inactive);
  }

  static sched::DestCounters& counters(const sched::Service& svc, int octet) {
    for (const auto& d : svc.dests()) {
      if (static_cast<int>(d.addr.host() & 0xff) == octet) return *d.counters;
    }
    throw std::out_of_range("no such real server");
  }
};

}  // namespace lb::test
