#include <bit>
#include <stdexcept>

#include <lb/sched/frozen_index.h>

namespace lb::sched {

FrozenIndex::FrozenIndex(std::span<const std::pair<uint64_t, uint32_t>> entries) {
  const size_t capacity = std::bit_ceil(std::max<size_t>(8, entries.size() * 2));
  keys_.assign(capacity, kEmpty);
  values_.assign(capacity, 0);
  mask_ = capacity - 1;
  for (const auto& [key, value] : entries) {
    if (key == kEmpty) throw std::invalid_argument("FrozenIndex: reserved key");
    uint64_t i = slot(key);
    while (keys_[i] != kEmpty && keys_[i] != key)
      i = (i + 1) & mask_;
    if (keys_[i] == key) continue;
    keys_[i] = key;
    values_[i] = value;
    ++size_;
  }
}

}  // namespace lb::sched
