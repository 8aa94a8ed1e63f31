#include "event_loop.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace lb::daemon {

namespace {

sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

int check(int rc, const char* what) {
  if (rc < 0) throw std::runtime_error(fmt::format("{}: {}", what, std::strerror(errno)));
  return rc;
}

}  // namespace

void EventLoop::block_signals() {
  const sigset_t set = handled_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A client closing the control socket mid-reply must not kill the daemon.
  signal(SIGPIPE, SIG_IGN);
}

EventLoop::EventLoop(std::chrono::milliseconds tick) {
  epoll_fd_ = check(epoll_create1(EPOLL_CLOEXEC), "epoll_create1");
  const sigset_t set = handled_signals();
  signal_fd_ = check(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK), "signalfd");
  timer_fd_ = check(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK), "timerfd_create");
  itimerspec spec{};
  spec.it_interval.tv_sec = tick.count() / 1000;
  spec.it_interval.tv_nsec = (tick.count() % 1000) * 1000000;
  spec.it_value = spec.it_interval;
  check(timerfd_settime(timer_fd_, 0, &spec, nullptr), "timerfd_settime");
  for (int fd : {signal_fd_, timer_fd_}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    check(epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev), "epoll_ctl");
  }
}

EventLoop::~EventLoop() {
  close(timer_fd_);
  close(signal_fd_);
  close(epoll_fd_);
}

void EventLoop::watch(int fd, std::function<void()> on_readable) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  check(epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev), "epoll_ctl");
  watched_.emplace_back(fd, std::move(on_readable));
}

int EventLoop::run(const std::function<void()>& on_tick, const std::function<void()>& on_hangup) {
  for (;;) {
    epoll_event events[16];
    const int n = epoll_wait(epoll_fd_, events, 16, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(fmt::format("epoll_wait: {}", std::strerror(errno)));
    }
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == signal_fd_) {
        signalfd_siginfo info{};
        if (read(signal_fd_, &info, sizeof(info)) != sizeof(info)) continue;
        if (info.ssi_signo != SIGHUP) return static_cast<int>(info.ssi_signo);
        on_hangup();
      } else if (fd == timer_fd_) {
        uint64_t expirations = 0;
        if (read(timer_fd_, &expirations, sizeof(expirations)) > 0) on_tick();
      } else {
        for (auto& [wfd, cb] : watched_) {
          if (wfd == fd) cb();
        }
      }
    }
  }
}

}  // namespace lb::daemon
