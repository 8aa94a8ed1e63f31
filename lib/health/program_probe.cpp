// The external program check (Piranha's sending program, ldirectord
// checktype=external, keepalived MISC_CHECK): run the command with %h and %p
// replaced; success is exit status 0 and, when `expect` is set, its output
// matching it. On timeout the whole process group is killed and reaped.
//
// The probe waits on an epoll set of its own holding the output pipe and the
// pidfd, so its runner sees one descriptor: the pipe is drained while the
// program runs (a chatty program never blocks on a full pipe) and its exit
// is seen even when a grandchild keeps the pipe open.
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <lb/health/child.h>
#include <lb/health/command.h>
#include <lb/health/http.h>

#include "fd.h"
#include "probe_base.h"
#include "probes.h"

namespace lb::health::detail {

namespace {

// After SIGKILL, how long to wait for the exit before handing the process to
// ChildProcess's reaper thread.
constexpr uint64_t kKillGraceMs = 1000;

std::string verdict_reason(int status) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* abbrev = ::sigabbrev_np(sig);
    return fmt::format("program killed by signal {} (SIG{})", sig, abbrev ? abbrev : "?");
  }
  return fmt::format("program exited {}", WEXITSTATUS(status));
}

class ProgramProbe final : public ProbeBase {
 public:
  ProgramProbe(CheckPtr check, const Endpoint& endpoint)
      : ProbeBase(check->spec.timeout_ms), check_(std::move(check)), endpoint_(endpoint) {}

  Step start(uint64_t now_ms) override {
    begin(now_ms);
    const auto argv = substitute(check_->command, endpoint_.addr.to_string(), endpoint_.port);
    auto child = ChildProcess::spawn(argv);
    if (!child) return finish(Result::failure(child.errors.front()), now_ms);
    child_.emplace(std::move(*child.value));
    epoll_ = Fd(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_ || !watch(child_->output_fd()) || !watch(child_->exit_fd())) {
      return finish(Result::failure(sys_error("epoll", errno)), now_ms);
    }
    return wait(epoll_.get(), EPOLLIN);
  }

  Step on_ready(uint32_t, uint64_t now_ms) override {
    drain();
    if (!child_->exited()) return Wait{epoll_.get(), EPOLLIN, deadline_ms_};
    // Its leftovers too (a backgrounded helper): a check does not outlive
    // itself. Before reaping, while the group id is still reserved.
    child_->kill_group();
    drain();
    const auto status = child_->reap();
    if (killed_) return timed_out("(program killed)", now_ms);
    if (!status) return finish(Result::failure("program: its exit status was lost"), now_ms);
    return finish(judge(*status), now_ms);
  }

  Step on_timeout(uint64_t now_ms) override {
    if (!killed_) {
      child_->kill_group();
      killed_ = true;
      deadline_ms_ = now_ms + kKillGraceMs;
      return Wait{epoll_.get(), EPOLLIN, deadline_ms_};
    }
    // Not dead a second after SIGKILL: ChildProcess reaps it when destroyed.
    return timed_out("(program killed, not yet reaped)", now_ms);
  }

 private:
  bool watch(int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    return ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) == 0;
  }

  // Reads what the pipe holds; keeps the first kHttpLimit bytes.
  void drain() {
    std::array<char, 16384> buf;
    while (child_->output_fd() >= 0) {
      const ssize_t n = ::read(child_->output_fd(), buf.data(), buf.size());
      if (n > 0) {
        const size_t room = kHttpLimit - output_.size();
        output_.append(buf.data(), std::min(room, static_cast<size_t>(n)));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
      child_->close_output();  // EOF or a broken pipe: closing also leaves the epoll set
    }
  }

  Result judge(int status) const {
    const std::string reason = verdict_reason(status);
    const bool exited_zero = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!exited_zero) {
      if (output_.empty()) return Result::failure(reason);
      return Result::failure(fmt::format("{} (output {})", reason, excerpt(output_)));
    }
    const Matcher& expect = check_->expect;
    if (expect.empty()) return Result::success(reason);
    const auto m = expect.match(output_);
    if (!m.error.empty()) return Result::failure(m.error);
    if (!m.matched) {
      return Result::failure(fmt::format("{} but its output did not match {}: got {}", reason,
                                         expect.describe(), excerpt(output_)));
    }
    return Result::success(fmt::format("{}, output matched {}", reason, expect.describe()));
  }

  CheckPtr check_;
  Endpoint endpoint_;
  std::optional<ChildProcess> child_;  // set once spawned
  Fd epoll_;
  std::string output_;
  bool killed_ = false;
};

}  // namespace

std::unique_ptr<Probe> make_program_probe(CheckPtr check, const Endpoint& endpoint) {
  return std::make_unique<ProgramProbe>(std::move(check), endpoint);
}

}  // namespace lb::health::detail
