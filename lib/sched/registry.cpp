// The registry of schedulers by ipvsadm name. Adding a scheduler: one file
// with its make_<name> factory, one line here.
#include <algorithm>
#include <array>

#include <lb/sched/scheduler.h>

namespace lb::sched {

namespace {

constexpr std::array kSchedulers = {
    SchedulerInfo{"rr", &make_rr},
    SchedulerInfo{"wlc", &make_wlc},
};

static_assert(std::is_sorted(kSchedulers.begin(), kSchedulers.end(),
                             [](const auto& a, const auto& b) { return a.name < b.name; }));

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
