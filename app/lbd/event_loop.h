// The control thread's event loop: runs on the main lcore once the workers
// are launched, waking for signals, the control socket and a housekeeping
// tick, until SIGINT or SIGTERM.
#pragma once

#include <chrono>
#include <functional>
#include <utility>
#include <vector>

namespace lb::daemon {

class EventLoop {
 public:
  // Blocks SIGINT, SIGTERM and SIGHUP in the calling thread so they are read
  // through a signalfd. Call before any other thread starts (EAL lcores
  // inherit the mask).
  static void block_signals();

  EventLoop(std::chrono::milliseconds tick);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Calls on_readable whenever `fd` becomes readable.
  void watch(int fd, std::function<void()> on_readable);
  // Runs until SIGINT or SIGTERM; calls on_tick every tick and on_hangup on
  // SIGHUP. Returns the stopping signal's number.
  int run(const std::function<void()>& on_tick, const std::function<void()>& on_hangup);

 private:
  int epoll_fd_;
  int signal_fd_;
  int timer_fd_;
  std::vector<std::pair<int, std::function<void()>>> watched_;
};

}  // namespace lb::daemon
