#include <lb/health/child.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <thread>
#include <utility>

#include "fd.h"

extern char** environ;

namespace lb::health {

namespace {

// Signals lbd may block (its control thread reads SIGINT/SIGTERM/SIGHUP via a
// signalfd) or ignore; a check program starts with the defaults.
constexpr int kDefaultSignals[] = {SIGPIPE, SIGINT,  SIGTERM, SIGHUP, SIGQUIT,
                                   SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM};

int pidfd_open(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

// Frees what posix_spawn's attribute objects hold, however spawn() returns.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

}  // namespace

Checked<ChildProcess> ChildProcess::spawn(const std::vector<std::string>& argv) {
  using Out = Checked<ChildProcess>;
  if (argv.empty()) return Out::fail("spawn: no program");
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return Out::fail(detail::sys_error("pipe", errno));
  detail::Fd read_end(pipe_fds[0]);
  detail::Fd write_end(pipe_fds[1]);

  SpawnSetup s;
  posix_spawn_file_actions_addopen(&s.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&s.actions, write_end.get(), 1);  // clears close-on-exec
  posix_spawn_file_actions_addopen(&s.actions, 2, "/dev/null", O_WRONLY, 0);
  sigset_t mask;
  sigemptyset(&mask);
  posix_spawnattr_setsigmask(&s.attr, &mask);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (const int sig : kDefaultSignals)
    sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(&s.attr, &defaults);
  posix_spawnattr_setpgroup(&s.attr, 0);  // its own group, so a timeout kills all of it
  posix_spawnattr_setflags(&s.attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  ChildProcess child;
  // glibc reports a failed exec (no such program) as posix_spawnp's result.
  const int rc = ::posix_spawnp(&child.pid_, args[0], &s.actions, &s.attr, args.data(), environ);
  if (rc != 0) {
    child.pid_ = -1;
    return Out::fail(detail::sys_error(fmt::format("spawn {}", argv[0]).c_str(), rc));
  }
  write_end.reset();  // the child's copy is the only writer: EOF when it (and its heirs) exit
  child.pid_fd_ = pidfd_open(child.pid_);
  if (child.pid_fd_ < 0) {
    const int err = errno;
    return Out::fail(detail::sys_error("pidfd_open", err));  // ~ChildProcess kills and reaps
  }
  const int flags = ::fcntl(read_end.get(), F_GETFL);
  ::fcntl(read_end.get(), F_SETFL, flags | O_NONBLOCK);
  child.out_fd_ = read_end.release();
  return Out::ok(std::move(child));
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      out_fd_(std::exchange(other.out_fd_, -1)),
      pid_fd_(std::exchange(other.pid_fd_, -1)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    release();
    pid_ = std::exchange(other.pid_, -1);
    out_fd_ = std::exchange(other.out_fd_, -1);
    pid_fd_ = std::exchange(other.pid_fd_, -1);
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  release();
}

void ChildProcess::release() noexcept {
  close_output();
  if (pid_ > 0) {
    kill_group();
    if (!reap() && pid_ > 0) {
      // Killed but not dead yet: usually microseconds, unbounded in
      // uninterruptible sleep. Someone must wait for it; not the caller.
      const pid_t pid = pid_;
      try {
        std::thread([pid] { ::waitpid(pid, nullptr, 0); }).detach();
      } catch (...) {
        ::waitpid(pid, nullptr, 0);  // no thread to spare: wait here rather than leak a zombie
      }
      pid_ = -1;
    }
  }
  if (pid_fd_ >= 0) ::close(pid_fd_);
  pid_fd_ = -1;
}

void ChildProcess::close_output() noexcept {
  if (out_fd_ >= 0) ::close(out_fd_);
  out_fd_ = -1;
}

bool ChildProcess::exited() const noexcept {
  if (pid_ <= 0) return true;
  siginfo_t info{};
  // WNOWAIT: look without reaping, so the pid and its group stay reserved
  // for kill_group().
  if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return errno == ECHILD;
  }
  return info.si_pid != 0;
}

void ChildProcess::kill_group() noexcept {
  if (pid_ > 0) ::kill(-pid_, SIGKILL);
}

std::optional<int> ChildProcess::reap() noexcept {
  if (pid_ <= 0) return std::nullopt;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return std::nullopt;
  pid_ = -1;
  if (r < 0) return std::nullopt;  // ECHILD: someone else reaped it; nothing left to wait for
  return status;
}

}  // namespace lb::health
