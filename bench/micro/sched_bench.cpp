// One decision of every registered scheduler (ns per new connection), with
// 10, 100 and 1000 real servers. rr, the cheapest decision, is the same-run
// reference: read the ratios on a noisy machine. Flows vary (client address
// and port) so hashing schedulers do not see one key over and over; the
// least-connection family sees real servers with different loads.
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <lb/sched/service.h>

namespace {

using namespace lb;

constexpr size_t kFlows = 4096;

void pick(benchmark::State& state, std::string scheduler, uint8_t flags) {
  const auto n = static_cast<uint32_t>(state.range(0));
  sched::DestRegistry registry(n);
  sched::ServiceSpec spec;
  spec.vip = *packet::Ipv4Addr::parse("198.18.1.100");
  spec.port = 80;
  spec.scheduler = scheduler;
  spec.sched_flags = flags;
  for (uint32_t i = 0; i < n; ++i) {
    spec.real_servers.push_back({.addr = packet::Ipv4Addr::from_host(0xC6120000u + i + 1),
                                 .port = 8080,
                                 .weight = 1 + i % 4});
  }
  std::vector<sched::ServiceSpec> specs{spec};
  sched::ServiceTable table(specs, registry);
  const sched::Service& svc = *table.services()[0];
  for (const auto& d : svc.dests()) {
    const auto load = static_cast<int32_t>(d.id * 7 % 50);
    d.counters->active = static_cast<uint32_t>(load);
    d.counters->total = static_cast<uint32_t>(2 * load);
    d.counters->sched_active = load;
    d.counters->sched_total = 2 * load;
  }
  std::vector<packet::FlowKeyV4> flows(kFlows);
  for (size_t i = 0; i < kFlows; ++i) {
    flows[i].src = packet::hton32(0xCB007100u + static_cast<uint32_t>(i));  // 203.0.113.0/24 and up
    flows[i].dst = spec.vip.be;
    flows[i].sport = packet::hton16(static_cast<uint16_t>(1024 + i * 7));
    flows[i].dport = packet::hton16(80);
    flows[i].proto = 6;
  }
  size_t i = 0;
  uint64_t now = 0;
  for (auto _ : state) {
    const auto& f = flows[i++ % kFlows];
    benchmark::DoNotOptimize(
        svc.schedule(sched::PickInput{f, static_cast<uint32_t>(i * 2654435761u), ++now}));
  }
  state.SetLabel(scheduler);
}

[[maybe_unused]] const bool kRegistered = [] {
  for (const auto& info : sched::schedulers()) {
    const std::string name(info.name);
    benchmark::RegisterBenchmark(("BM_Pick/" + name).c_str(),
                                 [name](benchmark::State& s) { pick(s, name, 0); })
        ->Arg(10)
        ->Arg(100)
        ->Arg(1000);
  }
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
