// The program runner: real processes, exit statuses, output, a timeout that
// kills the whole process group and reaps it.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <lb/health/child.h>

#include "probe_support.h"

using namespace lb::health;
using namespace lb::health::test;

namespace {

Result run_program(const std::string& command, Expect expect = {},
                   uint32_t timeout_ms = kPatientMs) {
  CheckSpec s = spec_of(CheckType::kProgram, timeout_ms);
  s.command = command;
  s.expect = std::move(expect);
  return check(s, 8080, nullptr, lb::packet::Ipv4Addr::from_octets(198, 18, 0, 7));
}

// Gone, or a zombie of a parent that is not us (a killed grandchild waits
// for init, which in a container may never reap it).
bool dead(pid_t pid) {
  if (::kill(pid, 0) != 0) return errno == ESRCH;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const auto close_paren = line.rfind(')');
  return close_paren != std::string::npos && line.size() > close_paren + 2 &&
         line[close_paren + 2] == 'Z';
}

// Whether this process has any child left unreaped.
bool no_children_left() {
  return ::waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD;
}

}  // namespace

TEST_CASE("program: success and failure by exit status") {
  const auto t = run_program("/bin/true");
  CHECK(t.ok);
  CHECK(t.reason == "program exited 0");
  const auto f = run_program("/bin/false");
  CHECK_FALSE(f.ok);
  CHECK(f.reason == "program exited 1");
  CHECK(run_program("sh -c 'echo FAIL; exit 2'").reason == "program exited 2 (output \"FAIL\\n\")");
  // PATH is searched when the program has no slash.
  CHECK(run_program("true").ok);
  CHECK(no_children_left());
}

TEST_CASE("program: the output must match the expected string when one is set") {
  const auto ok = run_program("sh -c 'echo ok'", Expect{"ok", false});
  CHECK(ok.ok);
  CHECK(ok.reason == "program exited 0, output matched \"ok\"");
  const auto bad = run_program("sh -c 'echo FAIL'", Expect{"^OK$", true});
  CHECK_FALSE(bad.ok);
  CHECK(bad.reason == "program exited 0 but its output did not match /^OK$/: got \"FAIL\\n\"");
  // Only stdout is the output; stderr goes nowhere.
  CHECK(run_program("sh -c 'echo noise >&2; echo ok'", Expect{"\\Aok\\n\\z", true}).ok);
  // A program writing more than a pipe holds does not block.
  CHECK(run_program("sh -c 'head -c 300000 /dev/zero; echo'").ok);
}

TEST_CASE("program: %h and %p are the real server's address and the port checked") {
  const auto r = run_program("sh -c 'echo %h:%p'", Expect{"^198\\.18\\.0\\.7:8080$", true});
  CHECK(r.ok);
  INFO(r.reason);
}

TEST_CASE("program: a missing program and a signal are failures with their reason") {
  CHECK(run_program("/nonexistent/check %h").reason ==
        "spawn /nonexistent/check: No such file or directory");
  // The check runs with SIGTERM blocked here, as on lbd's threads: the child
  // still gets the default disposition and an empty mask.
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, &old);
  const auto r = run_program("sh -c 'kill -TERM $$; sleep 5'");
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  CHECK(r.reason == "program killed by signal 15 (SIGTERM)");
}

TEST_CASE("program: a timeout kills the whole process group and reaps it") {
  char dir_template[] = "/tmp/lbd-health-test-XXXXXX";
  REQUIRE(::mkdtemp(dir_template) != nullptr);
  const std::string pids = std::string(dir_template) + "/pids";
  const auto r = run_program(
      "sh -c 'echo $$ > " + pids + "; sleep 10 & echo $! >> " + pids + "; wait'", Expect{}, 200);
  CHECK_FALSE(r.ok);
  CHECK(r.reason == "timeout after 200 ms (program killed)");
  CHECK(r.latency_ms >= 200);
  CHECK(r.latency_ms < 5000);  // not the 10 s the program wanted

  std::ifstream in(pids);
  pid_t shell = 0, sleeper = 0;
  in >> shell >> sleeper;
  REQUIRE(shell > 0);
  REQUIRE(sleeper > 0);
  CHECK(dead(shell));
  // The backgrounded sleep was in the group: killed too (the kernel may take
  // a moment to finish it off on a loaded machine).
  for (int i = 0; i < 100 && !dead(sleeper); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(dead(sleeper));
  CHECK(no_children_left());
  std::remove(pids.c_str());
  ::rmdir(dir_template);
}

TEST_CASE("ChildProcess: destroyed while running, it is killed and reaped") {
  pid_t pid = 0;
  {
    auto child = ChildProcess::spawn({"sleep", "10"});
    REQUIRE(child);
    pid = child.value->pid();
    CHECK_FALSE(child.value->exited());
  }
  for (int i = 0; i < 100 && ::kill(pid, 0) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(::kill(pid, 0) == -1);  // no process, not even a zombie
  CHECK(no_children_left());
}
