// FrozenIndex: a map from 64-bit keys to 32-bit values, built once by the
// control plane and then only read (by any number of workers, without
// synchronisation: it is immutable once published).
//
// Open addressing with linear probing at load factor <= 1/2, so a miss costs a
// probe or two; no allocation and no exceptions on lookup.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace lb::sched {

class FrozenIndex {
 public:
  static constexpr uint64_t kEmpty = ~uint64_t{0};  // never a valid key

  FrozenIndex() = default;
  // Later duplicates are ignored (the first value for a key wins).
  explicit FrozenIndex(std::span<const std::pair<uint64_t, uint32_t>> entries);

  std::optional<uint32_t> find(uint64_t key) const noexcept {
    if (keys_.empty()) return std::nullopt;
    for (uint64_t i = slot(key);; i = (i + 1) & mask_) {
      if (keys_[i] == key) return values_[i];
      if (keys_[i] == kEmpty) return std::nullopt;
    }
  }
  size_t size() const noexcept { return size_; }

 private:
  uint64_t slot(uint64_t key) const noexcept {
    return ((key * 0x9E3779B97F4A7C15ull) >> 32) & mask_;  // Fibonacci hashing
  }

  std::vector<uint64_t> keys_;
  std::vector<uint32_t> values_;
  uint64_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace lb::sched
