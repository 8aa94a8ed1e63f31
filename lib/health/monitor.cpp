#include <lb/health/monitor.h>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <stdexcept>
#include <unordered_set>

#include "fd.h"

namespace lb::health {

namespace {

// epoll user data of the wake eventfd; probes get serials from 1 up.
constexpr uint64_t kWakeKey = 0;
constexpr size_t kReservedFds = 256;
constexpr size_t kFdsPerProbe = 4;

size_t fit_to_fd_limit(size_t wanted) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) return wanted;
  const size_t soft = static_cast<size_t>(lim.rlim_cur);
  const size_t room = soft > kReservedFds ? (soft - kReservedFds) / kFdsPerProbe : 1;
  return std::max<size_t>(1, std::min(wanted, room));
}

int make_fd(int fd, const char* what) {
  if (fd < 0) throw std::runtime_error(detail::sys_error(what, errno));
  return fd;
}

// A probe step that threw (out of memory, in practice) ends its check.
template <class F>
Step guarded(F&& f) noexcept {
  try {
    return f();
  } catch (const std::exception& e) {
    return Result::failure(fmt::format("internal error: {}", e.what()));
  } catch (...) {
    return Result::failure("internal error");
  }
}

void signal_fd(int fd) noexcept {
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(fd, &one, sizeof one);  // only fails when saturated
}

void clear_fd(int fd) noexcept {
  uint64_t v = 0;
  [[maybe_unused]] const ssize_t n = ::read(fd, &v, sizeof v);  // EAGAIN: already clear
}

}  // namespace

Monitor::Monitor(MonitorOptions options) : max_in_flight_(fit_to_fd_limit(options.max_in_flight)) {
  epoll_fd_ = make_fd(::epoll_create1(EPOLL_CLOEXEC), "epoll_create1");
  wake_fd_ = make_fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), "eventfd");
  events_fd_ = make_fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), "eventfd");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeKey;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
    throw std::runtime_error(detail::sys_error("epoll_ctl", errno));
  }
  thread_ = std::thread([this] { run(); });
}

Monitor::~Monitor() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  signal_fd(wake_fd_);
  thread_.join();
  running_.clear();  // closes sockets; ChildProcess kills and reaps programs
  ::close(epoll_fd_);
  ::close(wake_fd_);
  ::close(events_fd_);
}

std::vector<std::string> Monitor::set_targets(std::vector<Target> targets) {
  // Validate and compile everything before touching anything.
  std::vector<std::string> errors;
  std::vector<std::shared_ptr<const CompiledCheck>> compiled(targets.size());
  std::unordered_set<uint64_t> ids;
  for (size_t i = 0; i < targets.size(); ++i) {
    const Target& t = targets[i];
    const auto name = fmt::format("target {} ({}:{})", t.id, t.addr.to_string(), t.check_port());
    if (!ids.insert(t.id).second) errors.push_back(fmt::format("{}: the id is used twice", name));
    auto c = compile_check(t.spec);
    for (const auto& e : c.errors)
      errors.push_back(fmt::format("{}: {}", name, e));
    if (t.check_port() == 0 && t.spec.type != CheckType::kProgram) {
      errors.push_back(fmt::format(
          "{}: no port to check: the real server's port is 0 and the check sets none", name));
    }
    if (c) compiled[i] = std::make_shared<const CompiledCheck>(std::move(*c.value));
  }
  if (!errors.empty()) return errors;

  std::lock_guard lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (ids.count(it->first) != 0) {
      ++it;
      continue;
    }
    if (it->second.running != 0) cancel(it->second.running);
    schedule_.remove(it->first);
    it = entries_.erase(it);
  }

  std::vector<uint64_t> fresh;  // first checks to spread
  for (size_t i = 0; i < targets.size(); ++i) {
    Target& t = targets[i];
    const auto it = entries_.find(t.id);
    if (it != entries_.end()) {
      Entry& e = it->second;
      const bool same_server = e.target.addr == t.addr && e.target.check_port() == t.check_port() &&
                               e.target.source == t.source;
      if (same_server && e.target.spec == t.spec) {
        e.target = std::move(t);  // equal but for the real server's port behind a check port
        continue;
      }
      if (e.running != 0) cancel(e.running);
      schedule_.remove(t.id);
      if (same_server) {
        e.tracker.set_policy(Policy::of(t.spec));
        e.check = compiled[i];
        e.target = std::move(t);
        fresh.push_back(e.target.id);
        continue;
      }
      entries_.erase(it);
    }
    const uint64_t id = t.id;
    const Policy policy = Policy::of(t.spec);
    entries_.emplace(id, Entry{std::move(t), compiled[i], Tracker(policy), {}, 0, 0, 0});
    fresh.push_back(id);
  }
  const uint64_t now = steady_now_ms();
  for (size_t k = 0; k < fresh.size(); ++k) {
    const Entry& e = entries_.at(fresh[k]);
    schedule_.set(fresh[k], Schedule::first_due(now, k, fresh.size(), e.target.spec.interval_ms));
  }
  signal_fd(wake_fd_);
  return {};
}

std::vector<Event> Monitor::drain() {
  std::lock_guard lock(mu_);
  clear_fd(events_fd_);
  return std::exchange(events_, {});
}

