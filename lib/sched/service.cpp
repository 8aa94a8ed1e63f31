#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include <lb/sched/service.h>

namespace lb::sched {

Service::Service(uint32_t id, ServiceSpec spec, std::vector<Dest> dests)
    : id_(id), spec_(std::move(spec)), dests_(std::move(dests)) {
  const SchedulerInfo* info = find_scheduler(spec_.scheduler);
  if (info == nullptr) {
    throw std::invalid_argument(fmt::format("unknown scheduler '{}'", spec_.scheduler));
  }
  scheduler_ = info->make(dests_);
}

ServiceTable::ServiceTable(std::span<const ServiceSpec> specs, DestRegistry& registry) {
  std::vector<std::pair<uint64_t, uint32_t>> keys;
  std::vector<std::pair<uint64_t, uint32_t>> vips;
  for (const ServiceSpec& spec : specs) {
    const uint64_t key = service_index_key(static_cast<uint8_t>(spec.protocol), spec.vip.be,
                                           packet::hton16(spec.port));
    const auto id = static_cast<uint32_t>(services_.size());
    if (std::any_of(keys.begin(), keys.end(), [&](const auto& k) { return k.first == key; })) {
      throw std::invalid_argument(fmt::format(
          "duplicate service {} {}:{}", to_string(spec.protocol), spec.vip.to_string(), spec.port));
    }
    // The kernel inserts each new real server at the head of the list, so the
    // list is the reverse of the order in which they were added.
    std::vector<Dest> dests;
    dests.reserve(spec.real_servers.size());
    for (auto rs = spec.real_servers.rbegin(); rs != spec.real_servers.rend(); ++rs) {
      const uint32_t slot =
          registry.slot_for({spec.protocol, spec.vip.host(), spec.port, rs->addr.host(), rs->port});
      dests.push_back(Dest{slot, rs->addr, packet::hton16(rs->port), rs->weight, rs->forward,
                           &registry.counters(slot)});
    }
    services_.push_back(std::make_unique<Service>(id, spec, std::move(dests)));
    keys.emplace_back(key, id);
    if (std::none_of(vips.begin(), vips.end(),
                     [&](const auto& v) { return v.first == spec.vip.be; })) {
      vips.emplace_back(spec.vip.be, 0);
      vip_list_.push_back(spec.vip);
    }
  }
  by_key_ = FrozenIndex(keys);
  vips_ = FrozenIndex(vips);
}

}  // namespace lb::sched
