// The registry of schedulers by ipvsadm name. Adding a scheduler: one file
// with its make_<name> factory, one line here (sorted at compile time).
#include <algorithm>
#include <array>

#include <lb/sched/scheduler.h>

namespace lb::sched {

namespace {

constexpr auto kSchedulers = [] {
  std::array list = {
      SchedulerInfo{"rr", &make_rr},
      SchedulerInfo{"wlc", &make_wlc},
      // batch A
      SchedulerInfo{"wrr", &make_wrr},
      SchedulerInfo{"lc", &make_lc},
      SchedulerInfo{"sed", &make_sed},
      SchedulerInfo{"nq", &make_nq},
      SchedulerInfo{"fo", &make_fo},
      SchedulerInfo{"ovf", &make_ovf},
      SchedulerInfo{"twos", &make_twos},
      SchedulerInfo{"dh", &make_dh},
      SchedulerInfo{"sh", &make_sh},
      // batch B
      SchedulerInfo{"mh", &make_mh},
      SchedulerInfo{"lblc", &make_lblc},
      SchedulerInfo{"lblcr", &make_lblcr},
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