StatusSnapshot Monitor::status() const {
  std::lock_guard lock(mu_);
  StatusSnapshot snap;
  snap.now_ms = steady_now_ms();
  snap.targets.reserve(entries_.size());
  for (const auto& [id, e] : entries_) {
    TargetStatus s;
    s.id = id;
    s.addr = e.target.addr;
    s.port = e.target.check_port();
    s.type = e.target.spec.type;
    s.state = e.tracker.state();
    s.successes = e.tracker.successes();
    s.failures = e.tracker.failures();
    s.checks = e.checks;
    s.last = e.last;
    s.last_check_ms = e.last_check_ms;
    s.in_flight = e.running != 0;
    s.next_check_ms = schedule_.due(id).value_or(0);
    snap.targets.push_back(std::move(s));
  }
  std::sort(snap.targets.begin(), snap.targets.end(),
            [](const TargetStatus& a, const TargetStatus& b) { return a.id < b.id; });
  return snap;
}

void Monitor::run() noexcept {
  std::array<epoll_event, 256> ready;
  std::unique_lock lock(mu_);
  while (!stop_) {
    const int timeout = next_timeout_ms(steady_now_ms());
    lock.unlock();
    const int n = ::epoll_wait(epoll_fd_, ready.data(), static_cast<int>(ready.size()), timeout);
    lock.lock();
    const uint64_t now = steady_now_ms();
    for (int i = 0; i < n; ++i) {
      const uint64_t key = ready[static_cast<size_t>(i)].data.u64;
      if (key == kWakeKey) {
        clear_fd(wake_fd_);
        continue;
      }
      // A probe finished or cancelled earlier in this batch is gone.
      const auto it = running_.find(key);
      if (it == running_.end()) continue;
      const uint32_t events = ready[static_cast<size_t>(i)].events;
      Probe& probe = *it->second.probe;
      handle(key, guarded([&] { return probe.on_ready(events, now); }), now);
    }
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
      const uint64_t serial = deadlines_.begin()->second;
      deadlines_.erase(deadlines_.begin());
      Probe& probe = *running_.at(serial).probe;
      handle(serial, guarded([&] { return probe.on_timeout(now); }), now);
    }
    while (running_.size() < max_in_flight_) {
      const auto id = schedule_.pop_due(now);
      if (!id) break;
      start_check(*id, now);
    }
  }
}

int Monitor::next_timeout_ms(uint64_t now_ms) const {
  std::optional<uint64_t> wake;
  if (!deadlines_.empty()) wake = deadlines_.begin()->first;
  if (running_.size() < max_in_flight_) {
    if (const auto due = schedule_.next_due()) wake = wake ? std::min(*wake, *due) : *due;
  }
  if (!wake) return -1;
  if (*wake <= now_ms) return 0;
  return static_cast<int>(std::min<uint64_t>(*wake - now_ms, 60'000));
}

void Monitor::start_check(uint64_t target_id, uint64_t now_ms) {
  Entry& e = entries_.at(target_id);
  const Endpoint endpoint{e.target.addr, e.target.check_port(), e.target.source,
                          e.target.tunnel_vip};
  const uint64_t serial = next_serial_++;
  Running& r = running_[serial];
  r.target_id = target_id;
  r.started_ms = now_ms;
  e.running = serial;
  handle(serial, guarded([&] {
           r.probe = make_probe(e.check, endpoint, &tls_);
           return r.probe->start(now_ms);
         }),
         now_ms);
}

std::optional<Result> Monitor::watch(Running& r, const Wait& wait, uint64_t serial) {
  epoll_event ev{};
  ev.events = wait.events;
  ev.data.u64 = serial;
  if (wait.fd != r.fd) {
    // The old descriptor may be closed already (and so out of the set).
    if (r.fd >= 0) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, r.fd, nullptr);
    r.fd = -1;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wait.fd, &ev) != 0) {
      return Result::failure(detail::sys_error("epoll_ctl", errno));
    }
  } else if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, wait.fd, &ev) != 0) {
    // Same number, new descriptor: the old one left the set when it closed.
    if (errno != ENOENT || ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wait.fd, &ev) != 0) {
      return Result::failure(detail::sys_error("epoll_ctl", errno));
    }
  }
  r.fd = wait.fd;
  r.events = wait.events;
  return std::nullopt;
}

void Monitor::handle(uint64_t serial, Step step, uint64_t now_ms) {
  Running& r = running_.at(serial);
  if (r.deadline_ms != 0) deadlines_.erase({r.deadline_ms, serial});
  r.deadline_ms = 0;
  if (const Wait* w = std::get_if<Wait>(&step)) {
    auto failed = watch(r, *w, serial);
    if (!failed) {
      r.deadline_ms = w->deadline_ms;
      deadlines_.emplace(r.deadline_ms, serial);
      return;
    }
    failed->latency_ms = static_cast<uint32_t>(now_ms - r.started_ms);
    step = std::move(*failed);
  }
  Result result = std::get<Result>(std::move(step));
  const uint64_t id = r.target_id;
  const uint64_t started = r.started_ms;
  cancel(serial);

  Entry& e = entries_.at(id);
  ++e.checks;
  e.last_check_ms = now_ms;
  if (auto t = e.tracker.record(result, now_ms)) {
    push_event(Event{id, std::move(*t), result, now_ms});
  }
  e.last = std::move(result);
  schedule_.set(id, Schedule::next_after(started, e.target.spec.interval_ms, now_ms));
}

void Monitor::cancel(uint64_t serial) {
  const auto it = running_.find(serial);
  if (it == running_.end()) return;
  Running& r = it->second;
  if (r.fd >= 0) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, r.fd, nullptr);
  if (r.deadline_ms != 0) deadlines_.erase({r.deadline_ms, serial});
  if (const auto e = entries_.find(r.target_id);
      e != entries_.end() && e->second.running == serial) {
    e->second.running = 0;
  }
  running_.erase(it);  // the probe closes its descriptors, kills its program
}

void Monitor::push_event(Event event) {
  events_.push_back(std::move(event));
  signal_fd(events_fd_);
}

}  // namespace lb::health
