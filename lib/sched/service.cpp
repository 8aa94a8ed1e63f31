#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include <lb/sched/service.h>

namespace lb::sched {

namespace {

uint64_t index_key(const ServiceSpec& spec) {
  return spec.fwmark != 0 ? fwmark_index_key(spec.fwmark)
                          : service_index_key(static_cast<uint8_t>(spec.protocol), spec.vip.be,
                                              packet::hton16(spec.port));
}

std::string describe(const ServiceSpec& spec) {
  return spec.fwmark != 0
             ? fmt::format("fwmark {}", spec.fwmark)
             : fmt::format("{} {}:{}", to_string(spec.protocol), spec.vip.to_string(), spec.port);
}

DestIdentity identity(const ServiceSpec& spec, const RealServerSpec& rs) {
  if (spec.fwmark != 0) return {0, spec.fwmark, 0, rs.addr.host(), rs.port};
  return {static_cast<uint8_t>(spec.protocol), spec.vip.host(), spec.port, rs.addr.host(), rs.port};
}

// A real server "comes online" for Piranha's quiesce option when it was not
// schedulable before: absent from the previous snapshot, or at weight 0.
bool joined(const Dest& d, const Service* before) {
  if (before == nullptr) return false;  // a new service: nothing to rebalance
  const Dest* old = before->dest_by_slot(d.id);
  return d.weight > 0 && (old == nullptr || old->weight == 0);
}

}  // namespace

Service::Service(uint32_t id, ServiceSpec spec, std::vector<Dest> dests, Scheduler* previous)
    : id_(id), spec_(std::move(spec)), dests_(std::move(dests)) {
  const SchedulerInfo* info = find_scheduler(spec_.scheduler);
  if (info == nullptr) {
    throw std::invalid_argument(fmt::format("unknown scheduler '{}'", spec_.scheduler));
  }
  std::vector<std::pair<uint64_t, uint32_t>> slots;
  for (size_t i = 0; i < dests_.size(); ++i)
    slots.emplace_back(dests_[i].id, static_cast<uint32_t>(i));
  by_slot_ = FrozenIndex(slots);
  scheduler_ = info->make(SchedulerConfig{dests_, spec_.sched_flags, previous});
}

ServiceTable::ServiceTable(std::span<const ServiceSpec> specs, DestRegistry& registry,
                           const ServiceTable* previous) {
  std::vector<std::pair<uint64_t, uint32_t>> keys;
  std::vector<std::pair<uint64_t, uint32_t>> vips;
  for (const ServiceSpec& spec : specs) {
    const uint64_t key = index_key(spec);
    const auto id = static_cast<uint32_t>(services_.size());
    if (std::any_of(keys.begin(), keys.end(), [&](const auto& k) { return k.first == key; })) {
      throw std::invalid_argument(fmt::format("duplicate service {}", describe(spec)));
    }
    const Service* before = nullptr;
    if (previous != nullptr) {
      if (auto i = previous->by_key_.find(key)) before = previous->services_[*i].get();
    }
    // The kernel inserts each new real server at the head of the list, so the
    // list is the reverse of the order in which they were added.
    std::vector<Dest> dests;
    dests.reserve(spec.real_servers.size());
    for (auto rs = spec.real_servers.rbegin(); rs != spec.real_servers.rend(); ++rs) {
      const uint32_t slot = registry.slot_for(identity(spec, *rs));
      dests.push_back(Dest{slot, rs->addr, packet::hton16(rs->port), rs->weight,
                           registry.last_weight_with(slot, rs->weight), rs->forward,
                           &registry.counters(slot)});
      updates_.push_back({slot, rs->weight, rs->upper_threshold, rs->lower_threshold});
    }
    if (spec.quiesce_server &&
        std::any_of(dests.begin(), dests.end(), [&](const Dest& d) { return joined(d, before); })) {
      for (const Dest& d : dests)
        quiesce_slots_.push_back(d.id);
    }
    services_.push_back(std::make_unique<Service>(
        id, spec, std::move(dests), before != nullptr ? &before->scheduler() : nullptr));
    keys.emplace_back(key, id);
    if (spec.fwmark == 0 && std::none_of(vips.begin(), vips.end(),
                                         [&](const auto& v) { return v.first == spec.vip.be; })) {
      vips.emplace_back(spec.vip.be, 0);
      vip_list_.push_back(spec.vip);
    }
  }
  by_key_ = FrozenIndex(keys);
  vips_ = FrozenIndex(vips);
  listed_.assign(registry.used(), false);
  for (const DestUpdate& u : updates_)
    listed_[u.slot] = true;
}

void ServiceTable::commit(DestRegistry& registry) const noexcept {
  for (const DestUpdate& u : updates_) {
    registry.counters(u.slot).set_thresholds(u.upper_threshold, u.lower_threshold);
    registry.record_weight(u.slot, u.weight);
  }
  for (const uint32_t slot : quiesce_slots_)
    registry.counters(slot).reset_scheduling_view();
  // One store per slot, never a transient false for a server that stays.
  for (uint32_t slot = 0; slot < registry.used(); ++slot) {
    registry.counters(slot).in_service.store(slot < listed_.size() && listed_[slot],
                                             std::memory_order_relaxed);
  }
}

void ServiceTable::maintain(uint64_t now_ms) const noexcept {
  for (const auto& s : services_)
    s->scheduler().maintain(now_ms);
}

}  // namespace lb::sched
