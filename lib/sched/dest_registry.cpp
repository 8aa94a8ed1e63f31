#include <fmt/format.h>

#include <stdexcept>

#include <lb/sched/dest_registry.h>

namespace lb::sched {

DestRegistry::DestRegistry(uint32_t capacity)
    : slots_(std::make_unique<DestCounters[]>(capacity)),
      last_weight_(capacity, 0),
      weight_seen_(capacity, false),
      capacity_(capacity) {}

uint32_t DestRegistry::last_weight_with(uint32_t slot, uint32_t weight) const noexcept {
  return !weight_seen_[slot] || weight != 0 ? weight : last_weight_[slot];
}

uint32_t DestRegistry::record_weight(uint32_t slot, uint32_t weight) {
  if (!weight_seen_[slot] || weight != 0) last_weight_[slot] = weight;
  weight_seen_[slot] = true;
  return last_weight_[slot];
}

uint32_t DestRegistry::slot_for(const DestIdentity& identity) {
  if (auto it = by_identity_.find(identity); it != by_identity_.end()) return it->second;
  if (next_ == capacity_) {
    throw std::length_error(fmt::format("too many real servers (limit {})", capacity_));
  }
  by_identity_.emplace(identity, next_);
  identities_.push_back(identity);
  return next_++;
}

}  // namespace lb::sched
