// The health-check runner: one thread with an epoll set that runs every
// target's probe on its schedule and turns the results into state
// transitions for the control thread.
//
// Threads: the Monitor's own thread runs the probes; every public method may
// be called from any other thread (lbd's control thread). One mutex guards
// the targets, their state and the event queue; the monitor thread holds it
// only while it handles ready probes (non-blocking work), never across
// epoll_wait, so set_targets() and status() wait microseconds, not for a
// check. Nothing throws across the thread boundary: a probe's failure, an
// epoll error or an exception inside a probe becomes that check's Result.
//
// The control thread learns of transitions through event_fd(): it becomes
// readable when events are queued, and drain() takes them (in order) and
// resets it. lbd's EventLoop::watch(event_fd(), ...) is the intended use.
//
// Time is the steady clock in milliseconds (steady_now_ms()); Event::at_ms
// and TargetStatus times are on it, and status() reports its now_ms so ages
// can be shown without a second clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <lb/health/check.h>
#include <lb/health/probe.h>
#include <lb/health/result.h>
#include <lb/health/schedule.h>
#include <lb/health/tls.h>
#include <lb/health/tracker.h>

namespace lb::health {

struct Event {
  uint64_t target_id = 0;
  Transition transition;
  Result result;       // the result that decided it (reason, latency)
  uint64_t at_ms = 0;  // steady clock
};

struct TargetStatus {
  uint64_t id = 0;
  packet::Ipv4Addr addr;
  uint16_t port = 0;  // the port checked
  CheckType type = CheckType::kTcp;
  State state = State::kUnknown;
  uint32_t successes = 0;  // consecutive, current streak
  uint32_t failures = 0;
  uint64_t checks = 0;         // results since the target was added
  std::optional<Result> last;  // the last result, with its reason and latency
  uint64_t last_check_ms = 0;  // when it came; 0 before the first
  uint64_t next_check_ms = 0;  // when the next starts; 0 while one runs
  bool in_flight = false;
};

struct StatusSnapshot {
  uint64_t now_ms = 0;
  std::vector<TargetStatus> targets;  // by id
};

struct MonitorOptions {
  // Probes running at once. Each holds up to 4 descriptors (a program's
  // epoll set, pipe and pidfd; one socket otherwise), so the Monitor lowers
  // this to fit RLIMIT_NOFILE (keeping 256 for the rest of lbd). Checks due
  // while it is reached wait for a slot, in due order.
  size_t max_in_flight = 1024;
};

class Monitor {
 public:
  // Starts the thread with no targets. Throws std::runtime_error when the
  // epoll set, the eventfds, the TLS context or the thread cannot be made.
  explicit Monitor(MonitorOptions options = {});
  // Stops the thread; running programs are killed and reaped.
  ~Monitor();
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  // Replaces the set of targets, all or nothing. Every target is validated
  // first (compile_check, a port to check, unique ids); when any is wrong
  // nothing changes and every error comes back, each naming its target:
  // "target 7 (198.18.1.10:80): expect: invalid regex ...". Otherwise:
  // - a target with the same id, address, port, source and spec is
  //   untouched: its state, counts, schedule and running check go on;
  // - same id, address, port and source but another spec: the server keeps
  //   its state and streaks (the state is the server's, not the check's),
  //   its running check is stopped and the new check starts soon;
  // - a new id (or one whose address, port or source changed) starts
  //   kUnknown, its first check spread over its interval with the others
  //   added in this call;
  // - a target no longer listed stops (a running program is killed).
  std::vector<std::string> set_targets(std::vector<Target> targets);

  int event_fd() const noexcept { return events_fd_; }
  std::vector<Event> drain();
  StatusSnapshot status() const;
  size_t max_in_flight() const noexcept { return max_in_flight_; }

 private:
  struct Entry {
    Target target;
    std::shared_ptr<const CompiledCheck> check;
    Tracker tracker;
    std::optional<Result> last;
    uint64_t last_check_ms = 0;
    uint64_t checks = 0;
    uint64_t running = 0;  // serial of its probe in flight; 0: none
  };
  struct Running {
    uint64_t target_id = 0;
    std::unique_ptr<Probe> probe;
    uint64_t started_ms = 0;
    int fd = -1;  // registered in epoll_ with `events`
    uint32_t events = 0;
    uint64_t deadline_ms = 0;
  };

  void run() noexcept;
  int next_timeout_ms(uint64_t now_ms) const;
  void start_check(uint64_t target_id, uint64_t now_ms);
  void handle(uint64_t serial, Step step, uint64_t now_ms);
  std::optional<Result> watch(Running& running, const Wait& wait, uint64_t serial);
  void cancel(uint64_t serial);
  void push_event(Event event);

  size_t max_in_flight_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;    // set_targets and the destructor wake the thread
  int events_fd_ = -1;  // readable while events_ is not empty
  TlsClient tls_;

  mutable std::mutex mu_;
  bool stop_ = false;
  std::unordered_map<uint64_t, Entry> entries_;
  std::unordered_map<uint64_t, Running> running_;      // by serial
  std::set<std::pair<uint64_t, uint64_t>> deadlines_;  // (deadline, serial)
  Schedule schedule_;
  uint64_t next_serial_ = 1;
  std::vector<Event> events_;

  std::thread thread_;  // last: started once everything above exists
};

}  // namespace lb::health
