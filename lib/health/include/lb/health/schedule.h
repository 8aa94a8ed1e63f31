// When each target's next check starts. Pure (the caller passes the time);
// owned by the Monitor's thread.
//
// Checks keep their phase: the next one is due `interval` after the start of
// the last, so a target checked every second stays on its grid however long
// each check took. A batch of new targets is spread evenly over the
// interval, so 1,000 real servers added at once are checked 1 ms apart, not
// all in the same millisecond, and stay spread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>

namespace lb::health {

class Schedule {
 public:
  // Due at due_ms; replaces the target's earlier due time.
  void set(uint64_t id, uint64_t due_ms);
  void remove(uint64_t id);
  bool contains(uint64_t id) const { return due_.count(id) != 0; }
  std::optional<uint64_t> due(uint64_t id) const {
    const auto it = due_.find(id);
    if (it == due_.end()) return std::nullopt;
    return it->second;
  }
  size_t size() const noexcept { return due_.size(); }

  std::optional<uint64_t> next_due() const;
  // The earliest target due at or before now_ms, taken off the schedule
  // (until set() again once its check is done).
  std::optional<uint64_t> pop_due(uint64_t now_ms);

  // The check after one that started at started_ms: interval_ms after that
  // start, or now when that has passed (a check that outlived its interval
  // is followed at once, never overlapped).
  static uint64_t next_after(uint64_t started_ms, uint32_t interval_ms, uint64_t now_ms) noexcept;
  // The first check of new target `index` of `count` added together.
  static uint64_t first_due(uint64_t now_ms, size_t index, size_t count,
                            uint32_t interval_ms) noexcept;

 private:
  std::set<std::pair<uint64_t, uint64_t>> queue_;  // (due, id)
  std::unordered_map<uint64_t, uint64_t> due_;     // id -> due
};

}  // namespace lb::health
