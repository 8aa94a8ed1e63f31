// The program runner's process: a check program started without a shell,
// in its own process group, its stdout on a pipe, its exit on a pidfd, both
// pollable, so the health thread never blocks on it.
//
// The child gets stdin and stderr on /dev/null, an empty signal mask and
// default dispositions for the signals lbd blocks or ignores (a check script
// that cannot be stopped by SIGTERM, or that ignores SIGPIPE, is lbd's doing
// otherwise), and lbd's environment. Every other descriptor lbd holds is
// close-on-exec. lbd must not set SIGCHLD to SIG_IGN (children would vanish
// unreaped and their exit statuses with them).
//
// A ChildProcess that is destroyed before it was reaped kills its group and
// reaps it; a process that does not die at once (uninterruptible sleep) is
// reaped by a detached thread, so neither the caller blocks nor a zombie
// stays.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include <lb/health/checked.h>

namespace lb::health {

class ChildProcess {
 public:
  // argv[0] is searched in PATH when it has no slash. Errors: "spawn
  // /usr/local/bin/check: No such file or directory".
  static Checked<ChildProcess> spawn(const std::vector<std::string>& argv);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const noexcept { return pid_; }
  // The read end of its stdout, non-blocking; -1 once closed.
  int output_fd() const noexcept { return out_fd_; }
  void close_output() noexcept;
  // A pidfd: readable once the process has exited.
  int exit_fd() const noexcept { return pid_fd_; }

  // Whether it has exited (it stays a zombie, its pid and group reserved,
  // until reap()).
  bool exited() const noexcept;
  // SIGKILL to its whole process group: the program and what it started.
  // Safe until reap(): the group's id cannot be reused before then.
  void kill_group() noexcept;
  // Collects an exited process's wait status; nullopt while it runs.
  std::optional<int> reap() noexcept;
  bool reaped() const noexcept { return pid_ <= 0; }

 private:
  ChildProcess() = default;
  void release() noexcept;

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int pid_fd_ = -1;
};

}  // namespace lb::health
