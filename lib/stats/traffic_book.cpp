#include <lb/stats/traffic_book.h>

#include <set>

namespace lb::stats {

void TrafficBook::grow() {
  const uint32_t n = source_.slots();
  while (slots_.size() < n) {
    Entry e;
    e.est.reset(source_.raw(static_cast<uint32_t>(slots_.size())));
    slots_.push_back(e);
  }
}

std::map<ServiceKey, Traffic> TrafficBook::raw_by_service() const {
  std::map<ServiceKey, Traffic> sums;
  for (const auto& kv : services_)
    sums[kv.first];
  for (uint32_t s = 0; s < source_.slots(); ++s)
    if (auto it = sums.find(source_.service_of(s)); it != sums.end()) it->second += source_.raw(s);
  return sums;
}

Traffic TrafficBook::raw_total() const {
  Traffic sum;
  for (uint32_t s = 0; s < source_.slots(); ++s)
    sum += source_.raw(s);
  return sum;
}

void TrafficBook::set_services(std::span<const ServiceKey> live) {
  grow();
  const std::set<ServiceKey> keep(live.begin(), live.end());
  std::erase_if(services_, [&](const auto& kv) { return !keep.contains(kv.first); });
  bool added = false;
  for (const ServiceKey& key : keep)
    added |= services_.try_emplace(key, Entry{{}, {}, true}).second;
  if (!added) return;
  // A service added afresh (or again after a delete) counts from now, even
  // when its real servers' slots carry earlier traffic.
  for (const auto& [key, raw] : raw_by_service()) {
    Entry& e = services_[key];
    if (!e.fresh) continue;
    e.baseline = raw;
    e.est.reset(raw);
    e.fresh = false;
  }
}

void TrafficBook::sample() {
  grow();
  Traffic total;
  for (uint32_t s = 0; s < slots_.size(); ++s) {
    const Traffic raw = source_.raw(s);
    slots_[s].est.sample(raw);
    total += raw;
  }
  for (const auto& [key, raw] : raw_by_service())
    services_[key].est.sample(raw);
  total_.est.sample(total);
}

void TrafficBook::zero_all() {
  grow();
  for (uint32_t s = 0; s < slots_.size(); ++s) {
    const Traffic raw = source_.raw(s);
    slots_[s].baseline = raw;
    slots_[s].est.reset(raw);
  }
  for (const auto& [key, raw] : raw_by_service()) {
    services_[key].baseline = raw;
    services_[key].est.reset(raw);
  }
  total_.baseline = raw_total();
  total_.est.reset(total_.baseline);
}

// The kernel zeroes the service and each of its real servers
// (ip_vs_zero_service); the total keeps counting.
void TrafficBook::zero_service(const ServiceKey& key) {
  grow();
  Traffic sum;
  for (uint32_t s = 0; s < slots_.size(); ++s) {
    if (source_.service_of(s) != key) continue;
    const Traffic raw = source_.raw(s);
    slots_[s].baseline = raw;
    slots_[s].est.reset(raw);
    sum += raw;
  }
  if (auto it = services_.find(key); it != services_.end()) {
    it->second.baseline = sum;
    it->second.est.reset(sum);
  }
}

Traffic TrafficBook::dest(uint32_t slot) const {
  if (slot >= source_.slots()) return {};
  const Traffic raw = source_.raw(slot);
  return slot < slots_.size() ? raw - slots_[slot].baseline : raw;
}

Rates TrafficBook::dest_rates(uint32_t slot) const {
  return slot < slots_.size() ? slots_[slot].est.rates() : Rates{};
}

std::map<ServiceKey, Traffic> TrafficBook::services() const {
  auto sums = raw_by_service();
  for (auto& [key, t] : sums)
    t = t - services_.at(key).baseline;
  return sums;
}

Traffic TrafficBook::service(const ServiceKey& key) const {
  const auto all = services();
  const auto it = all.find(key);
  return it == all.end() ? Traffic{} : it->second;
}

Rates TrafficBook::service_rates(const ServiceKey& key) const {
  const auto it = services_.find(key);
  return it == services_.end() ? Rates{} : it->second.est.rates();
}

Traffic TrafficBook::total() const {
  return raw_total() - total_.baseline;
}

}  // namespace lb::stats
