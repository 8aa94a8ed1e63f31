#include <lb/health/schedule.h>

namespace lb::health {

void Schedule::set(uint64_t id, uint64_t due_ms) {
  remove(id);
  due_.emplace(id, due_ms);
  queue_.emplace(due_ms, id);
}

void Schedule::remove(uint64_t id) {
  const auto it = due_.find(id);
  if (it == due_.end()) return;
  queue_.erase({it->second, id});
  due_.erase(it);
}

std::optional<uint64_t> Schedule::next_due() const {
  if (queue_.empty()) return std::nullopt;
  return queue_.begin()->first;
}

std::optional<uint64_t> Schedule::pop_due(uint64_t now_ms) {
  if (queue_.empty() || queue_.begin()->first > now_ms) return std::nullopt;
  const uint64_t id = queue_.begin()->second;
  queue_.erase(queue_.begin());
  due_.erase(id);
  return id;
}

uint64_t Schedule::next_after(uint64_t started_ms, uint32_t interval_ms, uint64_t now_ms) noexcept {
  const uint64_t next = started_ms + interval_ms;
  return next < now_ms ? now_ms : next;
}

uint64_t Schedule::first_due(uint64_t now_ms, size_t index, size_t count,
                             uint32_t interval_ms) noexcept {
  if (count == 0) return now_ms;
  return now_ms + static_cast<uint64_t>(interval_ms) * index / count;
}

}  // namespace lb::health
