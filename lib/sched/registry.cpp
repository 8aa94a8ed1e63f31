// The registry of schedulers by ipvsadm name. Adding a scheduler: one file
// with its make_<name> factory, one line here (sorted at compile time).
#include <algorithm>
#include <array>

#include <lb/sched/scheduler.h>

namespace lb::sched {

namespace {

constexpr auto kSchedulers = [] {
  std::array list = {
      SchedulerInfo{"rr", &make_rr}, SchedulerInfo{"wlc", &make_wlc},
      // batch A
      // batch B
  };
  std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return list;
}();

}  // namespace

std::span<const SchedulerInfo> schedulers() noexcept {
  return kSchedulers;
}

const SchedulerInfo* find_scheduler(std::string_view name) noexcept {
  for (const auto& s : kSchedulers) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

}  // namespace lb::sched
